"""The poll's politeness and safety, and the daemon's pieces, in-process: redirects, 410, private
addresses, robots.txt, per-host delay, the lock, sd_notify, JSON logs, status, retention."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sqlite3
import time
from pathlib import Path

import pytest

from conftest import OTHER_STORIES, STORY, Response, article_html, rss
from newsd.config import DedupSettings, HttpSettings, Settings, StorageSettings
from newsd.daemon.dedup import fingerprint_of
from newsd.config.validate import parse_duration
from newsd.daemon.fetcher import Fetcher
from newsd.daemon.lock import StoreLock, StoreLocked, holder
from newsd.daemon.logs import JsonFormatter
from newsd.daemon.notify import Notifier, watchdog_interval
from newsd.daemon.service import Daemon
from newsd.storage import open_store

FEED_HEADERS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML_HEADERS = {"Content-Type": "text/html; charset=utf-8"}


def rows(db: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def one_entry_feed(link: str) -> Response:
    return Response(rss([{"title": "Bridge", "guid": "b1", "link": link, "description": "The feed's own summary."}]),
                    headers=FEED_HEADERS)


def fetch_json(run_cli, config: Path, *args: str) -> dict:
    result = run_cli("--config", str(config), "fetch", "--json", *args)
    return json.loads(result.stdout)


# -- redirects and 410 -------------------------------------------------------


def test_a_permanent_redirect_moves_the_feed_and_a_temporary_one_does_not(server, write_config, run_cli, tmp_path):
    server.routes["/new.xml"] = one_entry_feed(server.url("/a.html"))
    server.routes["/a.html"] = Response(article_html("Bridge", STORY), headers=HTML_HEADERS)
    server.routes["/old.xml"] = Response(status=301, headers={"Location": server.url("/new.xml")})
    server.routes["/temp.xml"] = Response(status=302, headers={"Location": server.url("/new.xml")})
    config = write_config(server.url("/old.xml"), server.url("/temp.xml"))
    assert fetch_json(run_cli, config)["feeds_failed"] == 0
    db = tmp_path / "newsd.db"
    assert sorted(rows(db, "SELECT url, moved_from FROM feeds")) == [
        (server.url("/new.xml"), server.url("/old.xml")), (server.url("/temp.xml"), None)]
    # the next poll goes to the new URL, and the config's old URL still names the moved feed: no third feed
    before = len(server.requests_to("/old.xml"))
    fetch_json(run_cli, config)
    assert len(server.requests_to("/old.xml")) == before
    assert rows(db, "SELECT count(*) FROM feeds") == [(2,)]


def test_410_gone_disables_the_feed_until_it_is_enabled_again(server, write_config, run_cli, tmp_path):
    server.routes["/gone.xml"] = Response("gone", status=410)
    config = write_config(server.url("/gone.xml"))
    summary = fetch_json(run_cli, config)
    assert "410" in summary["feeds"][0]["disabled_reason"]
    status = json.loads(run_cli("--config", str(config), "status", "--format", "json").stdout)
    assert status["feeds_disabled"] == 1 and "410" in status["per_feed"][0]["disabled_reason"]
    table = run_cli("--config", str(config), "status").output
    assert "disabled: HTTP 410 Gone" in table and "newsd feeds enable" in table
    # a fetch skips it and says why
    skipped = run_cli("--config", str(config), "fetch")
    assert skipped.exit_code == 2 and "disabled (HTTP 410 Gone" in skipped.output
    server.routes["/gone.xml"] = one_entry_feed(server.url("/nowhere.html"))
    enabled = run_cli("--config", str(config), "feeds", "enable", server.url("/gone.xml"))
    assert enabled.exit_code == 0 and "it was disabled" in enabled.output
    assert rows(tmp_path / "newsd.db", "SELECT disabled_reason, error_count, next_poll_at FROM feeds") == [(None, 0, None)]
    assert fetch_json(run_cli, config)["articles_new"] == 1


def test_a_poll_that_disables_its_feed_is_written_at_once_so_an_enable_cannot_be_undone(server, tmp_path):
    """Records wait to be written many at a time; a disabling one does not, or it could land after 'feeds enable'."""
    from newsd.daemon.pipeline import Poller
    from newsd.daemon.workers import Workers

    server.routes["/gone.xml"] = Response("gone", status=410)
    server.routes["/ok.xml"] = Response(status=304)
    settings = Settings(source="test", storage=StorageSettings(path=tmp_path / "s.db"),
                        http=HttpSettings(timeout=5, host_delay=0))

    async def poll_both(store) -> list[int]:
        async with Fetcher(settings.http) as fetcher:
            with Workers(settings, 0) as work:
                poller = Poller(store, fetcher, work, settings, poll_batch=1000)
                pending = []
                for url in ("/ok.xml", "/gone.xml"):
                    await poller.poll(store.feed(server.url(url)))
                    pending.append(len(poller._pending_polls))
                return pending

    with open_store(tmp_path / "s.db") as store:
        for url in ("/ok.xml", "/gone.xml"):
            store.upsert_feed(server.url(url), None, (), True, "cli")
        assert asyncio.run(poll_both(store)) == [1, 0]  # the 304's record waited; the 410's took it along
        # committed: another process (newsd feeds enable) sees the feed disabled, not an older state
        assert rows(tmp_path / "s.db", "SELECT url, disabled_reason IS NOT NULL FROM feeds ORDER BY id") == [
            (server.url("/ok.xml"), 0), (server.url("/gone.xml"), 1)]
        assert rows(tmp_path / "s.db", "SELECT count(*) FROM fetch_log") == [(2,)]


# -- safety and politeness ---------------------------------------------------


def test_a_feed_cannot_make_newsd_fetch_a_private_address_of_another_host(server, other_site, write_config, run_cli,
                                                                          tmp_path):
    server.routes["/feed.xml"] = one_entry_feed(other_site.url("/admin"))
    other_site.routes["/admin"] = Response(article_html("Internal", STORY), headers=HTML_HEADERS)
    config = write_config(server.url("/feed.xml"))
    summary = fetch_json(run_cli, config)
    assert summary["articles_new"] == 1
    assert other_site.requests == []  # not even robots.txt
    ((text, source, error),) = rows(tmp_path / "newsd.db", "SELECT text, text_source, page_error FROM articles")
    assert (text, source) == ("The feed's own summary.", "feed")
    assert "refused" in error and "127.0.0.2" in error and "allow_private" in error


def test_allow_private_lets_feed_links_reach_other_local_hosts(server, other_site, write_config, run_cli, tmp_path):
    server.routes["/feed.xml"] = one_entry_feed(other_site.url("/story"))
    other_site.routes["/story"] = Response(article_html("Bridge", STORY), headers=HTML_HEADERS)
    config = write_config(server.url("/feed.xml"), http="timeout = 5\nallow_private = true")
    fetch_json(run_cli, config)
    assert rows(tmp_path / "newsd.db", "SELECT text_source FROM articles") == [("page",)]
    assert other_site.requests_to("/story")


def test_robots_txt_is_honoured_for_article_pages(server, write_config, run_cli, tmp_path):
    server.routes["/robots.txt"] = Response("User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"})
    server.routes["/feed.xml"] = Response(rss([
        {"title": "Open", "guid": "o", "link": server.url("/news/open.html"), "description": "Open summary."},
        {"title": "Closed", "guid": "c", "link": server.url("/private/closed.html"), "description": "Closed summary."},
    ]), headers=FEED_HEADERS)
    server.routes["/news/open.html"] = Response(article_html("Open", STORY), headers=HTML_HEADERS)
    server.routes["/private/closed.html"] = Response(article_html("Closed", STORY), headers=HTML_HEADERS)
    fetch_json(run_cli, write_config(server.url("/feed.xml")))
    assert server.requests_to("/private/closed.html") == []
    assert len(server.requests_to("/robots.txt")) == 1
    stored = dict(rows(tmp_path / "newsd.db", "SELECT title, page_error FROM articles"))
    assert stored["Open"] is None and "robots.txt" in stored["Closed"]


def test_a_redirect_to_a_page_robots_txt_disallows_is_not_followed(server, write_config, run_cli, tmp_path):
    server.routes["/robots.txt"] = Response("User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"})
    server.routes["/feed.xml"] = Response(rss([
        {"title": "Moved", "guid": "m", "link": server.url("/news/moved.html"), "description": "Moved summary."},
    ]), headers=FEED_HEADERS)
    server.routes["/news/moved.html"] = Response(status=302, headers={"Location": server.url("/private/page.html")})
    server.routes["/private/page.html"] = Response(article_html("Moved", STORY), headers=HTML_HEADERS)
    summary = fetch_json(run_cli, write_config(server.url("/feed.xml")))
    assert summary["articles_new"] == 1
    assert len(server.requests_to("/news/moved.html")) == 1 and server.requests_to("/private/page.html") == []
    assert len(server.requests_to("/robots.txt")) == 1
    ((text, error),) = rows(tmp_path / "newsd.db", "SELECT text, page_error FROM articles")
    assert text == "Moved summary." and "robots.txt disallows" in error and "/private/page.html" in error


def test_a_redirect_to_another_site_asks_that_sites_robots_txt(server, other_site, write_config, run_cli, tmp_path):
    """The hop's robots.txt is fetched in the middle of the page's request (no deadlock), and obeyed."""
    other_site.routes["/robots.txt"] = Response("User-agent: *\nDisallow: /private/\n",
                                                headers={"Content-Type": "text/plain"})
    server.routes["/feed.xml"] = Response(rss([
        {"title": "Away", "guid": "a", "link": server.url("/go"), "description": "Away summary."},
    ]), headers=FEED_HEADERS)
    server.routes["/go"] = Response(status=302, headers={"Location": other_site.url("/private/x.html")})
    other_site.routes["/private/x.html"] = Response(article_html("Away", STORY), headers=HTML_HEADERS)
    config = write_config(server.url("/feed.xml"), http="timeout = 5\nallow_private = true")
    assert fetch_json(run_cli, config)["articles_new"] == 1
    assert [r.path for r in other_site.requests] == ["/robots.txt"]
    ((error,),) = rows(tmp_path / "newsd.db", "SELECT page_error FROM articles")
    assert "robots.txt disallows" in error


def test_a_crawl_delay_in_robots_txt_spaces_the_page_requests(server, write_config, run_cli, tmp_path):
    server.routes["/robots.txt"] = Response("User-agent: *\nCrawl-delay: 0.4\n", headers={"Content-Type": "text/plain"})
    pages = [f"/news/{n}.html" for n in range(3)]
    server.routes["/feed.xml"] = Response(rss([
        {"title": f"Story {n}", "guid": f"g{n}", "link": server.url(path), "description": "Summary."}
        for n, path in enumerate(pages)
    ]), headers=FEED_HEADERS)
    started: list[float] = []

    def page(request):
        started.append(time.monotonic())
        return Response(article_html("Story", STORY), headers=HTML_HEADERS)

    for path in pages:
        server.routes[path] = page
    fetch_json(run_cli, write_config(server.url("/feed.xml")))  # host_delay = 0
    assert len(started) == 3
    gaps = [later - earlier for earlier, later in zip(sorted(started), sorted(started)[1:])]
    assert min(gaps) >= 0.35, gaps


def test_a_crawl_delay_is_capped_and_never_shortens_host_delay():
    from newsd.daemon.fetcher import MAX_HOST_DELAY_S

    fetcher = Fetcher(HttpSettings(host_delay=2.0))
    assert fetcher.slow_down("https://slow.example/a", 3600) == MAX_HOST_DELAY_S
    assert fetcher.slow_down("https://fast.example/a", 0.5) == 2.0
    assert fetcher._host_delays == {"slow.example": MAX_HOST_DELAY_S}
    fetcher.slow_down("https://slow.example/b", 0.0)  # its robots.txt no longer names a Crawl-delay
    assert fetcher._host_delays == {}


def test_requests_to_one_host_start_at_least_host_delay_apart(server):
    server.routes["/p"] = Response("ok", headers={"Content-Type": "text/plain"})
    settings = HttpSettings(timeout=5, host_delay=0.25, max_per_host=4, allow_private=True)

    async def run() -> float:
        async with Fetcher(settings) as fetcher:
            started = time.monotonic()
            await asyncio.gather(*(fetcher.get(server.url("/p")) for _ in range(4)))
            return time.monotonic() - started

    assert asyncio.run(run()) >= 3 * 0.25


# -- the lock ------------------------------------------------------------------


def test_the_store_lock_admits_one_holder_and_names_it(tmp_path):
    store = tmp_path / "s.db"
    assert holder(store) is None
    with StoreLock(store):
        with pytest.raises(StoreLocked, match=r"pid \d+ is already polling into this store"):
            StoreLock(store).acquire()
        assert holder(store) is not None
    assert holder(store) is None
    with StoreLock(store):  # free again once released
        pass


# -- sd_notify and logs --------------------------------------------------------


def test_notifier_sends_to_the_socket_and_does_nothing_without_one(tmp_path):
    assert not Notifier({}).send("READY=1")
    path = str(tmp_path / "n.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        assert Notifier({"NOTIFY_SOCKET": path}).ready("polling 3 feeds")
        assert sock.recv(100) == b"READY=1\nSTATUS=polling 3 feeds"


def test_watchdog_interval_is_half_of_watchdog_usec_and_only_for_this_process():
    import os
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({}) is None and watchdog_interval({"WATCHDOG_USEC": "0"}) is None


def test_json_log_lines_carry_time_level_logger_message_and_traceback():
    record = logging.LogRecord("newsd.x", logging.WARNING, __file__, 1, "feed %s failed", ("f",), None)
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["level"], entry["logger"], entry["message"]) == ("warning", "newsd.x", "feed f failed")
    assert entry["time"].endswith("+00:00")
    try:
        raise ValueError("bad")
    except ValueError:
        import sys
        record = logging.LogRecord("newsd.x", logging.ERROR, __file__, 1, "oops", (), sys.exc_info())
    assert "ValueError: bad" in json.loads(JsonFormatter().format(record))["exception"]


def test_log_format_json_from_the_command_line(server, write_config, run_cli):
    server.routes["/feed.xml"] = Response("nope", status=500)
    result = run_cli("--log-format", "json", "-v", "--config", str(write_config(server.url("/feed.xml"))), "fetch")
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any(entry["level"] == "info" and "HTTP 500" in entry["message"] for entry in lines)


def test_the_watchdog_is_fed_only_while_the_store_answers(tmp_path):
    store = open_store(tmp_path / "s.db")
    settings = Settings(source="test", storage=StorageSettings(path=tmp_path / "s.db"))
    daemon = Daemon(store, settings, lambda: settings, Notifier({}))
    assert daemon.healthy()
    store.close()
    assert not daemon.healthy()


def test_a_sighup_while_the_workers_start_is_read_once_polling_starts(tmp_path, monkeypatch):
    """Before the poller exists there is nothing to reconfigure: the reload waits for it instead of failing."""
    store = open_store(tmp_path / "s.db")
    settings = Settings(source="test", storage=StorageSettings(path=tmp_path / "s.db"))
    loads: list[bool] = []
    daemon = Daemon(store, settings, lambda: loads.append(daemon._poller is not None) or settings, Notifier({}))

    async def start_workers_and_get_a_sighup() -> None:
        daemon.reload()  # what the SIGHUP handler calls
        assert loads == [] and daemon._reload_pending

    monkeypatch.setattr(daemon, "_start_workers", start_workers_and_get_a_sighup)

    async def run() -> int:
        asyncio.get_running_loop().call_later(0.5, daemon.stop)
        return await daemon.run()

    assert asyncio.run(run()) == 0
    assert loads == [True] and not daemon._reload_pending  # read once, with a poller to give it to
    store.close()


# -- config and maintenance ----------------------------------------------------


def test_durations_read_as_seconds_or_with_a_unit():
    assert [parse_duration(v) for v in (600, "90s", "10m", "2h", "7d", " 5 m ")] == [600, 90, 600, 7200, 604800, 300]
    assert [parse_duration(v) for v in ("soon", "1w", -5, True, 1.5)] == [None] * 5


def test_poll_settings_are_validated_with_clear_messages(tmp_path, run_cli):
    config = tmp_path / "bad.toml"
    config.write_text('[poll]\nmin_interval = "5s"\nmax_interval = "soon"\njitter = 2\nworkers = -1\n'
                      '[[feeds]]\nurl = "https://e.org/rss"\nmin_interval = "2h"\nmax_interval = "1h"\n')
    result = run_cli("--config", str(config), "config", "check")
    assert result.exit_code == 2
    for expected in ("poll.min_interval: '5s' is too short: at least 60 s", "poll.max_interval: expected a duration",
                     "poll.jitter: expected a number from 0 to 1", "poll.workers",
                     "feeds[0].min_interval: 7200 s is above max_interval (3600 s)"):
        assert expected in result.output


def test_retention_purges_old_poll_log_rows_and_articles_with_their_index_rows(tmp_path):
    from test_store import article, source  # the store tests' record builders

    with open_store(tmp_path / "s.db") as store:
        feed = store.upsert_feed("https://e.com/rss", None, (), True, "cli")
        long_text = " ".join(STORY)
        fingerprint = fingerprint_of(long_text, DedupSettings())
        assert fingerprint is not None
        old_id, _ = store.add_article(article(url="https://e.com/old", text=long_text, fetched_at="2020-01-01T00:00:00Z"),
                                      source(feed["id"], "o", "https://e.com/old"), None, fingerprint)
        assert store.db.execute("SELECT count(*) FROM lsh_bands WHERE article_id = ?", [old_id]).fetchone()[0] > 0
        new_id, _ = store.add_article(article(url="https://e.com/new", title="Other", text="Another text entirely."),
                                      source(feed["id"], "n", "https://e.com/new"))
        store.db.execute("INSERT INTO fetch_log (feed_id, started_at, duration_ms) VALUES (?, '2020-01-01T00:00:00Z', 1)",
                         [feed["id"]])
        store.db.conn.commit()
        assert store.purge_fetch_log("2021-01-01T00:00:00Z") == 1
        assert store.purge_articles("2021-01-01T00:00:00Z") == 1
        assert [r[0] for r in store.db.execute("SELECT id FROM articles")] == [new_id]
        assert store.db.execute("SELECT count(*) FROM article_sources WHERE article_id = ?", [old_id]).fetchone() == (0,)
        assert store.db.execute("SELECT count(*) FROM lsh_bands WHERE article_id = ?", [old_id]).fetchone() == (0,)
        assert store.checkpoint()[0] >= 0


def test_with_fetch_pages_off_an_entry_without_text_does_not_keep_the_feed_from_its_304(server, write_config, run_cli,
                                                                                        tmp_path):
    server.routes["/feed.xml"] = lambda request: (
        Response(status=304, headers={"ETag": '"e1"'}) if request.headers.get("if-none-match") == '"e1"' else
        Response(rss([{"title": "Text", "guid": "t", "link": server.url("/t"), "description": "Some text."},
                      {"title": "Bare", "guid": "b", "link": server.url("/b")}]), headers={**FEED_HEADERS, "ETag": '"e1"'}))
    config = write_config(server.url("/feed.xml"), extra="[poll]\nworkers = 0\nfetch_pages = false\n")
    first = fetch_json(run_cli, config)
    assert first["articles_new"] == 1 and "fetch_pages is off" in first["feeds"][0]["page_errors"][0]
    assert server.requests_to("/t") == [] and server.requests_to("/b") == []  # no page downloaded
    assert rows(tmp_path / "newsd.db", "SELECT etag FROM feeds") == [('"e1"',)]
    assert fetch_json(run_cli, config)["feeds_not_modified"] == 1  # the next poll is a 304


def test_a_permanent_redirect_to_an_error_does_not_move_the_feed(server, write_config, run_cli, tmp_path):
    server.routes["/old.xml"] = Response(status=301, headers={"Location": server.url("/gone.xml")})
    server.routes["/gone.xml"] = Response("gone", status=404)
    fetch_json(run_cli, write_config(server.url("/old.xml")))
    assert rows(tmp_path / "newsd.db", "SELECT url, moved_from FROM feeds") == [(server.url("/old.xml"), None)]


def test_workers_start_every_process_before_the_first_job(tmp_path):
    from newsd.daemon.workers import Workers

    settings = Settings(source="test", storage=StorageSettings(path=tmp_path / "s.db"))
    workers = Workers(settings, 2)

    async def run() -> None:
        assert len(getattr(workers._executor, "_processes", None) or {}) == 0  # the pool starts them lazily
        await workers.start()
        processes = workers._executor._processes  # type: ignore[attr-defined]
        assert len(processes) == 2 and all(p.is_alive() for p in processes.values())

    try:
        asyncio.run(run())
    finally:
        workers.close()


def test_a_dead_worker_process_is_replaced(tmp_path):
    import os
    import signal as signals
    from newsd.daemon.workers import Workers

    settings = Settings(source="test", storage=StorageSettings(path=tmp_path / "s.db"))
    workers = Workers(settings, 1)

    async def run() -> None:
        assert (await workers.extract(None, None, article_html("T", STORY).encode())).text
        pid = await workers._run(os.getpid)
        os.kill(pid, signals.SIGKILL)
        await asyncio.sleep(0.2)
        assert (await workers.extract(None, None, article_html("T", STORY).encode())).text  # a new pool did it

    try:
        asyncio.run(run())
    finally:
        workers.close()


@pytest.fixture
def two_slot_workers(tmp_path):
    """Workers in one thread that two jobs fill: the order of the jobs waiting for a slot shows."""
    from newsd.daemon.workers import Workers

    workers = Workers(Settings(source="test", storage=StorageSettings(path=tmp_path / "s.db")), 0)
    workers._slots = 2
    yield workers
    workers.close()


async def fill_both_slots(workers, gate) -> list[asyncio.Task]:  # type: ignore[no-untyped-def]
    """Two jobs that hold the two slots until ``gate`` is set (they return True then)."""
    from newsd.daemon.workers import START_NEW

    running = [asyncio.create_task(workers._run_in_turn(START_NEW, gate.wait, 5)) for _ in range(2)]
    await asyncio.sleep(0.05)
    return running


def test_jobs_that_finish_a_feed_go_before_the_parse_of_another(two_slot_workers):
    """A fingerprint waiting for a slot overtakes a parse that came first, so a parsed feed's entries do not wait."""
    import threading
    from newsd.daemon.workers import FINISH_FIRST, START_NEW

    order: list[str] = []
    workers = two_slot_workers
    gate = threading.Event()

    def job(name: str) -> None:
        if name == "first":
            gate.wait(5)
        order.append(name)

    async def run() -> None:
        running = [asyncio.create_task(workers._run_in_turn(START_NEW, job, name)) for name in ("first", "second")]
        await asyncio.sleep(0.05)  # both slots taken
        waiting = [asyncio.create_task(workers._run_in_turn(START_NEW, job, "parse")),
                   asyncio.create_task(workers._run_in_turn(FINISH_FIRST, job, "fingerprint"))]
        await asyncio.sleep(0.05)
        gate.set()
        await asyncio.gather(*running, *waiting)

    asyncio.run(run())
    assert order == ["first", "second", "fingerprint", "parse"]
    assert workers._busy == 0 and not workers._waiting


def test_workers_closed_later_finish_the_jobs_still_waiting_then_shut_down(two_slot_workers):
    """A config reload replaces the workers: the jobs of polls already running still run on the old ones."""
    import threading
    from newsd.daemon.workers import START_NEW

    workers = two_slot_workers
    gate = threading.Event()

    async def run() -> list[object]:
        running = await fill_both_slots(workers, gate)
        waiting = [asyncio.create_task(workers._run_in_turn(START_NEW, os.getpid)) for _ in range(2)]
        await asyncio.sleep(0.05)
        workers.close_later()
        assert not workers._executor._shutdown  # type: ignore[attr-defined]
        gate.set()
        return await asyncio.gather(*running, *waiting)

    assert asyncio.run(run()) == [True, True, os.getpid(), os.getpid()]
    assert workers._executor._shutdown  # type: ignore[attr-defined]  # after its last job


def test_a_job_cancelled_while_it_waits_for_a_slot_takes_none(two_slot_workers):
    import threading
    from newsd.daemon.workers import START_NEW

    workers = two_slot_workers
    gate = threading.Event()

    async def run() -> list[int]:
        running = await fill_both_slots(workers, gate)
        cancelled = asyncio.create_task(workers._run_in_turn(START_NEW, os.getpid))
        await asyncio.sleep(0.05)
        cancelled.cancel()
        gate.set()
        await asyncio.gather(*running)
        after = await asyncio.wait_for(workers._run_in_turn(START_NEW, os.getpid), 5)  # a slot is free again
        return [after, workers._busy, len(workers._waiting)]

    pid, busy, waiting = asyncio.run(run())
    assert pid == os.getpid() and busy == 0 and waiting == 0


def test_texts_asked_for_together_are_hashed_in_one_job(two_slot_workers, monkeypatch):
    """A feed's new entries ask for their fingerprints at once: one job, each caller gets its own text's."""
    from newsd.daemon import worker_jobs
    from newsd.daemon.workers import FINGERPRINTS_PER_JOB

    jobs: list[list[str]] = []
    monkeypatch.setattr(worker_jobs, "fingerprint", lambda text: f"fp:{text}")
    real = worker_jobs.fingerprints
    monkeypatch.setattr(worker_jobs, "fingerprints", lambda texts: jobs.append(texts) or real(texts))
    texts = [f"t{n}" for n in range(FINGERPRINTS_PER_JOB + 3)]

    async def run() -> list[object]:
        return await asyncio.gather(*(two_slot_workers.fingerprint(text) for text in texts))

    assert asyncio.run(run()) == [f"fp:{text}" for text in texts]
    assert [len(job) for job in jobs] == [FINGERPRINTS_PER_JOB, 3]  # bounded, so every worker gets some


def test_a_failed_hashing_job_fails_each_of_its_callers(two_slot_workers, monkeypatch):
    from newsd.daemon import worker_jobs

    def broken(texts: list[str]) -> list[object]:
        raise RuntimeError("hashing failed")

    monkeypatch.setattr(worker_jobs, "fingerprints", broken)

    async def run() -> list[object]:
        return await asyncio.gather(*(two_slot_workers.fingerprint(t) for t in ("a", "b")), return_exceptions=True)

    results = asyncio.run(run())
    assert [str(r) for r in results] == ["hashing failed", "hashing failed"]
    assert two_slot_workers._busy == 0


def test_a_text_that_fails_to_hash_fails_its_own_entry_only(two_slot_workers, monkeypatch):
    from newsd.daemon import worker_jobs

    def fingerprint(text: str) -> str:
        if text == "bad":
            raise ValueError("cannot hash this one")
        return f"fp:{text}"

    monkeypatch.setattr(worker_jobs, "fingerprint", fingerprint)

    async def run() -> list[object]:
        return await asyncio.gather(*(two_slot_workers.fingerprint(t) for t in ("a", "bad", "b")),
                                    return_exceptions=True)

    first, bad, last = asyncio.run(run())
    assert (first, last) == ("fp:a", "fp:b") and isinstance(bad, ValueError)


def test_texts_waiting_to_be_sent_keep_workers_closed_later_up_until_they_are_hashed(two_slot_workers, monkeypatch):
    """A config reload between a fingerprint's request and its job going out must not shut the pool under it."""
    from newsd.daemon import worker_jobs

    monkeypatch.setattr(worker_jobs, "fingerprint", lambda text: f"fp:{text}")
    workers = two_slot_workers

    async def run() -> object:
        asking = asyncio.create_task(workers.fingerprint("x"))
        await asyncio.sleep(0)  # asked; the job goes out at the end of the loop's next turn
        workers.close_later()
        assert not workers._executor._shutdown  # type: ignore[attr-defined]
        return await asking

    assert asyncio.run(run()) == "fp:x"
    assert workers._executor._shutdown and workers.finished  # type: ignore[attr-defined]  # after its last job


def test_closed_workers_cancel_their_hashing_and_start_no_new_pool_when_theirs_dies(two_slot_workers, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    workers = two_slot_workers
    started: list[object] = []
    monkeypatch.setattr(workers, "_new_executor", lambda: started.append(1))

    class DeadPool:
        def submit(self, *args: object, **kwargs: object) -> None:
            raise BrokenProcessPool("a worker was killed by the stop")

        def shutdown(self, *args: object, **kwargs: object) -> None:
            pass

    async def run() -> None:
        waiting_to_go = asyncio.create_task(workers.fingerprint("x"))
        await asyncio.sleep(0)  # asked, not sent yet
        sent = asyncio.create_task(workers.fingerprint("y"))
        await asyncio.sleep(0)
        workers._send_texts_to_hash()  # both sent: a job task made, not started yet
        workers.close()
        for asking in (waiting_to_go, sent):
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(asking, 5)  # answered, not left waiting
        workers._executor = DeadPool()  # type: ignore[assignment]
        with pytest.raises(BrokenProcessPool):
            await workers._run(os.getpid)

    asyncio.run(run())
    assert started == []  # a dead pool after close() is not replaced


def test_a_pool_closed_later_is_still_killed_by_a_stop_while_its_job_runs(tmp_path):
    """After a reload, the old pool's last job may be a huge page: the stop does not wait for it."""
    import time as clock

    from newsd.daemon.workers import START_NEW, Workers

    workers = Workers(Settings(source="test", storage=StorageSettings(path=tmp_path / "s.db")), 1)

    async def run() -> None:
        await workers.start()
        job = asyncio.create_task(workers._run_in_turn(START_NEW, clock.sleep, 60))
        await asyncio.sleep(0.2)
        job.cancel()  # its poll was cancelled, but the worker still runs it
        await asyncio.gather(job, return_exceptions=True)
        workers.close_later()  # no job left to wait for: the pool is shut down, its process left running
        assert workers._shut_down and not workers.finished
        started = clock.monotonic()
        workers.close(timeout=0.5)
        assert clock.monotonic() - started < 5

    asyncio.run(run())
    assert workers._left_running and not any(process.is_alive() for process in workers._left_running)


def test_a_feed_max_interval_below_the_global_minimum_is_an_error(tmp_path, run_cli):
    config = tmp_path / "c.toml"
    config.write_text('[[feeds]]\nurl = "https://e.org/rss"\nmax_interval = "5m"\n')
    result = run_cli("--config", str(config), "config", "check")
    assert result.exit_code == 2 and "feeds[0].max_interval: 300 s is below [poll] min_interval (600 s)" in result.output


def test_an_exact_copy_needs_no_fingerprint_and_a_new_story_gets_one_from_a_worker(server, write_config, run_cli,
                                                                                  tmp_path, monkeypatch):
    """The cold poll's hashing runs in the workers, and not at all for a text the store already holds."""
    from newsd.daemon import worker_jobs

    hashed: list[str] = []
    real = worker_jobs.fingerprint
    monkeypatch.setattr(worker_jobs, "fingerprint", lambda text: hashed.append(text) or real(text))
    story, other = "\n\n".join(STORY), "\n\n".join(OTHER_STORIES[0])
    items = [{"title": "Lanes", "guid": "a", "link": server.url("/a"), "description": story}]
    server.routes["/feed.xml"] = lambda request: Response(rss(items), headers=FEED_HEADERS)
    config = write_config(server.url("/feed.xml"), extra="[poll]\nworkers = 0\nfetch_pages = false\n")
    assert fetch_json(run_cli, config)["articles_new"] == 1
    assert len(hashed) == 1
    items[:] = [{"title": "Lanes (copy)", "guid": "a2", "link": server.url("/copy-of-a"), "description": story},
                {"title": "Tram", "guid": "b", "link": server.url("/b"), "description": other}]
    assert fetch_json(run_cli, config)["articles_new"] == 1
    assert hashed[1:] == [other]  # the new story was hashed; its copy was not
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT count(*) FROM articles") == [(2,)]
    assert rows(db, "SELECT count(*) FROM article_fingerprints") == [(2,)]
    assert rows(db, "SELECT count(*) FROM article_sources") == [(3,)]


def test_an_exact_copy_that_paragraphs_a_run_on_text_replaces_it(server, write_config, run_cli, tmp_path):
    """The same folded words, but the copy puts paragraphs where the first ran Japanese sentences together."""
    run_on = "東京は晴れ。大阪は雨。名古屋は曇り。"
    paragraphed = "<p>東京は晴れ。</p><p>大阪は雨。</p><p>名古屋は曇り。</p>"
    items = [{"title": "天気", "guid": "a", "link": server.url("/a"), "description": run_on}]
    server.routes["/feed.xml"] = lambda request: Response(rss(items), headers=FEED_HEADERS)
    config = write_config(server.url("/feed.xml"), extra="[poll]\nworkers = 0\nfetch_pages = false\n")
    assert fetch_json(run_cli, config)["articles_new"] == 1
    items.append({"title": "天気", "guid": "b", "link": server.url("/b"), "description": paragraphed})
    assert fetch_json(run_cli, config)["articles_new"] == 0  # the same story
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT text, word_count FROM articles") == [("東京は晴れ。\n\n大阪は雨。\n\n名古屋は曇り。", 3)]
    assert rows(db, "SELECT count(*) FROM article_sources") == [(2,)]


def test_the_full_text_index_is_merged_in_short_steps_that_end(tmp_path):
    from test_store import article, source

    with open_store(tmp_path / "s.db") as store:
        feed = store.upsert_feed("https://e.com/rss", None, (), True, "cli")
        for n in range(60):  # one transaction each: many small segments
            text = " ".join(f"{word}{n}" for word in STORY[0].split())
            store.add_article(article(url=f"https://e.com/{n}", text=text), source(feed["id"], str(n), f"https://e.com/{n}"))
        segments = store.db.execute("SELECT count(*) FROM articles_fts_data").fetchone()[0]
        steps = 1
        while store.optimize_search(pages=2):
            steps += 1
            assert steps < 1000
            # polls go on between the steps, each adding a segment
            store.add_article(article(url=f"https://e.com/x{steps}", text=f"Poll {steps} went on meanwhile."),
                              source(feed["id"], f"x{steps}", f"https://e.com/x{steps}"))
        store.db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
        assert steps > 1  # more than one step of 2 pages was needed
        assert store.db.execute("SELECT count(*) FROM articles_fts_data").fetchone()[0] < segments
        assert not store.optimize_search()  # merged: nothing left to do
        assert [r[0] for r in store.db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'voted7'")] \
            == [store.article_id_for_url("https://e.com/7")]


def test_grouped_writes_are_committed_while_the_poller_waits_on_the_network(tmp_path):
    """No later write is needed to commit a group: the write lock is never held across a slow download."""
    from newsd.daemon.pipeline import GROUP_COMMIT_S, grouped_commits
    from test_store import article, source

    async def run(store) -> tuple[int, int]:
        feed = store.upsert_feed("https://e.com/rss", None, (), True, "cli")
        async with grouped_commits(store):
            store.add_article(article(url="https://e.com/a"), source(feed["id"], "a", "https://e.com/a"))
            seen_at_once = rows(tmp_path / "s.db", "SELECT count(*) FROM articles")[0][0]
            await asyncio.sleep(GROUP_COMMIT_S * 3)  # a page download
            with sqlite3.connect(tmp_path / "s.db", timeout=0) as other:  # would fail at once if still locked
                other.execute("UPDATE feeds SET enabled = 1")
            return seen_at_once, rows(tmp_path / "s.db", "SELECT count(*) FROM articles")[0][0]

    with open_store(tmp_path / "s.db") as store:
        assert asyncio.run(run(store)) == (0, 1)


def modules_loaded_by(imports: str, watched: tuple[str, ...]) -> list[str]:
    """Which of ``watched`` a fresh interpreter has loaded after ``import <imports>``."""
    import subprocess
    import sys

    code = f"import sys, {imports}; print(sorted(m for m in {watched!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return eval(result.stdout)  # a printed list of str


def test_a_worker_loads_neither_the_event_loop_nor_the_store():
    """Every worker holds what the fork server imported (worker_jobs): the parser and the hashing, not asyncio or sqlite-utils."""
    assert modules_loaded_by("newsd.daemon.worker_jobs",
                             ("asyncio", "sqlite_utils", "newsd.storage.store", "trafilatura")) == []


def test_the_console_script_module_loads_nothing_a_worker_would_carry():
    """multiprocessing imports the main module (the newsd script) in every worker: it must not pull in the CLI."""
    assert modules_loaded_by("newsd.daemon.entry",
                             ("click", "aiohttp", "apscheduler", "sqlite_utils", "newsd.daemon.cli")) == []


def test_the_daemon_process_does_not_load_the_extractor():
    """trafilatura is for the workers that extract pages: the CLI and the daemon's main process go without it."""
    assert modules_loaded_by("newsd.daemon.cli, newsd.daemon.service, newsd.daemon.pipeline, newsd.daemon.workers",
                             ("trafilatura", "newsd.daemon.extract")) == []
