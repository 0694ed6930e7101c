"""``newsd run``: the long-running daemon.

APScheduler (3.x, on the asyncio loop) drives it:

- **dispatch**, every second: takes the feeds that are due from the store,
  the most overdue first, and polls them with the same ``Poller`` as
  ``newsd fetch``. At most ``[poll] feeds_in_flight`` polls run at once;
  as they finish the next due feeds are taken, so memory stays flat however
  many feeds are due. Each poll writes the feed's next poll time, so a
  restart resumes where the last run left off.
- **maintenance**: a WAL checkpoint, the full-text index's optimise, and the
  retention purge (``[retention]``), each on its own schedule.
- **keep-alive**: WATCHDOG=1 to systemd while the loop and the store are
  healthy, and STATUS lines with counts (``newsd.daemon.notify``).

SIGTERM and SIGINT stop it: no new polls start, running ones get a few
seconds to finish (every store write is one short transaction with no
await inside, so a poll cut short leaves nothing half-written), then it
exits. SIGHUP reloads the config; an invalid one is reported and the old one kept.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from newsd.config import ConfigError, Settings
from newsd.daemon.fetcher import Fetcher
from newsd.daemon.notify import Notifier
from newsd.daemon.dates import iso_utc
from newsd.daemon.pipeline import GROUP_COMMIT_S, FeedOutcome, Poller, commit_groups, poll_safely, use_resolver_threads
from newsd.daemon.workers import Workers
from newsd.storage import Store, is_store_failure
from newsd.storage.store import utc_now

log = logging.getLogger(__name__)
T = TypeVar("T")

DISPATCH_EVERY_S = 1.0
# Stopping: running polls get this long to finish before they are cancelled,
# so the process is gone well within the 10 s systemd and users expect.
STOP_GRACE_S = 5.0
WORKERS_CLOSE_S = 3.0  # then a worker still running a job is killed: 5 + 3 s, inside systemd's 10 s
# Worker processes start in well under a second; READY must not wait on a hung one for long.
WORKER_START_TIMEOUT_S = 30.0
CHECKPOINT_EVERY = timedelta(minutes=15)
OPTIMIZE_EVERY = timedelta(hours=24)
MAX_OPTIMIZE_STEPS = 1_000  # a bound, in case polls add segments as fast as they are merged
PURGE_BATCH = 100  # articles deleted per transaction: each costs its LSH and full-text rows too
PURGE_EVERY = timedelta(hours=1)
STATUS_EVERY = timedelta(seconds=30)


@dataclass
class Counters:
    """What the daemon has done since it started, for STATUS lines and logs."""

    polls: int = 0
    failed: int = 0
    not_modified: int = 0
    articles_new: int = 0


class Daemon:
    """The polling service over one store. ``load`` reads the config again (SIGHUP)."""

    def __init__(self, store: Store, settings: Settings, load: Callable[[], Settings],
                 notifier: Notifier | None = None, ignore_late_signals: bool = False) -> None:
        self.store = store
        # The process is the daemon's own (``newsd run``): once stopped, it ignores the
        # signals that would otherwise kill it while the loop closes (see ``run``).
        self.ignore_late_signals = ignore_late_signals
        self.settings = settings
        self.load = load
        self.notifier = notifier or Notifier()
        self.counters = Counters()
        self.exit_code = 0
        self._stop = asyncio.Event()
        self._tasks: dict[int, asyncio.Task[FeedOutcome]] = {}  # feed id -> its running poll
        self._more_due = False  # the last dispatch found more due feeds than it could start
        self._store_failed = False
        self._poller: Poller | None = None
        self._work: Workers | None = None
        # Workers replaced by a config reload, finishing the jobs of polls that started before it.
        self._retired: list[Workers] = []
        self._reload_pending = False  # a SIGHUP came while the workers were starting

    # -- life cycle ------------------------------------------------------

    async def run(self) -> int:
        """Poll until stopped; the process exit code (0 after a clean stop)."""
        loop = asyncio.get_running_loop()
        use_resolver_threads(self.settings)
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stop, signal.Signals(signum).name)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        self._work = Workers(self.settings, self.settings.poll.workers)
        self.store.group_commits(GROUP_COMMIT_S)
        ticker = asyncio.create_task(commit_groups(self.store))
        try:
            await self._start_workers()
            async with Fetcher(self.settings.http) as fetcher:
                self._poller = Poller(self.store, fetcher, self._work, self.settings)
                if self._reload_pending:  # run as the signal's own callback would have been
                    loop.call_soon(self.reload)
                scheduler = self._scheduler(loop)
                scheduler.start()
                active = sum(1 for row in self.store.feeds(enabled_only=True) if not row["disabled_reason"])
                log.info("newsd run: polling %d feeds into %s", active, self.store.path)
                self.notifier.ready(f"polling {active} feeds")
                await self._stop.wait()
                self.notifier.stopping("stopping: finishing running polls")
                scheduler.shutdown(wait=False)
                await self._drain()
                if not self._store_failed:
                    self._poller.flush()
        finally:
            # The handlers stay until the loop closes: a second SIGTERM (``timeout make run``
            # signals both the group and the daemon) must not kill the exit half-way, which
            # would leave the workers running (stop() is idempotent). A reload is too late now.
            loop.add_signal_handler(signal.SIGHUP, log.info, "newsd run: stopping; SIGHUP ignored")
            # A reload's old pools too, all within one timeout: the exit must not wait for them.
            deadline = time.monotonic() + WORKERS_CLOSE_S
            for work in (*self._retired, self._work):
                work.close(timeout=max(0.0, deadline - time.monotonic()))
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
            self._commit_last()
        log.info("newsd run: stopped (%s)", self.status_line())
        if self.ignore_late_signals:
            # Only the loop's close is left, and it would put back the default SIGTERM,
            # which kills: a late one (``timeout make run`` signals the group and the
            # daemon) would turn a clean exit into rc 143. Off the loop first, so that
            # its close leaves them ignored.
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(signum)
                signal.signal(signum, signal.SIG_IGN)
        return self.exit_code

    async def _start_workers(self) -> None:
        """The worker processes up before READY, so that READY means polling at full speed."""
        assert self._work is not None
        started = time.monotonic()
        try:
            await asyncio.wait_for(self._work.start(), WORKER_START_TIMEOUT_S)
        except Exception as exc:  # the polls start them again, and report what fails (a timeout too)
            log.warning("could not start the worker processes (%r); they start with the first feed", exc)
            return
        log.debug("%d worker processes started in %.2f s", self._work.processes, time.monotonic() - started)

    def _commit_last(self) -> None:
        """Commit the last group of writes and go back to a commit per transaction."""
        try:
            self.store.group_commits(None)
        except sqlite3.Error as exc:
            log.critical("the store failed: %s; the last writes are lost, the next poll redoes them", exc)
            self.exit_code = 1

    def _scheduler(self, loop: asyncio.AbstractEventLoop) -> AsyncIOScheduler:
        # A job late by more than the default 1 s would be skipped: a skipped
        # keep-alive or two and the systemd watchdog kills a daemon that is fine.
        scheduler = AsyncIOScheduler(event_loop=loop, timezone=timezone.utc,
                                     job_defaults={"misfire_grace_time": None, "coalesce": True})
        now = datetime.now(timezone.utc)
        # Coroutine jobs run on the loop itself: the store is only ever touched from this one thread.
        scheduler.add_job(self._dispatch, "interval", seconds=DISPATCH_EVERY_S, next_run_time=now, id="dispatch")
        scheduler.add_job(self._checkpoint, "interval", seconds=CHECKPOINT_EVERY.total_seconds(), id="checkpoint")
        scheduler.add_job(self._optimize, "interval", seconds=OPTIMIZE_EVERY.total_seconds(), id="optimize")
        scheduler.add_job(self._purge, "interval", seconds=PURGE_EVERY.total_seconds(), id="purge",
                          next_run_time=now + timedelta(minutes=1))
        scheduler.add_job(self._report, "interval", seconds=STATUS_EVERY.total_seconds(), id="status")
        if self.notifier.watchdog_s:
            scheduler.add_job(self._keepalive, "interval", seconds=self.notifier.watchdog_s, id="watchdog",
                              next_run_time=now)
        return scheduler

    def stop(self, why: str = "asked to") -> None:
        """Stop taking new polls and let ``run`` finish (signal handlers call this)."""
        if not self._stop.is_set():
            log.info("newsd run: stopping (%s)", why)
            self._stop.set()

    async def _drain(self) -> None:
        """Give running polls STOP_GRACE_S to finish, then cancel the rest."""
        tasks = list(self._tasks.values())
        if not tasks:
            return
        done, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_S)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if pending:
            log.info("newsd run: %d polls cancelled at stop; those feeds are polled first next time", len(pending))

    # -- config reload -----------------------------------------------------

    def reload(self) -> None:
        """Read the config again (SIGHUP): feeds added, removed or changed take effect without a restart."""
        if self._poller is None:  # still starting the workers: read it once polling starts
            self._reload_pending = True
            return
        self._reload_pending = False
        try:
            new = self.load()
        except ConfigError as exc:
            log.error("config reload failed, keeping the running config: %s", exc)
            self.notifier.status(f"config reload failed, old config kept; {self.status_line()}")
            return
        self.store.sync_config_feeds((f.url, f.name, f.tags, f.enabled) for f in new.feeds)
        for section in ("http", "storage"):
            if getattr(new, section) != getattr(self.settings, section):
                log.warning("config reload: [%s] changes take effect at the next restart", section)
        old_work, self._work = self._work, Workers(new, new.poll.workers)
        self._poller.configure(self._work, new)
        if old_work is not None:
            old_work.close_later()  # its running jobs finish for the polls that started them
            self._retired = [work for work in self._retired if not work.finished] + [old_work]
        self.settings = new
        log.info("config reloaded from %s: %d feeds in the config", new.source, len(new.feeds))

    # -- jobs --------------------------------------------------------------

    async def _dispatch(self) -> None:
        self._fill()

    def _fill(self) -> None:
        """Start polls for due feeds, up to the in-flight limit."""
        if self._stop.is_set() or self._store_failed:
            return
        try:
            assert self._poller is not None
            self._poller.flush()  # the finished polls' schedules first, or they would look due still
        except Exception as exc:
            self._store_failure(exc)
            return
        capacity = self.settings.poll.feeds_in_flight
        free = capacity - len(self._tasks)
        if free <= 0:
            return
        limit = min(self.settings.poll.batch, free)
        rows = self.store.due_feeds(utc_now(), limit, skip=self._tasks.keys())  # running feeds are still due
        for row in rows:
            self._start(row)
        self._more_due = len(rows) == limit

    def _start(self, row: dict) -> None:
        assert self._poller is not None
        task = asyncio.get_running_loop().create_task(poll_safely(self._poller, row))
        self._tasks[row["id"]] = task
        task.add_done_callback(lambda done: self._finished(row["id"], done))

    def _finished(self, feed_id: int, task: asyncio.Task[FeedOutcome]) -> None:
        self._tasks.pop(feed_id, None)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self._store_failure(exc)
            return
        self._count(task.result())
        # Keep the pipe full while a backlog lasts, without a query per finished poll;
        # and once idle, write the last records now rather than at the next tick.
        backlog = self._more_due and len(self._tasks) <= self.settings.poll.feeds_in_flight // 2
        if backlog or not self._tasks:
            self._fill()

    def _count(self, outcome: FeedOutcome) -> None:
        self.counters.polls += 1
        self.counters.articles_new += outcome.articles_new
        if outcome.status == "failed":
            self.counters.failed += 1
        elif outcome.status == "not_modified":
            self.counters.not_modified += 1
        if outcome.articles_new:
            log.info("%s: %d new articles; next poll %s", outcome.url, outcome.articles_new, outcome.next_poll_at)
        else:
            log.debug("%s: %s; next poll %s", outcome.url, outcome.status, outcome.next_poll_at)

    def _store_failure(self, exc: BaseException) -> None:
        """The store failed (disk full, file gone): stop, so the service manager restarts newsd."""
        if not self._store_failed:
            self._store_failed = True
            if is_store_failure(exc):
                log.critical("the store failed: %s; stopping", exc)
            else:
                log.critical("unexpected error; stopping", exc_info=exc)
            self.exit_code = 1
            self.stop("store failure")

    async def _checkpoint(self) -> None:
        self._maintain("WAL checkpoint", self.store.checkpoint)

    async def _optimize(self) -> None:
        """Merge the full-text index in short steps, letting polls run between them."""
        started, steps = time.monotonic(), 0
        while not self._stop.is_set() and steps < MAX_OPTIMIZE_STEPS:
            steps += 1
            if not self._maintain("full-text index optimise", self.store.optimize_search, quiet=True):
                break
            await asyncio.sleep(0)
        log.info("full-text index optimise done in %.2f s (%d steps)", time.monotonic() - started, steps)

    async def _purge(self) -> None:
        retention = self.settings.retention
        now = datetime.now(timezone.utc)
        if retention.fetch_log_days:
            before = iso_utc(now - timedelta(days=retention.fetch_log_days))
            self._maintain("poll log purge", lambda: self.store.purge_fetch_log(before))
        if retention.articles_days:
            before = iso_utc(now - timedelta(days=retention.articles_days))
            total = 0
            while not self._stop.is_set():
                deleted = self._maintain("article purge", lambda: self.store.purge_articles(before, PURGE_BATCH), quiet=True)
                if not deleted:
                    break
                total += deleted
                await asyncio.sleep(0)  # short transactions, and polls go on between them
            if total:
                log.info("article purge: %d articles fetched before %s deleted", total, before)

    def _maintain(self, what: str, job: Callable[[], T], quiet: bool = False) -> T | None:
        """Run one maintenance step; a store failure stops the daemon, like one in a poll."""
        started = time.monotonic()
        try:
            self.store.commit_group()  # the polls' writes first: a checkpoint or purge works on committed pages
            result = job()
        except Exception as exc:
            if is_store_failure(exc):
                self._store_failure(exc)
                return None
            raise
        if not quiet:
            log.info("%s done in %.2f s (%s)", what, time.monotonic() - started, result)
        return result

    async def _keepalive(self) -> None:
        """WATCHDOG=1 only while healthy: the loop runs this job, and the store answers."""
        if self.healthy():
            self.notifier.watchdog()

    def healthy(self) -> bool:
        if self._store_failed or self._stop.is_set():
            return False
        try:
            self.store.db.execute("SELECT 1 FROM feeds LIMIT 1").fetchall()
        except Exception as exc:
            log.error("store health check failed: %s", exc)
            return False
        return True

    async def _report(self) -> None:
        self.notifier.status(self.status_line())

    def status_line(self) -> str:
        c = self.counters
        return (f"{len(self._tasks)} polls running; since start {c.polls} polls ({c.not_modified} not modified, "
                f"{c.failed} failed), {c.articles_new} new articles")
