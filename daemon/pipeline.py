"""One poll of many feeds: feed → new entries → pages → clean text → store.

The only module that knows the order of the stages. Each feed is polled as
its own task; its articles are fetched concurrently within the HTTP limits;
extraction runs in worker threads; every write is one short transaction on
the single store connection, made from the event loop thread. A new article's
raw page is kept with it, and its paragraphs are counted for its site's
learned boilerplate in the same transaction (``site_learning``).
Failures are values: a bad feed or page is recorded and the run goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import sqlite3
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from typing import Any, AsyncIterator, Callable, Literal
from urllib.parse import urlsplit

from newsd.config import Settings
from newsd.daemon.dates import clamp_future, iso_utc, parse_stored, seconds_between
from newsd.daemon.schedule import FeedSchedule, Limits, PollFacts, after_poll, limits_of
from newsd.daemon.errors import FeedError
from newsd.daemon.document import Document
from newsd.daemon.feed import Entry, Feed
from newsd.daemon.fetcher import FEED_ACCEPT, HTML_ACCEPT, Fetcher, FetchResult, checking_hops
from newsd.daemon.workers import Workers
from newsd.daemon.netguard import refusal_reason, trusting
from newsd.daemon.robots import RobotsCache
from newsd.daemon.dedup import StoryMatch, can_match_near, find_copy, find_near, fingerprint_of, is_fuller
from newsd.daemon.story_facts import EXCERPT_RATIO, same_story
from newsd.daemon.site_learning import learn_and_clean, without_learned
from newsd.daemon.text import content_hash, looks_like_html, word_count
from newsd.daemon.urls import DEFAULT_TRACKING, TrackingParams, canonical_url, same_site, site_of
from newsd.storage import (ArticleRecord, FingerprintRecord, PageRecord, PollRecord, SourceRecord, Store,
                           is_store_failure)
from newsd.storage.store import utc_now

log = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
ROBOTS_ACCEPT = "text/plain, */*;q=0.5"
# A new feed entry for a stored URL (a changed GUID, another feed) fetches the
# page again to look for an update, unless the text is younger than this.
REVISIT_AFTER_S = 3600
# A poll's writes (one short transaction per new entry) are committed together about this often:
# a commit costs more than an entry's rows. A crash loses at most this much, and the next poll redoes it.
GROUP_COMMIT_S = 0.1


FeedStatus = Literal["ok", "not_modified", "failed"]


@dataclass
class FeedOutcome:
    """How polling one feed went."""

    url: str
    status: FeedStatus = "ok"
    http_status: int | None = None
    articles_new: int = 0
    entries_known: int = 0
    page_errors: list[str] = field(default_factory=list)
    error: str | None = None
    next_poll_at: str | None = None  # when the schedule wants it polled again
    disabled_reason: str | None = None  # set when this poll made newsd stop polling it
    moved_to: str | None = None  # the feed's new URL, after a permanent redirect


@dataclass
class RunSummary:
    """The outcome of one fetch run over many feeds."""

    outcomes: list[FeedOutcome] = field(default_factory=list)
    duration_s: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def all_failed(self) -> bool:
        return bool(self.outcomes) and self.count("failed") == len(self.outcomes)

    def line(self) -> str:
        """The one-line summary for logs."""
        d = self.as_dict()
        return (
            f"{d['feeds_polled']} feeds polled, {d['feeds_not_modified']} not modified, {d['feeds_failed']} failed; "
            f"{d['articles_new']} new articles, {d['entries_known']} known entries, "
            f"{d['pages_failed']} page errors in {d['duration_s']:.1f} s"
        )

    def as_dict(self) -> dict:
        return {
            "feeds_polled": len(self.outcomes),
            "feeds_not_modified": self.count("not_modified"),
            "feeds_failed": self.count("failed"),
            "articles_new": sum(o.articles_new for o in self.outcomes),
            "entries_known": sum(o.entries_known for o in self.outcomes),
            "pages_failed": sum(len(o.page_errors) for o in self.outcomes),
            "duration_s": round(self.duration_s, 3),
            "feeds": [asdict(o) for o in self.outcomes],
        }


def page_problem(page: FetchResult) -> str | None:
    """Why a fetched article page cannot be extracted, if it cannot."""
    if not page.ok:
        return page.error or "fetch failed"
    looks_html = looks_like_html(page.body)
    if page.content_type and page.content_type not in HTML_TYPES and not looks_html:
        return f"not an HTML page ({page.content_type})"
    if not page.content_type and not looks_html:
        return "not an HTML page (no content type, no HTML markup)"
    return None


def choose_text(page_text: str, feed_text: str) -> tuple[str, str, str | None]:
    """Pick the page's text or the feed's: (text, 'page' or 'feed', why the page lost).

    A page whose extracted text is less than half the feed's own text was not
    really extracted (a paywall, a script-only page, a cookie wall), so the
    feed's text is the better record of the story.
    """
    page_words, feed_words = word_count(page_text), word_count(feed_text)
    if page_words and page_words * 2 >= feed_words:
        return page_text, "page", None
    if not page_words:
        return feed_text, "feed", None
    return feed_text, "feed", f"page text shorter than the feed's ({page_words} vs {feed_words} words)"


def page_url(final_url: str | None, declared: str | None, link: str | None,
             tracking: TrackingParams = DEFAULT_TRACKING) -> str | None:
    """The URL a story is stored under: the page's own rel=canonical (or og:url), else where the redirects ended.

    A declared URL on another site, or the site's home page or a section
    above the page (some templates declare it on every article), is not
    trusted.
    """
    url = canonical_url(final_url, tracking) if final_url else link
    if url and declared and same_site(declared, url):
        declared = canonical_url(declared, tracking)
        declared_path, own_path = urlsplit(declared).path.rstrip("/"), urlsplit(url).path
        # the home page or a section ("/news" for "/news/story") names no one story
        if declared_path and not own_path.startswith(declared_path + "/"):
            return declared
    return url


def build_article(entry: Entry, document: Document | None, url: str | None, fetched_at: str,
                  page_error: str | None) -> ArticleRecord:
    """The article to store: the page's text, unless the feed's own text is better."""
    text, source, reason = choose_text(document.text if document else "", entry.content or entry.summary)
    page_error = page_error or reason
    doc = document or Document(text="")
    published = clamp_future(entry.published_at or doc.published_at, fetched_at)
    return ArticleRecord(
        url=url,
        title=entry.title or doc.title,
        text=text,
        authors=doc.authors or entry.authors,
        published_at=published,
        fetched_at=fetched_at,
        language=doc.language or entry.language,
        site_name=doc.site_name,
        word_count=word_count(text),
        content_hash=content_hash(text),
        text_source=source,
        page_error=page_error,
    )


def new_validators(result: FetchResult, feed_row: dict, stored_all: bool) -> tuple[str | None, str | None]:
    """The ETag and Last-Modified to keep for the next conditional GET.

    A 200 whose entries were all stored replaces both with what it sent (a
    validator it no longer sends is dropped). A 304 may refresh either one
    and keeps the other. Anything else keeps the old ones: storing new
    validators before the entries are stored would turn the next poll into
    a 304 that hides them for good.
    """
    old = feed_row["etag"], feed_row["last_modified"]
    if result.ok and result.is_modified:
        return (result.etag, result.last_modified) if stored_all else old
    if result.ok:
        return result.etag or old[0], result.last_modified or old[1]
    return old


@dataclass(frozen=True)
class FetchedPage:
    """An entry's page after download and extraction."""

    document: Document | None  # None when the page was not fetched or not usable
    final_url: str | None  # after redirects
    problem: str | None = None  # why the page's text cannot be used
    kept: PageRecord | None = None  # the raw page to store, when it was HTML and keep_html is on


@dataclass(frozen=True)
class EntryOutcome:
    """What storing one new entry came to."""

    stored: bool  # something is in the store for it now (new article or new source)
    created: bool = False  # a new article, not another source of a known one
    page_error: str | None = None


class FeedLog(logging.LoggerAdapter):
    """A logger bound to one feed: every line names it once, in front."""

    def process(self, msg: object, kwargs: Any) -> tuple[str, Any]:
        return f"{self.extra['feed'] if self.extra else '?'}: {msg}", kwargs


class Poller:
    """Polls feeds with one fetcher into one store."""

    def __init__(self, store: Store, fetcher: Fetcher, work: Workers, settings: Settings,
                 clock: Callable[[], str] = utc_now, draw: Callable[[], float] = random.random,
                 poll_batch: int = 256) -> None:
        self.store = store
        self.fetcher = fetcher
        self.clock = clock  # the time, as the store writes it; injected so tests can fix it
        self.draw = draw  # random numbers in [0, 1) for the schedule's jitter
        # Canonical URLs being fetched right now, so two feeds carrying the
        # same new story in one run download it once.
        self._in_flight: dict[str, asyncio.Future[int | None]] = {}
        # robots.txt of each article site, fetched once a day per origin, through the same limits.
        self.robots = RobotsCache(self._fetch_robots, fetcher.settings.user_agent)
        # Poll records wait here and are written many to a transaction: one commit
        # per feed would cap a warm poll (all 304) at a few thousand feeds a second.
        self._pending_polls: list[PollRecord] = []
        self.poll_batch = poll_batch
        self.configure(work, settings)

    def configure(self, work: Workers, settings: Settings) -> None:
        """Take the config's settings (again, after a reload) and the workers built from them."""
        self.work = work  # where parsing and extraction run, off the event loop
        self.settings = settings
        self.keep_html = settings.storage.keep_html
        self.site_learning = settings.site_learning
        self.dedup = settings.dedup
        self.tracking = DEFAULT_TRACKING.extended(settings.dedup.tracking_params)
        self.fetch_pages = settings.poll.fetch_pages  # off: store the feed's own text, download no page

    def limits_for(self, feed_row: dict) -> Limits:
        """A feed's polling limits; the config still names a moved feed by its old URL."""
        configured_as = feed_row.get("moved_from") or feed_row["url"]
        return limits_of(self.settings.poll, self.settings.feed(configured_as))

    async def poll(self, feed_row: dict) -> FeedOutcome:
        """Poll one feed, store its new articles and schedule its next poll.

        Never raises for bad input or a bug in one feed's processing; store
        failures (sqlite3.Error) do raise, since no run can go on without the store.
        """
        # The user configured this feed, so its host may be on the intranet; for this
        # poll only (its page and robots.txt requests too), never for another feed's links.
        with trusting(feed_row["url"]):
            return await self._poll(feed_row)

    async def _poll(self, feed_row: dict) -> FeedOutcome:
        feed_log = FeedLog(log, {"feed": feed_row["url"]})
        outcome = FeedOutcome(url=feed_row["url"])
        started_at, started = self.clock(), time.monotonic()
        result = await self.fetcher.get(
            feed_row["url"], etag=feed_row["etag"], last_modified=feed_row["last_modified"], accept=FEED_ACCEPT
        )
        outcome.http_status = result.status
        feed: Feed | None = None
        stored_all = False
        body_hash = hashlib.sha256(result.body).hexdigest() if result.ok and result.is_modified else None
        if not result.ok:
            outcome.status, outcome.error = "failed", result.error
        elif not result.is_modified or body_hash == feed_row["body_hash"]:
            # A 200 with the very bytes whose entries are all stored is a 304 in all but name: nothing to parse.
            outcome.status = "not_modified"
            stored_all = True
        else:
            try:
                feed = await self.work.parse(result.body, result.headers, result.final_url)
                if feed.warning:
                    feed_log.info("feed is not well-formed, recovered: %s", feed.warning)
                stored_all = await self._store_entries(feed_row, feed, result.final_url, outcome, feed_log)
            except FeedError as exc:
                outcome.status, outcome.error = "failed", str(exc)
            except Exception as exc:  # a bug must cost one feed, not the run
                if is_store_failure(exc):
                    raise  # no run can go on without its store
                feed_log.exception("internal error while storing entries")
                outcome.status, outcome.error = "failed", f"internal error: {exc!r}"
        if outcome.error:
            feed_log.info("failed: %s", outcome.error)
        etag, last_modified = new_validators(result, feed_row, stored_all)
        if outcome.status == "ok":
            kept_hash = body_hash if stored_all else None
        else:
            kept_hash = feed_row["body_hash"]
        schedule = self._schedule(feed_row, result, feed, outcome, started_at)
        self._follow_permanent_redirect(feed_row, result, outcome, feed_log)
        self._record(
            PollRecord(
                feed_id=feed_row["id"],
                started_at=started_at,
                duration_ms=int((time.monotonic() - started) * 1000),
                http_status=result.status,
                bytes=len(result.body),
                new_entries=outcome.articles_new,
                page_errors=len(outcome.page_errors),
                error=outcome.error,
                title=feed.title if feed else None,
                site_url=feed.site_url if feed else None,
                etag=etag,
                last_modified=last_modified,
                error_count=schedule.error_count,
                next_poll_at=iso_utc(schedule.next_poll_at),
                interval_s=schedule.interval_s,
                failing_since=iso_utc(schedule.failing_since) if schedule.failing_since else None,
                disabled_reason=schedule.disabled_reason,
                published_gap_s=schedule.published_gap_s,
                newest_entry_at=iso_utc(schedule.newest_entry_at) if schedule.newest_entry_at else None,
                body_hash=kept_hash,
            )
        )
        outcome.next_poll_at = iso_utc(schedule.next_poll_at)
        if schedule.disabled_reason:
            outcome.disabled_reason = schedule.disabled_reason
            feed_log.warning("disabled: %s; 'newsd feeds enable %s' polls it again", schedule.disabled_reason,
                             outcome.moved_to or feed_row["url"])
        return outcome

    def _record(self, poll: PollRecord) -> None:
        """Queue a poll's record; written with others in one transaction (``flush``).

        A record that disables its feed is written at once: queued, it could
        land after a ``newsd feeds enable`` of that feed and undo it.
        """
        self._pending_polls.append(poll)
        if len(self._pending_polls) >= self.poll_batch or poll.disabled_reason:
            self.flush()

    def flush(self) -> None:
        """Write the queued poll records. Until then a feed's new schedule and validators are not in the store,
        so whoever reads what is due flushes first."""
        pending, self._pending_polls = self._pending_polls, []
        try:
            self.store.record_polls(pending)
        except BaseException:
            self._pending_polls = pending + self._pending_polls  # kept for the next flush
            raise
        self.store.commit_group()

    def postpone(self, feed_row: dict, error: str) -> None:
        """After a bug in a feed's poll: try it again after its default interval, not at once and forever."""
        limits = self.limits_for(feed_row)
        until = parse_stored(self.clock()) + timedelta(seconds=limits.default_interval_s)
        self.store.postpone_feed(feed_row["id"], iso_utc(until), error)

    def _schedule(self, feed_row: dict, result: FetchResult, feed: Feed | None, outcome: FeedOutcome,
                  started_at: str) -> FeedSchedule:
        """The feed's schedule after this poll (``newsd.daemon.schedule``)."""
        now = parse_stored(started_at)
        facts = PollFacts(
            now=now,
            ok=outcome.status != "failed",
            status=result.status,
            error=outcome.error,
            entry_dates=tuple(parse_stored(e.published_at) for e in feed.entries if e.published_at) if feed else (),
            new_entries=outcome.articles_new,
            max_age_s=result.max_age,
            expires_at=result.expires_at(),
            retry_after_s=result.retry_after(now),
            feed_ttl_s=feed.ttl_s if feed else None,
        )
        previous = stored_schedule(feed_row)
        last_polled = parse_stored(feed_row["last_polled_at"]) if feed_row.get("last_polled_at") else None
        return after_poll(previous, facts, self.limits_for(feed_row), self.draw(), last_polled)

    def _follow_permanent_redirect(self, feed_row: dict, result: FetchResult, outcome: FeedOutcome,
                                   feed_log: FeedLog) -> None:
        """A 301/308 names the feed's new home: poll that from now on (302/307 are temporary and change nothing)."""
        new_url = result.moved_to
        # A redesign that 301s old URLs to an error page has not moved the feed.
        if not result.ok or not new_url or new_url == feed_row["url"]:
            return
        if self.store.move_feed(feed_row["id"], new_url):
            outcome.moved_to = new_url
            feed_log.warning("moved permanently to %s; polling that from now on (update the config's url)", new_url)
        else:
            feed_log.warning("moved permanently to %s, which is another feed of the store; remove one of the two",
                             new_url)

    async def _store_entries(self, feed_row: dict, feed: Feed, feed_url: str, outcome: FeedOutcome,
                             feed_log: FeedLog) -> bool:
        """Store the feed's new entries; True when every one of them is now in the store."""
        known = self.store.known_entry_keys(feed_row["id"], [e.key for e in feed.entries])
        outcome.entries_known += len(known)
        local_feed = urlsplit(feed_url).scheme == "file"
        # An entry with neither a link nor any text has nothing to store.
        fresh = [
            e for e in dict((e.key, e) for e in feed.entries).values()
            if e.key not in known and (e.link or e.content or e.summary)
        ]
        # return_exceptions: one entry's bug must not leave its siblings running
        # after the feed is recorded; each result is looked at below.
        results = await asyncio.gather(
            *(self._store_entry(feed_row["id"], feed_row["url"], e, local_feed) for e in fresh),
            return_exceptions=True
        )
        stored_all = True
        for entry, result in zip(fresh, results):
            if isinstance(result, BaseException):
                if is_store_failure(result):
                    raise result
                feed_log.error("internal error while storing %s", entry.link or entry.key, exc_info=result)
                result = EntryOutcome(stored=False, page_error=f"{entry.link or entry.key}: internal error: {result!r}")
            stored_all = stored_all and result.stored
            if result.created:
                outcome.articles_new += 1
            elif result.stored:
                outcome.entries_known += 1
            if result.page_error:
                outcome.page_errors.append(result.page_error)
        return stored_all

    async def _store_entry(self, feed_id: int, feed_url: str, entry: Entry, local_feed: bool) -> EntryOutcome:
        """Store one new entry: as another source of a known story, or as a new article.

        An entry is known afterwards only if something was stored for it; one
        with no text anywhere is left for the next poll to try again.
        """
        seen_at = self.clock()
        link = canonical_url(entry.link, self.tracking) if entry.link else None
        source = SourceRecord(feed_id=feed_id, entry_key=entry.key, url=entry.link, canonical_url=link,
                              guid=entry.guid, title=entry.title, seen_at=seen_at)
        if link:
            # another entry of this run is fetching the URL (a new story, or a revisit): wait for it
            if link in self._in_flight:
                existing = await asyncio.shield(self._in_flight[link])
            else:
                existing = self.store.article_id_for_url(link)
                if existing is not None and self._due_for_revisit(link, seen_at):
                    return await self._revisit(existing, entry, feed_url, local_feed, source)
            if existing is not None:
                self.store.add_source(existing, source, 1.0)
                return EntryOutcome(stored=True)
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        if link:
            self._in_flight[link] = future
        try:
            fetched = await self._fetch_document(entry, feed_url, local_feed)
            url = page_url(fetched.final_url, fetched.document.canonical_url if fetched.document else None, link,
                           self.tracking)
            article = build_article(entry, fetched.document, url, seen_at, fetched.problem)
            if not article.text:
                future.set_result(None)
                if not self.fetch_pages:
                    # No page will ever be fetched for it: retrying would only keep the feed's
                    # validators unstored, so every later poll downloaded and parsed the feed again.
                    return EntryOutcome(stored=True, page_error=f"{entry.link}: the feed has no text for it and "
                                                                "fetch_pages is off; nothing stored")
                problem = fetched.problem or "no text"
                return EntryOutcome(stored=False, page_error=f"{entry.link}: {problem}; nothing stored, will retry")
            fingerprint = await self._prepared_fingerprint(article)
            article, article_id, created = self._add_article(entry, fetched, url, seen_at, source, article, fingerprint)
            future.set_result(article_id)
            if created:
                log.info("stored article %d: %s (%d words from the %s) %s", article_id, article.title or "(no title)",
                         article.word_count, article.text_source, url or "")
            error = f"{entry.link}: {article.page_error}" if article.page_error else None
            return EntryOutcome(stored=True, created=created, page_error=error)
        except BaseException:
            if not future.done():
                future.set_result(None)
            raise
        finally:
            if link and self._in_flight.get(link) is future:
                del self._in_flight[link]

    async def _fetch_robots(self, url: str) -> FetchResult:
        with checking_hops(None):  # robots.txt itself is never subject to robots.txt
            return await self.fetcher.get(url, accept=ROBOTS_ACCEPT)

    async def _robots_problem(self, url: str) -> str | None:
        """Why robots.txt forbids newsd ``url`` (a page or one of its redirect hops), or None."""
        if urlsplit(url).scheme.lower() not in ("http", "https") or await self.robots.allowed(url):
            return None
        return f"robots.txt disallows {url} for newsd; the feed's text is kept"

    def _due_for_revisit(self, link: str, now: str) -> bool:
        """Whether a stored story's own URL should be fetched again: its text is older than REVISIT_AFTER_S."""
        checked_at = self.store.text_checked_at(link)
        return checked_at is not None and seconds_between(checked_at, now) >= REVISIT_AFTER_S

    async def _revisit(self, article_id: int, entry: Entry, feed_url: str, local_feed: bool,
                       source: SourceRecord) -> EntryOutcome:
        """Fetch a stored story's page again: a changed text of the same story is kept as a new revision.

        Not an update, only another source: a page that now lives elsewhere
        (a redirect to the home page), or a text that is no longer the same
        story. Both texts lose the site's learned boilerplate before they
        are compared, so learning alone makes no revision.
        """
        link = source.canonical_url
        assert link is not None
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._in_flight[link] = future  # another feed's entry for it waits instead of fetching too
        try:
            fetched = await self._fetch_document(entry, feed_url, local_feed)
            with self.store.transaction():
                self._maybe_revise(article_id, entry, fetched, source)
                self.store.add_source(article_id, source, 1.0)
            return EntryOutcome(stored=True)
        finally:
            future.set_result(article_id)
            if self._in_flight.get(link) is future:
                del self._in_flight[link]

    def _maybe_revise(self, article_id: int, entry: Entry, fetched: FetchedPage, source: SourceRecord) -> None:
        link, seen_at, document = source.canonical_url, source.seen_at, fetched.document
        if document is None or not document.text:
            return  # the page failed: nothing to compare
        if page_url(fetched.final_url, document.canonical_url, link, self.tracking) != link:
            log.info("%s: the page now lives at another URL; article %d kept as it was", entry.link, article_id)
            return
        stored = self.store.story(article_id)
        if stored is None:
            return
        document = without_learned(self.store, document, link, self.site_learning)
        old_text = without_learned(self.store, Document(text=stored.text), link, self.site_learning).text
        article = build_article(entry, document, link, seen_at, fetched.problem)
        if article.text_source != "page" or article.content_hash == content_hash(old_text):
            self.store.page_checked(article_id, seen_at)
            return
        if not same_story(old_text, article.text, compare_facts=False):
            log.info("%s: the page now tells another story; article %d kept as it was", entry.link, article_id)
            return
        if is_fuller(old_text, article.text):
            # the story's text came from a fuller copy on another site: this page is still the teaser
            self.store.page_checked(article_id, seen_at)
            return
        revision = self.store.revise_article(article_id, article, fingerprint_of(article.text, self.dedup), seen_at,
                                             fetched.kept)
        log.info("%s: text changed, stored as revision %d of article %d", entry.link, revision, article_id)

    async def _prepared_fingerprint(self, article: ArticleRecord) -> FingerprintRecord | None:
        """The article's fingerprint, hashed by a worker off the event loop; None when it needs none.

        An exact copy of a stored story needs none (the cheap lookup finds it),
        nor does a text too short to be matched near.
        """
        if not can_match_near(article.text, self.dedup) or self.store.article_id_for_hash(article.content_hash):
            return None
        return await self.work.fingerprint(article.text)

    def _add_article(self, entry: Entry, fetched: FetchedPage, url: str | None, fetched_at: str,
                     source: SourceRecord, article: ArticleRecord,
                     fingerprint: FingerprintRecord | None) -> tuple[ArticleRecord, int, bool]:
        """Store a new article with its page, learning its site's boilerplate first.

        One transaction, with no await inside: the paragraphs are counted only
        when the article is really new (not another source of a stored one),
        and the article that makes a paragraph boilerplate already loses it.
        ``fingerprint``: the text's, when a worker made it already.
        """
        with self.store.transaction():
            existing = self.store.article_id_for_url(url) if url else None
            if existing is not None and url != source.canonical_url and not self._tells(existing, article):
                # The page names a stored URL (rel=canonical, or where its link redirects) but tells
                # another story: a template's wrong canonical, dead links sent to one page. Its own link holds it.
                log.info("%s: the page names %s, which holds another story; stored under its own link", entry.link, url)
                url = source.canonical_url
                article = replace(article, url=url)
                existing = self.store.article_id_for_url(url) if url else None
            if existing is not None:
                self.store.add_source(existing, source, 1.0)
                return article, existing, False
            match = find_copy(self.store, article.title, article.text, article.content_hash, self.dedup)
            exact = match is not None
            if match is None:
                # the copy that made the fingerprint look unneeded may be gone by now
                fingerprint = fingerprint or fingerprint_of(article.text, self.dedup)
                match = find_near(self.store, article.text, fingerprint, self.dedup, url=url) if fingerprint else None
            if match is not None:
                if not exact or self._may_be_fuller(article, match.article_id):
                    self._keep_the_fuller_text(match, article, fingerprint, fetched, fetched_at)
                self.store.add_source(match.article_id, source, match.similarity)
                return article, match.article_id, False
            site = site_of(url)
            document = fetched.document
            if self.site_learning.enabled and site and document and document.text:
                cleaned = learn_and_clean(self.store, site, document, self.site_learning)
                if cleaned is not document:
                    article = build_article(entry, cleaned, url, fetched_at, fetched.problem)
                    fingerprint = fingerprint_of(article.text, self.dedup)
            article_id, created = self.store.add_article(article, source, fetched.kept, fingerprint)
        return article, article_id, created

    def _tells(self, article_id: int, article: ArticleRecord) -> bool:
        """Whether ``article`` tells the stored story ``article_id`` (the same text, or a copy on its site)."""
        stored = self.store.story(article_id)
        return stored is not None and (content_hash(stored.text) == article.content_hash
                                       or same_story(stored.text, article.text, one_site=True))

    def _may_be_fuller(self, article: ArticleRecord, article_id: int) -> bool:
        """For an exact copy: whether its text could be the fuller, by the stored word count alone.

        The same folded words, but not always the same count: a page that puts
        paragraphs where a feed ran Chinese or Japanese sentences together counts
        more. Reading the count, not the text, keeps the common case cheap.
        """
        stored = self.store.word_count_of(article_id)
        return stored is not None and article.word_count >= EXCERPT_RATIO * max(1, stored)

    def _keep_the_fuller_text(self, match: StoryMatch, article: ArticleRecord, fingerprint: FingerprintRecord | None,
                              fetched: FetchedPage, at: str) -> None:
        """A teaser stored first gives way to the full story that arrives later (kept as a revision)."""
        stored = self.store.story(match.article_id)
        if stored is not None and is_fuller(article.text, stored.text):
            fingerprint = fingerprint or fingerprint_of(article.text, self.dedup)
            self.store.revise_article(match.article_id, article, fingerprint, at, fetched.kept)

    async def _fetch_document(self, entry: Entry, feed_url: str, local_feed: bool) -> FetchedPage:
        """Download an entry's page, keep it, and extract it."""
        if not entry.link or not self.fetch_pages:
            return FetchedPage(None, None)
        scheme = urlsplit(entry.link).scheme.lower()
        if scheme == "file" and not local_feed:
            # A feed from the web must not make newsd read local files.
            return FetchedPage(None, entry.link, "file:// link in a remote feed; not followed")
        if scheme not in ("http", "https", "file"):
            return FetchedPage(None, entry.link, f"unsupported link scheme {scheme!r}")
        # A feed must not make newsd probe the local network: a link to a private
        # address is followed only on the feed's own host (names are checked when resolved).
        refusal = refusal_reason(entry.link, feed_url, self.fetcher.settings.allow_private)
        if refusal is not None:
            log.warning("%s: %s", feed_url, refusal)
            return FetchedPage(None, entry.link, refusal)
        if scheme != "file":
            if not await self.robots.allowed(entry.link):
                return FetchedPage(None, entry.link, "robots.txt disallows this page for newsd; the feed's text is kept")
            # set, raised, lowered or dropped with the robots.txt newsd holds now
            self.fetcher.slow_down(entry.link, self.robots.crawl_delay(entry.link) or 0.0)
        with checking_hops(self._robots_problem):  # a redirect to a page robots.txt disallows is not followed
            page = await self.fetcher.get(entry.link, accept=HTML_ACCEPT)
        problem = page_problem(page)
        if problem is not None:
            log.info("%s: %s; using the feed's text", entry.link, problem)
            return FetchedPage(None, page.final_url, problem)
        # Kept even when extraction fails or finds nothing: a better extractor may, later.
        kept = None
        if self.keep_html:
            kept = await self.work.pack(page.final_url, page.body, self.clock())
        try:
            document = await self.work.extract(feed_url, page.final_url, page.body)
        except Exception as exc:  # a page that breaks the extractor costs its text, not the feed
            log.exception("%s: extraction failed", entry.link)
            return FetchedPage(None, page.final_url, f"extraction failed: {exc!r}", kept)
        if not document.text:
            return FetchedPage(document, page.final_url, "no article text found in the page", kept)
        return FetchedPage(document, page.final_url, None, kept)


def stored_schedule(feed_row: dict) -> FeedSchedule | None:
    """The schedule the store holds for a feed; None for a feed never scheduled."""
    if feed_row.get("interval_s") is None:
        return None
    return FeedSchedule(
        interval_s=feed_row["interval_s"],
        # NULL when made due by hand (feeds enable): any time will do, after_poll does not read it
        next_poll_at=parse_stored(feed_row["next_poll_at"] or feed_row["created_at"]),
        error_count=feed_row["error_count"],
        failing_since=parse_stored(feed_row["failing_since"]) if feed_row["failing_since"] else None,
        disabled_reason=feed_row["disabled_reason"],
        published_gap_s=feed_row["published_gap_s"],
        newest_entry_at=parse_stored(feed_row["newest_entry_at"]) if feed_row["newest_entry_at"] else None,
    )


async def fetch_feeds(
    store: Store, settings: Settings, feeds: list[dict], on_done: Callable[[FeedOutcome], None] | None = None
) -> RunSummary:
    """Poll ``feeds`` once, at most ``[poll] feeds_in_flight`` at a time, and return what happened."""
    started = time.monotonic()
    summary = RunSummary()
    slots = asyncio.Semaphore(settings.poll.feeds_in_flight)
    with Workers(settings, settings.poll.workers) as work:
        async with grouped_commits(store), Fetcher(settings.http) as fetcher:
            poller = Poller(store, fetcher, work, settings)

            async def poll_one(row: dict) -> None:
                async with slots:
                    outcome = await poll_safely(poller, row)
                summary.outcomes.append(outcome)
                if on_done:
                    on_done(outcome)

            try:
                await asyncio.gather(*(poll_one(row) for row in feeds))
            finally:
                poller.flush()  # what finished is recorded, even when the run stops on a store failure
    summary.outcomes.sort(key=lambda o: o.url)
    summary.duration_s = time.monotonic() - started
    log.info("fetch: %s", summary.line())
    return summary


@contextlib.asynccontextmanager
async def grouped_commits(store: Store) -> AsyncIterator[None]:
    """Commit the poll's many short transactions together, about every GROUP_COMMIT_S (``Store.group_commits``)."""
    store.group_commits(GROUP_COMMIT_S)
    ticker = asyncio.create_task(commit_groups(store))
    try:
        yield
    finally:
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
        try:
            store.group_commits(None)
        except sqlite3.Error as exc:
            if sys.exc_info()[1] is None:
                raise
            log.critical("the store failed: %s; the last writes are lost, the next poll redoes them", exc)


async def commit_groups(store: Store) -> None:
    """Commit the open group every GROUP_COMMIT_S: the write lock is never held while polls wait on the network."""
    while True:
        await asyncio.sleep(GROUP_COMMIT_S)
        try:
            store.commit_group()
        except sqlite3.Error as exc:  # the next write meets the failure and stops the run
            log.error("committing the last writes failed: %s", exc)


async def poll_safely(poller: Poller, row: dict) -> FeedOutcome:
    """Poll one feed; a bug costs that feed only, a store failure stops the run."""
    try:
        return await poller.poll(row)
    except Exception as exc:
        if is_store_failure(exc):
            raise  # the store failed: stop the run, the CLI says what to do
        log.exception("%s: internal error while polling", row["url"])
        error = f"internal error: {exc!r}"
        poller.postpone(row, error)
        return FeedOutcome(url=row["url"], status="failed", error=error)


def run_fetch(
    store: Store, settings: Settings, feeds: list[dict], on_done: Callable[[FeedOutcome], None] | None = None
) -> RunSummary:
    """Run ``fetch_feeds`` on a fresh event loop: the one-shot ``newsd fetch``."""

    async def main() -> RunSummary:
        use_resolver_threads(settings)
        return await fetch_feeds(store, settings, feeds, on_done)

    return asyncio.run(main())


def use_resolver_threads(settings: Settings) -> None:
    """Size the loop's default pool, where aiohttp resolves host names, to the connection limit.

    Lookups for many new hosts then run side by side instead of queueing
    (and timing out) a few at a time.
    """
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=settings.http.max_connections, thread_name_prefix="resolve")
    )
