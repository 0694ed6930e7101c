"""What extraction found in one page: its own module, so that code which only carries
documents (the pipeline, site learning) does not load trafilatura and lxml."""

from __future__ import annotations

from dataclasses import dataclass

from newsd.daemon.boilerplate import Removed


@dataclass(frozen=True)
class Document:
    """What extraction found in one page."""

    text: str  # paragraphs separated by a blank line
    title: str | None = None
    authors: tuple[str, ...] = ()
    published_at: str | None = None  # UTC ISO-8601
    language: str | None = None  # primary subtag, e.g. 'en'
    site_name: str | None = None
    image: str | None = None
    tags: tuple[str, ...] = ()
    removed: tuple[Removed, ...] = ()
    canonical_url: str | None = None  # the URL the page names as its own (rel=canonical, og:url), absolute
