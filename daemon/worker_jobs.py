"""The jobs a worker runs (``newsd.daemon.workers``): parse a feed, extract a page, hash texts.

A module of its own, apart from the pool that hands the jobs out: the pool's
fork server imports this module before it forks each worker, so what it
imports is what every worker holds in memory. No asyncio, no store.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Mapping

from newsd.config import Settings
from newsd.daemon.dedup import fingerprint_of
from newsd.daemon.document import Document
from newsd.daemon.feed import Feed, parse_feed
from newsd.daemon.urls import DEFAULT_TRACKING
from newsd.storage import FingerprintRecord

# The settings of this worker (process or thread), and the query parameters
# a link's identity ignores, both set by ``start``.
_settings: Settings | None = None
_tracking = DEFAULT_TRACKING
# One extraction at a time in a process: trafilatura (lxml) crashes the process when two
# run at once. A worker process has one thread anyway; with workers = 0, a config reload
# starts a new extraction thread while the old one may still be finishing a page.
_extracting = threading.Lock()


def start(settings: Settings) -> None:
    """Initialise a worker with the run's settings."""
    global _settings, _tracking
    _settings = settings
    _tracking = DEFAULT_TRACKING.extended(settings.dedup.tracking_params)


def start_process(settings: Settings) -> None:
    """Initialise a worker process: the parent alone decides when to stop.

    Ctrl-C reaches the whole process group, and systemd signals every process
    of the unit; a worker that died of it would fail the job it was doing.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    start(settings)


def _current() -> Settings:
    assert _settings is not None, "Workers not started"
    return _settings


def parse(body: bytes, headers: Mapping[str, str], url: str) -> Feed:
    """A feed document's entries (``newsd.daemon.feed.parse_feed``); raises FeedError for a broken one."""
    _current()  # started, so _tracking is this run's
    return parse_feed(body, dict(headers), url, _tracking)


def extract_page(feed_url: str | None, page_url: str | None, body: bytes) -> Document:
    """A page's clean text and metadata, under the boilerplate rules of its feed and site."""
    # Imported here: trafilatura and lxml are a worker's biggest imports, and a run that
    # downloads no pages ([poll] fetch_pages = false) never needs them.
    from newsd.daemon.extract import extract

    ruleset = _current().rules_for(feed_url, page_url)
    with _extracting:
        return extract(body, page_url, rules=ruleset.rules, disabled=ruleset.disabled)


def fingerprint(text: str) -> FingerprintRecord | None:
    """A text's dedup fingerprint (``newsd.daemon.dedup.fingerprint_of``): a millisecond or two of hashing."""
    return fingerprint_of(text, _current().dedup)


def fingerprints(texts: list[str]) -> list[FingerprintRecord | None | Exception]:
    """The fingerprints of several texts, in order: one job for a feed's new entries, not one each.

    A text that fails gives its exception in its place, so that only its own
    entry fails, not every entry hashed with it.
    """
    results: list[FingerprintRecord | None | Exception] = []
    for text in texts:
        try:
            results.append(fingerprint(text))
        except Exception as exc:
            results.append(exc)
    return results


def ready() -> int:
    """A job that does nothing: it makes the pool start a worker (``Workers.start``)."""
    return os.getpid()
