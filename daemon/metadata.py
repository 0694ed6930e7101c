"""Article metadata from what the page declares: meta tags and JSON-LD.

trafilatura's own metadata pass also guesses authors and categories from the
page's markup; those guesses cost more than the article extraction's own
budget allows (see docs/benchmarks.md), and the boilerplate pass finds the
bylines inside the text anyway. What a page declares about itself is read
here, with trafilatura's readers for meta tags and JSON-LD, and htmldate in its
fast mode for the date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import examine_meta, extract_meta_json, extract_sitename, extract_title

from newsd.daemon.dates import parse_iso
from newsd.daemon.text import primary_language

log = logging.getLogger(__name__)

_PUBLISHED_META = ("article:published_time", "og:published_time", "datePublished", "pubdate", "publishdate")
_TAG_META = ("article:tag", "news_keywords", "keywords")


@dataclass(frozen=True)
class PageMetadata:
    """What a page says about the article in it."""

    title: str | None = None
    authors: tuple[str, ...] = ()
    published_at: str | None = None  # UTC ISO-8601
    language: str | None = None  # primary subtag
    site_name: str | None = None
    image: str | None = None
    tags: tuple[str, ...] = ()


def _meta(tree: HtmlElement, *names: str) -> list[str]:
    """Non-empty contents of <meta property|name|itemprop=...> for ``names``, in page order."""
    values = []
    for name in names:
        for value in tree.xpath(f'//meta[@property="{name}" or @name="{name}" or @itemprop="{name}"]/@content'):
            if value.strip():
                values.append(value.strip())
    return values


def split_names(value: str | list[str] | None, separators: str = ";") -> tuple[str, ...]:
    """Names from trafilatura's joined strings (or lists), without repeats."""
    if not value:
        return ()
    items = value if isinstance(value, list) else [value]
    parts: list[str] = []
    for item in items:
        for sep in separators[1:]:
            item = item.replace(sep, separators[0])
        parts.extend(item.split(separators[0]))
    return tuple(dict.fromkeys(" ".join(p.split()) for p in parts if p.strip()))


def _language(tree: HtmlElement) -> str | None:
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    return primary_language(lang or next(iter(_meta(tree, "og:locale", "language")), None))


def _published(tree: HtmlElement, declared: str | None, url: str | None) -> str | None:
    for value in [*_meta(tree, *_PUBLISHED_META), declared]:
        parsed = parse_iso(value)
        if parsed:
            return parsed
    # htmldate's fast mode: the URL, <time> elements and header markup, not a
    # search of the whole text.
    found = find_date(tree, url=url, extensive_search=False, original_date=True)
    return parse_iso(found) if found else None


def page_metadata(tree: HtmlElement, url: str | None = None) -> PageMetadata:
    """Title, authors, date, language, site, image and tags the page declares."""
    try:
        declared = extract_meta_json(tree, examine_meta(tree))
    except Exception:  # a broken JSON-LD block costs its metadata, not the article
        log.debug("unreadable page metadata at %s", url, exc_info=True)
        declared = examine_meta(tree)
    title = declared.title or extract_title(tree)
    tags = split_names(_meta(tree, *_TAG_META), ";,") + split_names(declared.tags, ";,") \
        + split_names(declared.categories, ";,")
    return PageMetadata(
        title=" ".join(title.split()) if title else None,
        authors=split_names(declared.author),
        published_at=_published(tree, declared.date, url),
        language=_language(tree),
        site_name=(declared.sitename or extract_sitename(tree) or "").lstrip("@") or None,
        image=declared.image,
        tags=tuple(dict.fromkeys(tags)),
    )
