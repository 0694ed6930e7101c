"""Plain values the store writes and reads back. The pipeline builds them; the store knows no HTTP."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArticleRecord:
    """One distinct story, ready to store."""

    url: str | None  # canonical URL; None for an entry that had no link
    title: str | None
    text: str
    authors: tuple[str, ...]
    published_at: str | None  # UTC ISO-8601
    fetched_at: str
    language: str | None
    site_name: str | None
    word_count: int
    content_hash: str
    text_source: str  # 'page' or 'feed'
    page_error: str | None = None  # why the page's text was not used, if it was not


@dataclass(frozen=True)
class SourceRecord:
    """One appearance of a story in a feed."""

    feed_id: int
    entry_key: str  # the entry's identity within its feed
    url: str | None  # the link as the feed gave it
    canonical_url: str | None  # the same, canonicalised: what lookups compare
    guid: str | None
    title: str | None
    seen_at: str


@dataclass(frozen=True)
class FingerprintRecord:
    """A story's near-duplicate fingerprint, as the store keeps it."""

    signature: bytes  # packed MinHash signature
    band_keys: tuple[int, ...]  # one LSH key per band (signed 64-bit)


@dataclass(frozen=True)
class StoredStory:
    """A stored story as deduplication compares it."""

    title: str | None
    text: str
    url: str | None


@dataclass(frozen=True)
class PollRecord:
    """The outcome of polling one feed once: the feed's new state plus its log row."""

    feed_id: int
    started_at: str
    duration_ms: int
    http_status: int | None
    bytes: int
    new_entries: int
    page_errors: int
    error: str | None
    # Feed state. title and site_url: None keeps the stored value.
    title: str | None = None
    site_url: str | None = None
    # The validators for the next conditional GET, written as given.
    etag: str | None = None
    last_modified: str | None = None
    # The schedule (newsd.daemon.schedule), written as given. error_count None
    # counts up on an error and resets on success.
    error_count: int | None = None
    next_poll_at: str | None = None
    interval_s: int | None = None
    failing_since: str | None = None
    disabled_reason: str | None = None
    published_gap_s: int | None = None
    newest_entry_at: str | None = None
    body_hash: str | None = None  # of the last document whose entries were all stored


@dataclass(frozen=True)
class PageRecord:
    """An article's raw page, compressed, kept so it can be extracted again."""

    url: str  # the final URL the page came from, as fetched (not canonicalised)
    compression: str  # how ``html`` is packed: 'zlib'
    html: bytes  # the page's bytes exactly as received, compressed
    fetched_at: str


@dataclass(frozen=True)
class ParagraphStat:
    """How often one normalised paragraph appeared in a site's articles."""

    key: str
    articles: int  # distinct articles of the site that carried it
    first_seq: int  # the site's article count when it was first seen (1 = the site's first article)
    sample: str | None  # its first 200 characters, once seen twice


@dataclass(frozen=True)
class StoredPage:
    """An article with its kept page, as re-extraction reads it."""

    article: dict  # the articles row
    page: PageRecord | None  # None when no page was kept
