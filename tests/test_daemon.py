"""`newsd run` as a real process: scheduling against a local server, signals, the lock, sd_notify.

Each test starts the daemon with ``python -m newsd.daemon`` and watches the
store (read-only) and the local server. To make a feed due again without
waiting minutes, a test sets its next_poll_at in the store, as any other
process may: the daemon reads what is due from the store every second.
Every wait is bounded; every daemon is killed at the end of its test.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import pytest

from conftest import STORY, LocalServer, Request, Response, article_html, rss

FEED_HEADERS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML_HEADERS = {"Content-Type": "text/html; charset=utf-8"}
WAIT_S = 20  # the longest any condition is waited for
WORDS = ["northern", "quiet", "flooded", "ancient", "crowded", "empty", "western", "busy"]


def query(db: Path, sql: str, *args: object) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def write(db: Path, sql: str, *args: object) -> None:
    conn = sqlite3.connect(db, timeout=10)
    try:
        with conn:
            conn.execute(sql, args)
    finally:
        conn.close()


def wait_for(condition: Callable[[], object], what: str, timeout: float = WAIT_S) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except sqlite3.OperationalError:  # the store is not created yet
            value = None
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def polls(db: Path, url: str) -> list[tuple]:
    return query(db, "SELECT l.http_status, l.error FROM fetch_log l JOIN feeds f ON f.id = l.feed_id"
                     " WHERE f.url = ? ORDER BY l.id", url)


def feed_row(db: Path, url: str) -> dict:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("SELECT * FROM feeds WHERE url = ?", [url]).fetchone())
    finally:
        conn.close()


def make_due(db: Path, url: str) -> None:
    write(db, "UPDATE feeds SET next_poll_at = NULL WHERE url = ?", url)


def seconds_until(moment: str) -> float:
    return (datetime.fromisoformat(moment.replace("Z", "+00:00")) - datetime.now(timezone.utc)).total_seconds()


class Daemon:
    """A `newsd run` process with its log in a file."""

    def __init__(self, config: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.log_path = log
        self.log_file = log.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "newsd.daemon", "-v", "--config", str(config), "run"],
                                     stdout=self.log_file, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def wait_ready(self) -> None:
        wait_for(lambda: "newsd run: polling" in self.log or self.proc.poll() is not None, "the daemon to start")
        assert self.proc.poll() is None, self.log

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 10) -> tuple[int, float]:
        """Send ``signum``; the exit code and how long the exit took."""
        started = time.monotonic()
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=timeout)
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def _start(config: Path, env: dict[str, str] | None = None, name: str = "daemon") -> Daemon:
        daemon = Daemon(config, tmp_path / f"{name}-{len(started)}.log", env)
        started.append(daemon)
        return daemon

    yield _start
    for daemon in started:
        daemon.kill()


class ChangingFeed:
    """A feed whose entries grow on demand; answers 304 to its current ETag."""

    def __init__(self, server: LocalServer, path: str) -> None:
        self.server, self.path, self.items = server, path, []
        self.add(2)
        server.routes[path] = self

    def add(self, count: int) -> None:
        for _ in range(count):
            n = len(self.items)
            page = f"{self.path}-{n}.html"
            self.items.append({"title": f"Story {n}", "link": self.server.url(page), "guid": f"{self.path}-{n}",
                               "description": f"Summary {n}."})
            self.server.routes[page] = Response(article_html(f"Story {n}", [f"Story {n} leads the day."] + STORY),
                                                headers=HTML_HEADERS)

    @property
    def etag(self) -> str:
        return f'"v{len(self.items)}"'

    def __call__(self, request: Request) -> Response:
        if request.headers.get("if-none-match") == self.etag:
            return Response(status=304, headers={"ETag": self.etag})
        return Response(rss(self.items), headers={**FEED_HEADERS, "ETag": self.etag})


def articles_of(db: Path, feed_url: str) -> int:
    return query(db, "SELECT count(*) FROM article_sources s JOIN feeds f ON f.id = s.feed_id WHERE f.url = ?",
                 feed_url)[0][0]


def test_the_daemon_follows_changing_feeds_respects_304_and_retry_after_and_backs_off(
        server, write_config, tmp_path, start_daemon):
    news = ChangingFeed(server, "/news.xml")
    server.routes["/broken.xml"] = Response("boom", status=500)
    server.routes["/busy.xml"] = Response("slow down", status=503, headers={"Retry-After": "7200"})
    urls = [server.url(p) for p in ("/news.xml", "/broken.xml", "/busy.xml")]
    config = write_config(*urls)
    db = tmp_path / "newsd.db"
    daemon = start_daemon(config)
    daemon.wait_ready()
    wait_for(lambda: all(polls(db, url) for url in urls), "a first poll of every feed")
    assert articles_of(db, urls[0]) == 2

    # the server asked for two hours: the feed waits at least that long
    busy = feed_row(db, urls[2])
    assert busy["last_status"] == 503 and seconds_until(busy["next_poll_at"]) > 7200 - 60

    # new entries are picked up at the next poll
    news.add(1)
    make_due(db, urls[0])
    wait_for(lambda: len(polls(db, urls[0])) == 2, "the second poll of the changing feed")
    wait_for(lambda: articles_of(db, urls[0]) == 3, "the new entry to be stored")

    # an unchanged feed answers 304, to the validator the daemon sent back
    make_due(db, urls[0])
    wait_for(lambda: len(polls(db, urls[0])) == 3, "the third poll")
    assert polls(db, urls[0])[-1] == (304, None)
    assert server.requests_to("/news.xml")[-1].headers["if-none-match"] == news.etag
    assert articles_of(db, urls[0]) == 3

    # the failing feed backs off: its delay doubles after the second failure, while the others went on
    first_delay = seconds_until(feed_row(db, urls[1])["next_poll_at"])
    make_due(db, urls[1])
    wait_for(lambda: len(polls(db, urls[1])) == 2, "the second poll of the broken feed")
    broken = feed_row(db, urls[1])
    assert broken["error_count"] == 2 and broken["failing_since"] and broken["disabled_reason"] is None
    assert seconds_until(broken["next_poll_at"]) > 1.8 * first_delay
    assert feed_row(db, urls[0])["error_count"] == 0

    code, took = daemon.stop()
    assert code == 0 and took < 10
    assert "stopped" in daemon.log


def test_sigterm_mid_run_stops_within_10_s_and_leaves_a_consistent_store(server, write_config, tmp_path,
                                                                         start_daemon, run_cli):
    items = [{"title": f"Slow {n}", "link": server.url(f"/slow-{n}.html"), "guid": f"s{n}",
              "description": f"Slow summary {n}."} for n in range(6)]
    server.routes["/feed.xml"] = Response(rss(items), headers={**FEED_HEADERS, "ETag": '"one"'})
    for n in range(6):
        # short, distinct texts (no near-copy merging); all but the first outlast the stop's grace period
        text = [f"Report number {n} tells of the {WORDS[n]} harbour, where {WORDS[n + 1]} boats wait for the tide."]
        server.routes[f"/slow-{n}.html"] = Response(article_html(f"Slow {n}", text), headers=HTML_HEADERS,
                                                    delay=0.2 if n == 0 else 8)
    # worker processes (not the test's thread): the pool is shut down too
    config = write_config(server.url("/feed.xml"), extra="[poll]\nworkers = 1\n", http="timeout = 30\nmax_per_host = 6")
    db = tmp_path / "newsd.db"
    daemon = start_daemon(config)
    daemon.wait_ready()
    wait_for(lambda: query(db, "SELECT count(*) FROM articles")[0][0] >= 1, "the first article")
    code, took = daemon.stop()
    assert code == 0 and took < 10, daemon.log

    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    stored = query(db, "SELECT count(*) FROM articles")[0][0]
    assert 1 <= stored < 6
    # every article has its source, and no source points nowhere
    assert query(db, "SELECT count(*) FROM articles a WHERE NOT EXISTS"
                     " (SELECT 1 FROM article_sources s WHERE s.article_id = a.id)") == [(0,)]
    # the feed's validators were not stored: the next poll asks for the whole feed again, and loses nothing
    assert query(db, "SELECT etag FROM feeds") == [(None,)]
    for n in range(6):
        server.routes[f"/slow-{n}.html"].delay = 0
    result = run_cli("--config", str(config), "fetch")
    assert result.exit_code == 0, result.output
    assert query(db, "SELECT count(*), count(DISTINCT url) FROM articles") == [(6, 6)]


def test_more_sigterms_while_stopping_do_not_cut_the_exit_short(server, write_config, start_daemon):
    """`timeout make run` signals the process group and the daemon: the exit still finishes (the
    workers would otherwise outlive a daemon killed half-way)."""
    ChangingFeed(server, "/feed.xml")
    daemon = start_daemon(write_config(server.url("/feed.xml"), extra="[poll]\nworkers = 1\n"))
    daemon.wait_ready()
    daemon.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: "newsd run: stopping" in daemon.log or daemon.proc.poll() is not None, "the stop to begin")
    for _ in range(40):  # every 5 ms while the exit runs
        if daemon.proc.poll() is not None:
            break
        daemon.proc.send_signal(signal.SIGTERM)
        time.sleep(0.005)
    assert daemon.proc.wait(timeout=10) == 0, daemon.log
    assert "newsd run: stopped" in daemon.log


def test_sighup_reloads_the_config_and_an_invalid_one_keeps_the_old(server, write_config, tmp_path, start_daemon):
    first, second = ChangingFeed(server, "/first.xml"), ChangingFeed(server, "/second.xml")
    config = write_config(server.url("/first.xml"))
    db = tmp_path / "newsd.db"
    daemon = start_daemon(config)
    daemon.wait_ready()
    wait_for(lambda: polls(db, server.url("/first.xml")), "the first feed's poll")

    write_config(server.url("/first.xml"), server.url("/second.xml"))  # rewrites the same file
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: articles_of(db, server.url("/second.xml")) == 2, "the added feed's articles")
    wait_for(lambda: polls(db, server.url("/second.xml")), "the added feed's poll record")
    assert first.items and second.items

    config.write_text("[http]\ntimeout = 'soon'\n")
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "config reload failed" in daemon.log, "the reload error")
    assert "timeout" in daemon.log and daemon.proc.poll() is None  # said what is wrong, and runs on
    second.add(1)
    make_due(db, server.url("/second.xml"))
    wait_for(lambda: articles_of(db, server.url("/second.xml")) == 3, "polling to go on with the old config")
    code, _ = daemon.stop(signal.SIGINT)
    assert code == 0


def test_two_daemons_on_one_store_are_refused(server, write_config, tmp_path, start_daemon, run_cli):
    ChangingFeed(server, "/feed.xml")
    config = write_config(server.url("/feed.xml"))
    first = start_daemon(config)
    first.wait_ready()
    second = start_daemon(config, name="second")
    assert second.proc.wait(timeout=WAIT_S) == 2
    assert f"pid {first.proc.pid} is already polling into this store" in second.log
    fetch = run_cli("--config", str(config), "fetch")
    assert fetch.exit_code == 2 and "already polling" in fetch.output
    assert first.proc.poll() is None
    assert first.stop()[0] == 0
    # once the first is gone, the store is free again
    assert run_cli("--config", str(config), "fetch").exit_code == 0


def test_sd_notify_ready_status_watchdog_and_stopping_arrive(server, write_config, tmp_path, start_daemon):
    ChangingFeed(server, "/feed.xml")
    config = write_config(server.url("/feed.xml"))
    address = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(WAIT_S)
    messages: list[str] = []

    def seen(line: str) -> int:
        return sum(line in m.splitlines() for m in messages)

    def receive_until(line: str, times: int = 1) -> None:
        while seen(line) < times:
            messages.append(sock.recv(4096).decode())

    try:
        daemon = start_daemon(config, env={"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "400000"})
        receive_until("READY=1")
        ready = next(m for m in messages if "READY=1" in m)
        assert "STATUS=polling 1 feeds" in ready
        started = time.monotonic()
        receive_until("WATCHDOG=1", times=4)  # every 0.2 s: half of WATCHDOG_USEC
        assert time.monotonic() - started < 5
        daemon.proc.send_signal(signal.SIGTERM)
        receive_until("STOPPING=1")
        assert daemon.proc.wait(timeout=10) == 0
    finally:
        sock.close()
