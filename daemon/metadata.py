"""Article metadata from what the page declares: meta tags and JSON-LD.

trafilatura's metadata pass also guesses authors and categories from the
page's markup and repairs broken JSON-LD with regular expressions; on news
pages that costs more than the extraction itself is allowed (see
docs/benchmarks.md), and the boilerplate pass finds bylines inside the text
anyway. Here the page's declarations are read in one pass over its <meta>
tags and its JSON-LD blocks (malformed ones are skipped), with htmldate's
fast mode for pages that declare no date.
"""

from __future__ import annotations

import json
from urllib.parse import urljoin
from dataclasses import dataclass
from typing import Any, Iterator

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import extract_title

from newsd.daemon.dates import parse_iso
from newsd.daemon.text import primary_language

# JSON-LD types that describe the article itself (schema.org Article and its kinds).
ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "blogposting", "socialmediaposting", "liveblogposting",
    "scholarlyarticle", "techarticle", "report", "webpage",
})
_PUBLISHED = ("article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
              "dc.date.issued", "dc.date", "date", "sailthru.date", "parsely-pub-date")
_AUTHORS = ("author", "article:author", "parsely-author", "dc.creator", "sailthru.author", "byl")
_TAGS = ("article:tag", "news_keywords", "keywords", "parsely-tags")


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
    canonical_url: str | None = None  # the page's rel=canonical, else og:url, made absolute


def _fold(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _meta_tags(tree: HtmlElement) -> dict[str, list[str]]:
    """Every <meta> content by its lower-cased property, name or itemprop, in page order."""
    tags: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = _fold(meta.get("content"))
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        if content and key:
            tags.setdefault(key.strip().lower(), []).append(content)
    return tags


def _first(tags: dict[str, list[str]], *names: str) -> str | None:
    return next((tags[name][0] for name in names if name in tags), None)


def _json_ld_objects(tree: HtmlElement) -> Iterator[dict]:
    """The objects of the page's JSON-LD blocks, @graph members included; broken blocks are skipped."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        pending = data if isinstance(data, list) else [data]
        while pending:
            item = pending.pop(0)
            if isinstance(item, dict):
                pending.extend(item.get("@graph", []) if isinstance(item.get("@graph"), list) else [])
                yield item
            elif isinstance(item, list):
                pending.extend(item)


def _types(item: dict) -> set[str]:
    kind = item.get("@type", [])
    return {str(k).lower() for k in (kind if isinstance(kind, list) else [kind])}


def _article_object(tree: HtmlElement) -> dict:
    """The JSON-LD object describing the article (the first of an article type), or {}."""
    fallback: dict = {}
    for item in _json_ld_objects(tree):
        types = _types(item)
        if types & ARTICLE_TYPES - {"webpage"}:
            return item
        if not fallback and "webpage" in types and item.get("headline"):
            fallback = item
    return fallback


def _names(value: Any) -> list[str]:
    """Names from JSON-LD's "author": a string, {"name": ...}, or a list of either."""
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    if isinstance(value, dict):
        return _names(value.get("name"))
    name = _fold(value)
    return [name] if name else []


def split_joined(values: list[str], separators: str = ";") -> tuple[str, ...]:
    """Names from joined strings ("a; b"), without repeats, URLs or blanks."""
    parts: list[str] = []
    for value in values:
        for sep in separators[1:]:
            value = value.replace(sep, separators[0])
        parts.extend(_fold(p) for p in value.split(separators[0]))
    return tuple(dict.fromkeys(p for p in parts if p and "://" not in p))


def _image(value: Any) -> str | None:
    if isinstance(value, list):
        return next((found for found in map(_image, value) if found), None)
    if isinstance(value, dict):
        return _image(value.get("url"))
    return _fold(value) or None


def _published(tags: dict[str, list[str]], article: dict, tree: HtmlElement, url: str | None) -> str | None:
    for value in [*(v for name in _PUBLISHED for v in tags.get(name, [])), article.get("datePublished")]:
        parsed = parse_iso(_fold(value)) if value else None
        if parsed:
            return parsed
    # htmldate's fast mode: the URL, <time> elements and header markup, not a
    # search of the whole text.
    found = find_date(tree, url=url, extensive_search=False, original_date=True)
    return parse_iso(found) if found else None


def _canonical(tree: HtmlElement, tags: dict[str, list[str]], url: str | None) -> str | None:
    """The URL the page names as its own: <link rel="canonical">, else og:url."""
    href = next((link.get("href") for link in tree.iter("link")
                 if "canonical" in (link.get("rel") or "").lower().split() and (link.get("href") or "").strip()), None)
    href = (href or _first(tags, "og:url") or "").strip()
    if not href:
        return None
    try:
        return urljoin(url or "", href)
    except ValueError:  # "http://[bad" and the like: no usable URL
        return None


def page_metadata(tree: HtmlElement, url: str | None = None) -> PageMetadata:
    """Title, authors, date, language, site, image and tags the page declares."""
    tags = _meta_tags(tree)
    article = _article_object(tree)
    publisher: dict = article["publisher"] if isinstance(article.get("publisher"), dict) else {}
    title = _fold(article.get("headline")) or _first(tags, "og:title", "twitter:title") or extract_title(tree)
    keywords = article.get("keywords")
    keyword_list = keywords if isinstance(keywords, list) else [keywords] if isinstance(keywords, str) else []
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") \
        or _first(tags, "og:locale", "content-language", "language") or _fold(article.get("inLanguage"))
    return PageMetadata(
        title=_fold(title) or None,
        authors=split_joined(_names(article.get("author")) or [v for n in _AUTHORS for v in tags.get(n, [])]),
        published_at=_published(tags, article, tree, url),
        language=primary_language(lang or None),
        site_name=_first(tags, "og:site_name", "application-name") or _fold(publisher.get("name")) or None,
        image=_first(tags, "og:image", "og:image:url", "twitter:image") or _image(article.get("image")),
        tags=split_joined([v for n in _TAGS for v in tags.get(n, [])] + [str(k) for k in keyword_list], ";,"),
        canonical_url=_canonical(tree, tags, url),
    )
