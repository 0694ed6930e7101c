"""Article metadata from what the page declares: meta tags and JSON-LD.

trafilatura's metadata pass also guesses authors and categories from the
page's markup and repairs broken JSON-LD with regular expressions; on news
pages that costs more than the extraction itself is allowed (see
docs/benchmarks.md), and the boilerplate pass finds bylines inside the text
anyway. Here the page's declarations are read in one pass over its <meta>
tags and its JSON-LD blocks (malformed ones are skipped), with htmldate's
fast mode for pages that declare no date, and the byline's markup for pages
that declare no author.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin
from dataclasses import dataclass
from typing import Any, Iterator

from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura.metadata import extract_title

from newsd.daemon.boilerplate import split_credit
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
# Markup that names the author on pages that declare none: a rel="author" link,
# schema.org microdata, or a class that says byline or author ("byline",
# "c-byline__author", "author-name"). Not in a comment section: a commenter is
# not the article's author.
# contains() runs in libxml2; the regular expressions below only see what it finds.
_BYLINE = XPath("//*[@rel='author' or @itemprop='author' or contains(@class, 'yline') or contains(@class, 'uthor')]")
_BYLINE_CLASS = re.compile(r"(^|[\s_-])(byline|author)", re.I)
_COMMENTS = re.compile("comment", re.I)
BYLINE_MAX_CHARS = 80  # longer is an author's bio or a whole header, not a byline
# What a byline puts before the names ("By", "Posted by", "Von", "Par", "Por", "Di", "Door", "Av", "Af").
_BYLINE_PREFIX = re.compile(r"^((posted|written|reported|words|text|story) by|by|von|par|por|di|door|av|af)\b\s*:?\s*", re.I)
# A weekday after the names starts the date: "Jeff Foust Monday, March 4, 2024".
_WEEKDAY = re.compile(r"\s(monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch|"
                      r"donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b.*",
                      re.I)
# What follows the names in the same element: "By Jane Miller | 3 March 2024", "Jane Miller · Reporter".
_AFTER_NAMES = re.compile(r"\s[|•·]\s|\s[–—-]\s")


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


def _is_name(text: str) -> bool:
    """A few words, the first and last capitalised: "Jane Miller", "Ursula von der Leyen", not "Share this"."""
    words = text.split()
    return 1 <= len(words) <= 5 and words[0][:1].isupper() and words[-1][:1].isupper() and words[-1][-1:].isalpha() \
        and all(word[:1].isupper() or len(word) <= 3 for word in words)  # "von", "de", "al"


def _byline_names(text: str) -> list[str]:
    """The names in a byline's text ("By Jane Miller and John Roe | 3 March 2024"), or none
    when it does not read like names."""
    text = _WEEKDAY.sub("", _BYLINE_PREFIX.sub("", _AFTER_NAMES.split(_fold(text))[0]))
    if not text or len(text) > BYLINE_MAX_CHARS or any(ch in "@:/" for ch in text):
        return []
    # a date after a comma is no name: "Anna Schmidt, 03.03.2024"
    names = [name for name in split_credit(text) if not any(ch.isdigit() for ch in name)]
    return names if names and all(map(_is_name, names)) else []


def _byline_authors(tree: HtmlElement) -> list[str]:
    """Authors from the first byline in the markup (``_BYLINE``) whose text reads like names."""
    for element in _BYLINE(tree):
        if not (element.get("rel") == "author" or element.get("itemprop") == "author"
                or _BYLINE_CLASS.search(element.get("class", ""))):
            continue
        if any(_COMMENTS.search(f"{e.get('class', '')} {e.get('id', '')}") for e in element.iterancestors()) \
                or _COMMENTS.search(element.get("class", "")):
            continue
        # microdata: the name is the itemprop="name" inside the author element, when there is one
        name = next((e for e in element.iter() if e.get("itemprop") == "name"), element)
        names = _byline_names(" ".join(name.itertext()))
        if names:
            return names
    return []


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
        authors=split_joined(_names(article.get("author")) or [v for n in _AUTHORS for v in tags.get(n, [])]
                             or _byline_authors(tree)),
        published_at=_published(tags, article, tree, url),
        language=primary_language(lang or None),
        site_name=_first(tags, "og:site_name", "application-name") or _fold(publisher.get("name")) or None,
        image=_first(tags, "og:image", "og:image:url", "twitter:image") or _image(article.get("image")),
        tags=split_joined([v for n in _TAGS for v in tags.get(n, [])] + [str(k) for k in keyword_list], ";,"),
        canonical_url=_canonical(tree, tags, url),
    )
