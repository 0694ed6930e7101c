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

Jobs wait their turn here, not in the pool's queue: a few per worker are
handed to the pool at a time, and the jobs that finish a
feed already parsed (a fingerprint, a page) go before the parse of another
feed. A pool fed in arrival order parsed every feed in flight before the
first one's fingerprints, and held all their entries at once: a daemon
polling 256 new feeds at a time had tens of megabytes of them waiting.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import multiprocessing
import os
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Mapping

from newsd.config import Settings
from newsd.daemon.document import Document
from newsd.daemon.feed import Feed
from newsd.daemon import worker_jobs as jobs
from newsd.storage import FingerprintRecord, PageRecord, pack_page

log = logging.getLogger(__name__)

# Job priorities, lowest first: finish what was started before starting a feed.
FINISH_FIRST = 0
START_NEW = 1

# Texts hashed in one job at most: enough that a job's own cost (pickling, the
# pool's threads: about 0.3 ms of the event loop's process) is spread over a
# feed's entries, few enough that the texts of many feeds still go to every worker.
FINGERPRINTS_PER_JOB = 32

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
        # Jobs handed to the pool at once, 8 a worker: the event loop hands out the next
        # job only between its own work (storing a feed's entries), and a fingerprint takes
        # a millisecond or two, so a worker needs several queued to stay busy meanwhile.
        # 2 a worker left the workers idle for a sixth of a cold poll (bench/polling.py:
        # 0.72x the parse-only rate, against 0.85-0.96x with 8); 32 ran no faster and held more.
        self._slots = 8 * max(1, processes)
        self._busy = 0
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []  # (priority, arrival, turn)
        self._arrivals = itertools.count()
        self._closing = False  # close_later: shut the pool down once its last job is done
        self._closed = False  # close: nothing more runs, and a dead pool is not replaced
        self._shut_down = False  # after close_later, once its last job was done
        self._left_running: list[multiprocessing.process.BaseProcess] = []
        # Texts asked to be hashed in this turn of the event loop, sent as one job at its end.
        self._texts_to_hash: list[tuple[str, asyncio.Future[FingerprintRecord | None]]] = []
        # The jobs sent, until they are done, each with its callers' futures.
        self._hashing: dict[asyncio.Task[None], list[asyncio.Future[FingerprintRecord | None]]] = {}

    def _new_executor(self) -> Executor:
        if self.processes > 0:
            # forkserver, not fork: the daemon has threads (name lookups, the
            # scheduler) by the time the pool starts, and forking a process with
            # threads can copy a held lock into the child.
            context = multiprocessing.get_context("forkserver")
            # Imported once in the fork server, so the workers share those pages. The extractor
            # only when pages are downloaded: with fetch_pages off it is 10 MB a process for nothing.
            preload = ["newsd.daemon.worker_jobs"]
            if self.settings.poll.fetch_pages:
                preload.append("newsd.daemon.extract")
            preload.append("newsd.daemon.preload_done")
            context.set_forkserver_preload(preload)
            return ProcessPoolExecutor(self.processes, mp_context=context, initializer=jobs.start_process,
                                       initargs=(self.settings,))
        return ThreadPoolExecutor(1, thread_name_prefix="extract", initializer=jobs.start, initargs=(self.settings,))

    async def start(self) -> None:
        """Start every worker now. The pool starts them on first use, and the first feeds
        of a run would wait for that (a fresh interpreter importing the parser, per process)."""
        if self.processes > 0:
            await asyncio.gather(*(self._run(jobs.ready) for _ in range(self.processes)))

    async def parse(self, body: bytes, headers: Mapping[str, str], url: str) -> Feed:
        return await self._run_in_turn(START_NEW, jobs.parse, body, dict(headers), url)

    async def extract(self, feed_url: str | None, page_url: str | None, body: bytes) -> Document:
        return await self._run_in_turn(FINISH_FIRST, jobs.extract_page, feed_url, page_url, body)

    async def fingerprint(self, text: str) -> FingerprintRecord | None:
        """A text's fingerprint. The texts asked for in one turn of the event loop (a
        feed's new entries) go to a worker together: a job per text cost the event
        loop's process ten times more than the hashing saved it (about 0.3 ms a job)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[FingerprintRecord | None] = loop.create_future()
        self._texts_to_hash.append((text, future))
        if len(self._texts_to_hash) == 1:
            loop.call_soon(self._send_texts_to_hash)
        return await future

    def _send_texts_to_hash(self) -> None:
        wanted, self._texts_to_hash = self._texts_to_hash, []
        for start in range(0, len(wanted), FINGERPRINTS_PER_JOB):
            batch = wanted[start:start + FINGERPRINTS_PER_JOB]
            task = asyncio.get_running_loop().create_task(self._hash(batch))
            self._hashing[task] = [future for _, future in batch]
            task.add_done_callback(self._hashed)

    def _hashed(self, task: asyncio.Task[None]) -> None:
        self._hashing.pop(task, None)
        self._shut_down_if_done()

    async def _hash(self, wanted: list[tuple[str, asyncio.Future[FingerprintRecord | None]]]) -> None:
        """Hash the texts in one job and answer each caller (a cancelled caller is skipped)."""
        records: list[FingerprintRecord | None | Exception] | None = None
        failure: Exception | None = None
        try:
            records = await self._run_in_turn(FINISH_FIRST, jobs.fingerprints, [text for text, _ in wanted])
        except Exception as exc:  # the job itself failed (the pool): each caller sees it as its own
            failure = exc
        finally:
            for index, (_, future) in enumerate(wanted):
                if future.done():
                    continue
                record = records[index] if records is not None else failure
                if isinstance(record, Exception):  # this text's failure, not its siblings'
                    future.set_exception(record)
                elif records is not None:
                    future.set_result(record)
                else:  # the job was cancelled (a stop)
                    future.cancel()

    async def pack(self, url: str, body: bytes, fetched_at: str) -> PageRecord:
        return await self._run_in_turn(FINISH_FIRST, pack_page, url, body, fetched_at)

    async def _run_in_turn(self, priority: int, function, *args):  # type: ignore[no-untyped-def]
        await self._turn(priority)
        try:
            return await self._run(function, *args)
        finally:
            # Also when the job was cancelled (a stop): the pool may still be running it,
            # but the stop does not wait for it, so the slot is given on at once.
            self._pass_turn()

    async def _turn(self, priority: int) -> None:
        """Wait until the job may go to the pool: a slot is free and no job of a lower priority number waits."""
        if self._busy < self._slots and not self._waiting:
            self._busy += 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._arrivals), turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._pass_turn()  # it was given the slot as it was cancelled: give it on
            raise

    def _pass_turn(self) -> None:
        """A job is done with its slot: the first waiting job takes it, or it is free."""
        while self._waiting:
            _, _, turn = heapq.heappop(self._waiting)
            if not turn.done():  # a cancelled waiter's future is done already
                turn.set_result(None)
                return
        self._busy -= 1
        self._shut_down_if_done()

    def _shut_down_if_done(self) -> None:
        """After ``close_later``: shut the pool down once no job runs, waits for a slot or is about to ask for one."""
        if (self._closing and not self._shut_down and not self._closed
                and self._busy == 0 and not self._texts_to_hash and not self._hashing):
            self._left_running = self._pool_processes()  # shutdown forgets them; close() may have to kill one
            self._executor.shutdown(wait=False)
            self._shut_down = True

    @property
    def finished(self) -> bool:
        """Shut down after ``close_later``, its processes gone (a thread pool's last job may still be
        finishing in its thread; the interpreter waits for it at exit)."""
        return self._shut_down and not any(process.is_alive() for process in self._left_running)

    def _pool_processes(self) -> list[multiprocessing.process.BaseProcess]:
        # ProcessPoolExecutor's own; none for threads, or once the pool was shut down
        return list((getattr(self._executor, "_processes", None) or {}).values())

    async def _run(self, function, *args):  # type: ignore[no-untyped-def]
        executor = self._executor
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, function, *args)
        except BrokenProcessPool:
            # A worker died (a segfault in lxml, the OOM killer). The pool is
            # unusable from then on: start a new one and give the job one more try;
            # not when close() killed it (a stop), which the job must not outlive.
            if self._closed:
                raise
            if self._executor is executor:
                log.error("a worker process died; starting new workers")
                self._executor = self._new_executor()
            return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def close_later(self) -> None:
        """Stop the workers once every job handed to them, or waiting for them, is done (after a config reload).

        Jobs still waiting for a slot are the polls' that started before the
        reload: the pool stays up for them, and shuts down after the last one.
        """
        self._closing = True
        self._shut_down_if_done()

    def close(self, timeout: float = 3.0) -> None:
        """Stop the workers; work not yet started is dropped, and a job still running after ``timeout`` is killed."""
        self._closed = True
        for task, futures in self._hashing.items():  # a stop cancels its polls first: their callers are gone
            task.cancel()
            for future in futures:  # a task cancelled before it started never answers them itself
                future.cancel()
        for _, future in self._texts_to_hash:
            future.cancel()
        self._texts_to_hash = []
        executor = self._executor
        processes = self._pool_processes() or self._left_running
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
