"""The CPU-bound part of a poll, off the event loop: parse feeds, extract pages, pack pages.

``Workers`` runs it in a pool of processes sized to the machine (the
config's ``[poll] workers``), so parsing and extraction use every core and
the event loop stays free for network I/O. ``workers = 0`` runs it in one
thread of the main process instead: for small one-shot runs and tests.

One thread, never two: trafilatura (lxml) crashes the process with a
segmentation fault when two extractions run at once in one process
(trafilatura issues #840 and #925), and processes do not share that state.

Each worker receives the settings once, at start, and builds the boilerplate
rules for a page itself: pickling the compiled rules with every page would
cost more than extracting it.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Mapping

from newsd.config import Settings
from newsd.daemon.dedup import fingerprint_of
from newsd.daemon.document import Document
from newsd.daemon.feed import Feed, parse_feed
from newsd.daemon.urls import DEFAULT_TRACKING
from newsd.storage import FingerprintRecord, PageRecord, pack_page

log = logging.getLogger(__name__)

# The settings of this worker (process or thread), and the query parameters
# a link's identity ignores, both set by ``start``.
_settings: Settings | None = None
_tracking = DEFAULT_TRACKING


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
    return extract(body, page_url, rules=ruleset.rules, disabled=ruleset.disabled)


def fingerprint(text: str) -> FingerprintRecord | None:
    """A text's dedup fingerprint (``newsd.daemon.dedup.fingerprint_of``): a millisecond or two of hashing."""
    return fingerprint_of(text, _current().dedup)


def ready() -> int:
    """A job that does nothing: it makes the pool start a worker (``Workers.start``)."""
    return os.getpid()


def default_processes() -> int:
    """One worker process per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Workers:
    """Where a run's CPU-bound work happens: ``processes`` worker processes (None: one per core), or one thread when 0."""

    def __init__(self, settings: Settings, processes: int | None = None) -> None:
        processes = default_processes() if processes is None else processes
        self.processes = processes
        self.settings = settings
        self._executor = self._new_executor()

    def _new_executor(self) -> Executor:
        if self.processes > 0:
            # forkserver, not fork: the daemon has threads (name lookups, the
            # scheduler) by the time the pool starts, and forking a process with
            # threads can copy a held lock into the child.
            context = multiprocessing.get_context("forkserver")
            # Imported once in the fork server, so the workers share those pages. The extractor
            # only when pages are downloaded: with fetch_pages off it is 10 MB a process for nothing.
            preload = ["newsd.daemon.workers"]
            if self.settings.poll.fetch_pages:
                preload.append("newsd.daemon.extract")
            context.set_forkserver_preload(preload)
            return ProcessPoolExecutor(self.processes, mp_context=context, initializer=start_process,
                                       initargs=(self.settings,))
        return ThreadPoolExecutor(1, thread_name_prefix="extract", initializer=start, initargs=(self.settings,))

    async def start(self) -> None:
        """Start every worker now. The pool starts them on first use, and the first feeds
        of a run would wait for that (a fresh interpreter importing the parser, per process)."""
        if self.processes > 0:
            await asyncio.gather(*(self._run(ready) for _ in range(self.processes)))

    async def parse(self, body: bytes, headers: Mapping[str, str], url: str) -> Feed:
        return await self._run(parse, body, dict(headers), url)

    async def extract(self, feed_url: str | None, page_url: str | None, body: bytes) -> Document:
        return await self._run(extract_page, feed_url, page_url, body)

    async def fingerprint(self, text: str) -> FingerprintRecord | None:
        return await self._run(fingerprint, text)

    async def pack(self, url: str, body: bytes, fetched_at: str) -> PageRecord:
        return await self._run(pack_page, url, body, fetched_at)

    async def _run(self, function, *args):  # type: ignore[no-untyped-def]
        executor = self._executor
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, function, *args)
        except BrokenProcessPool:
            # A worker died (a segfault in lxml, the OOM killer). The pool is
            # unusable from then on: start a new one and give the job one more try.
            if self._executor is executor:
                log.error("a worker process died; starting new workers")
                self._executor = self._new_executor()
            return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def close_later(self) -> None:
        """Stop the workers once the work already handed to them is done (after a config reload)."""
        self._executor.shutdown(wait=False)

    def close(self, timeout: float = 3.0) -> None:
        """Stop the workers; work not yet started is dropped, and a job still running after ``timeout`` is killed."""
        executor = self._executor
        processes = list(getattr(executor, "_processes", {}).values())  # ProcessPoolExecutor's own
        executor.shutdown(wait=not processes, cancel_futures=True)
        deadline = time.monotonic() + timeout
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():  # a huge page still extracting: the stop must not wait for it
                process.kill()
                process.join()

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
