"""Feed bytes to entries, with each entry's identity. Pure: no network, no disk.

feedparser gets the raw bytes plus the response headers (it needs both to
find the character encoding), never a URL or a decoded string.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import xml.sax
from collections import Counter
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urljoin, urlsplit

import feedparser

from newsd.daemon import sax_driver
from newsd.daemon.dates import from_struct_time
from newsd.daemon.errors import MalformedFeed, NotAFeed
from newsd.daemon.schedule import feed_ttl_seconds
from newsd.daemon.text import html_to_text, looks_like_html, primary_language
from newsd.daemon.urls import DEFAULT_TRACKING, TrackingParams, canonical_url

_FEED_LINK = re.compile(
    rb"<link[^>]+type=[\"']application/(?:rss|atom)\+xml[\"'][^>]*>", re.IGNORECASE
)
_HREF = re.compile(rb"href=[\"']([^\"']+)[\"']", re.IGNORECASE)

# feedparser's strict parser is the SAX driver named first here (newsd.daemon.sax_driver: expat
# with its text buffered). Set once: newsd is the only user of feedparser in its processes.
feedparser.api.PREFERRED_XML_PARSERS[:] = [sax_driver.__name__]


@dataclass(frozen=True)
class Entry:
    """One item of a feed, as plain text and absolute links."""

    key: str  # identity within the feed: GUID, else link, else a content hash
    guid: str | None
    link: str | None
    title: str | None
    summary: str  # plain text, paragraphs separated by a blank line; "" when the entry has content
    content: str  # plain text of the full content, when the feed carries it
    published_at: str | None  # UTC ISO-8601
    authors: tuple[str, ...]
    language: str | None


@dataclass(frozen=True)
class Feed:
    """A parsed feed document."""

    title: str | None
    site_url: str | None
    language: str | None
    version: str
    entries: tuple[Entry, ...]
    warning: str | None  # what the parser had to recover from, if anything
    ttl_s: int | None = None  # how often the feed says to poll it (<ttl>, sy:updatePeriod), in seconds


def _discover_feed_link(body: bytes, base_url: str) -> str | None:
    """The feed an HTML page advertises with <link rel=alternate type=...+xml>."""
    match = _FEED_LINK.search(body[:200_000])
    if match:
        href = _HREF.search(match.group(0))
        if href:
            return urljoin(base_url, href.group(1).decode("utf-8", "replace"))
    return None


def _authors(item: Mapping[str, Any]) -> tuple[str, ...]:
    names = [a.get("name", "").strip() for a in item.get("authors", []) if isinstance(a, Mapping)]
    names = [n for n in names if n]
    if not names and item.get("author"):
        names = [str(item["author"]).strip()]
    return tuple(dict.fromkeys(names))


def _content_text(item: Mapping[str, Any]) -> str:
    """The longest content block of an entry, as text."""
    texts = [html_to_text(c.get("value")) for c in item.get("content", []) if isinstance(c, Mapping)]
    return max(texts, key=len, default="")


def _digest(title: str | None, text: str, length: int) -> str:
    """A short hex fingerprint of an entry's title and text."""
    return hashlib.sha256(f"{title or ''}\n{text}".encode("utf-8")).hexdigest()[:length]


def entry_key(guid: str | None, link: str | None, title: str | None, text: str, guid_repeats: bool,
              tracking: TrackingParams = DEFAULT_TRACKING) -> str:
    """The entry's identity: the GUID, else the link, else a hash of title and text.

    A GUID that occurs more than once in one document is no identity on its
    own, so such entries are told apart by their links.
    """
    if guid:
        return f"{guid} {link}" if guid_repeats and link else guid
    if link:
        # Canonical, so a rotating utm_* parameter does not make the same item new on every poll.
        return canonical_url(link, tracking)
    return f"sha256:{_digest(title, text, 32)}"


def _entry_date(item: Mapping[str, Any]) -> Any:
    """Published, else updated ("in" first: feedparser warns when one key stands in for the other)."""
    for key in ("published_parsed", "updated_parsed"):
        if key in item and item[key]:
            return item[key]
    return None


def _separate_repeated_keys(entries: list[Entry]) -> tuple[Entry, ...]:
    """Entries that still share a key (same GUID and link) but differ in content get a content suffix.

    Otherwise the second story would look already stored and be lost.
    """
    counts = Counter(e.key for e in entries)
    result = []
    for entry in entries:
        if counts[entry.key] > 1:
            digest = _digest(entry.title, entry.content or entry.summary, 16)
            entry = dataclasses.replace(entry, key=f"{entry.key} sha256:{digest}")
        result.append(entry)
    return tuple(result)


def _title(item: Mapping[str, Any]) -> str | None:
    """A title as one line of text; an HTML title (Atom type="html") loses its markup."""
    title = item.get("title") or ""
    detail = item.get("title_detail")
    if isinstance(detail, Mapping) and "html" in str(detail.get("type") or "") and "<" in title:
        title = html_to_text(title)
    return " ".join(title.split()) or None


def _absolute(base_url: str, link: str | None) -> str | None:
    if not link or not link.strip():
        return None
    try:
        joined = urljoin(base_url, link.strip())
    except ValueError:  # e.g. "http://[::1/oops": one broken link must not sink the feed
        return None
    if joined.startswith("file://") and not joined.startswith("file:///"):
        # feedparser turns file:///srv/a.html into file://srv/a.html; put the path back.
        joined = "file:///" + joined[len("file://"):]
    return joined if urlsplit(joined).scheme else None


def parse_feed(body: bytes, headers: Mapping[str, str], base_url: str,
               tracking: TrackingParams = DEFAULT_TRACKING) -> Feed:
    """Parse a feed document; raise NotAFeed or MalformedFeed when it has nothing to offer.

    ``tracking``: the query parameters a link's identity ignores (the config's [dedup] tracking_params).
    """
    # Relative links are resolved here, against base_url; handing feedparser a
    # content-location instead would make it treat a header-less document as
    # an HTTP response without Content-Type and flag it as broken.
    headers = {k.lower(): v for k, v in headers.items()}
    # No HTML sanitising and no relative-URI rewriting inside the markup: newsd keeps
    # only the text of summaries and contents (html_to_text skips scripts, styles and
    # embeds itself), and the two passes are over a third of feedparser's time.
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    problem = parsed.get("bozo_exception")
    if not parsed.entries:
        if not body.strip():
            raise NotAFeed("empty response: the server sent no feed document")
        if looks_like_html(body) and not parsed.get("version"):
            hint = _discover_feed_link(body, base_url)
            advice = f"; the page names a feed at {hint}" if hint else "; use the site's RSS or Atom URL"
            raise NotAFeed("not a feed: got an HTML page" + advice)
        if isinstance(problem, xml.sax.SAXException):
            # Broken XML and nothing recovered: an error, unlike a valid feed with no entries.
            raise MalformedFeed(f"malformed feed XML: {problem}")
    if not parsed.get("version") and not parsed.entries:
        if problem is not None:
            raise MalformedFeed(f"malformed feed XML: {problem}")
        raise NotAFeed("not a feed: no RSS, Atom or RDF document found")
    info = parsed.feed
    feed_language = primary_language(info.get("language"))
    guid_counts = Counter((item.get("id") or "").strip() for item in parsed.entries)
    entries: list[Entry] = []
    for item in parsed.entries:
        guid = (item.get("id") or "").strip() or None
        link = _absolute(base_url, item.get("link"))
        title = _title(item)
        content = _content_text(item)
        # Only one of the two is ever stored, the content first: a feed that carries both
        # (often the same HTML twice) would be turned into text twice for nothing.
        summary = "" if content else html_to_text(item.get("summary"))
        entries.append(
            Entry(
                key=entry_key(guid, link, title, content or summary, guid_counts.get(guid, 0) > 1, tracking),
                guid=guid,
                link=link,
                title=title,
                summary=summary,
                content=content,
                published_at=from_struct_time(_entry_date(item)),
                authors=_authors(item),
                language=primary_language(item.get("language")) or feed_language,
            )
        )
    return Feed(
        title=_title(info),
        site_url=_absolute(base_url, info.get("link")),
        language=feed_language,
        version=parsed.get("version") or "unknown",
        entries=_separate_repeated_keys(entries),
        warning=str(problem) if problem is not None else None,
        ttl_s=feed_ttl_seconds(info.get("ttl"), info.get("sy_updateperiod"), info.get("sy_updatefrequency")),
    )
