"""Article HTML to clean text and metadata.

trafilatura makes the first cut (main content and metadata); the boilerplate
pass then removes the paragraphs generic extraction keeps in, and moves
bylines and credits into metadata. CPU-bound and free of I/O: the pipeline
runs it off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import trafilatura
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from newsd.daemon.boilerplate import Removed, Rule, apply_rules, default_rules
from newsd.daemon.dates import parse_iso
from newsd.daemon.page_facts import fold, page_facts
from newsd.daemon.text import join_paragraphs, primary_language, split_paragraphs


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


def _meta(tree: HtmlElement, *names: str) -> str | None:
    """The first non-empty <meta property|name=...> content among ``names``."""
    for name in names:
        for value in tree.xpath(f'//meta[@property="{name}" or @name="{name}"]/@content'):
            if value.strip():
                return value.strip()
    return None


def _language(tree: HtmlElement) -> str | None:
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or _meta(tree, "og:locale")
    return primary_language(lang)


def _split_list(value: str | list[str] | None, separators: str = ";") -> tuple[str, ...]:
    """Names from trafilatura's joined strings (or lists), without repeats."""
    if not value:
        return ()
    items = value if isinstance(value, list) else [value]
    parts: list[str] = []
    for item in items:
        for sep in separators[1:]:
            item = item.replace(sep, separators[0])
        parts.extend(item.split(separators[0]))
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))


def extract(html: str | bytes, url: str | None = None, rules: tuple[Rule, ...] | None = None,
            disabled: frozenset[str] = frozenset()) -> Document:
    """Clean article text and metadata of one page; empty text when there is no article."""
    tree = load_html(html)
    if tree is None:
        return Document(text="")
    # Read what trafilatura does not report before it prunes the tree.
    language = _language(tree)
    published_meta = parse_iso(_meta(tree, "article:published_time", "og:published_time", "datePublished"))
    facts = page_facts(tree)
    result: Any = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        # trafilatura's own cross-document dedup keeps state between calls and
        # would cut paragraphs from later articles of a long run.
        deduplicate=False,
    )
    if result is None:
        return Document(text="", language=language)
    paragraphs = split_paragraphs(result.text or "")
    title = fold(result.title or "") or None
    if result.body is not None:
        facts = replace(facts, headings=frozenset(fold("".join(h.itertext())) for h in result.body.iter("head")))
    cleaned = apply_rules(paragraphs, default_rules() if rules is None else rules, facts, title, disabled)
    authors = _split_list(result.author) + cleaned.authors
    return Document(
        text=join_paragraphs(list(cleaned.paragraphs)),
        title=title,
        authors=tuple(dict.fromkeys(authors)),
        published_at=published_meta or parse_iso(result.date),
        language=language or (result.language or None),
        site_name=result.sitename or cleaned.site_name,
        image=result.image,
        tags=tuple(dict.fromkeys(_split_list(result.tags, ";,") + _split_list(result.categories, ";,"))),
        removed=cleaned.removed,
    )
