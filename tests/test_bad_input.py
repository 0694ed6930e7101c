"""Bad input gets a clear per-feed error, lands in fetch_log and the summary, and the run goes on."""

from __future__ import annotations

import json
import socket
import sqlite3

import pytest

from conftest import STORY, Response, article_html, rss

FEED_HEADERS = {"Content-Type": "application/rss+xml"}


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def good_feed(server) -> str:
    server.routes["/good.xml"] = Response(rss([{"title": "Fine", "guid": "f", "link": server.url("/fine.html")}]), headers=FEED_HEADERS)
    server.routes["/fine.html"] = Response(article_html("Fine", STORY), headers={"Content-Type": "text/html"})
    return server.url("/good.xml")


BAD_FEEDS = {
    "http-500": (Response("oops", status=500), "HTTP 500"),
    "http-404": (Response("missing", status=404), "HTTP 404"),
    "html-page": (
        Response('<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="/real.xml"></head><body>Hi</body></html>',
                 headers={"Content-Type": "text/html"}),
        "not a feed: got an HTML page; the page names a feed at http://127.0.0.1:",
    ),
    "malformed-xml": (Response(b"<?xml version='1.0'?><rss><channel><title>x</ti", headers=FEED_HEADERS), "malformed feed XML"),
    "empty": (Response(b"", headers=FEED_HEADERS), "empty response"),
    "too-large": (Response(b"<rss>" + b" " * 4096 + b"</rss>", headers=FEED_HEADERS), "over max_bytes"),
    "too-large-gzip": (Response(b"<rss>" + b" " * 100_000 + b"</rss>", headers=FEED_HEADERS, gzip=True), "over max_bytes"),
    "slow": (Response(rss([]), headers=FEED_HEADERS, delay=3), "no complete response within 1 s"),
}


@pytest.mark.parametrize("case", sorted(BAD_FEEDS))
def test_bad_feed_is_recorded_and_the_run_goes_on(case, server, write_config, run_cli, tmp_path):
    response, message = BAD_FEEDS[case]
    server.routes["/bad.xml"] = response
    good = good_feed(server)
    config = write_config(server.url("/bad.xml"), good, http="timeout = 1\nmax_bytes = 2048")
    result = run_cli("--config", str(config), "fetch", "--json")
    assert result.exit_code == 0  # one feed still worked
    summary = json.loads(result.stdout)
    assert summary["feeds_failed"] == 1 and summary["articles_new"] == 1
    failed = [f for f in summary["feeds"] if f["status"] == "failed"][0]
    assert failed["url"] == server.url("/bad.xml") and message in failed["error"]
    with sqlite3.connect(tmp_path / "newsd.db") as conn:
        log_error, = conn.execute("SELECT l.error FROM fetch_log l JOIN feeds f ON f.id = l.feed_id WHERE f.url = ?",
                                  [server.url("/bad.xml")]).fetchone()
        feed_state = conn.execute("SELECT error_count, last_error FROM feeds WHERE url = ?", [server.url("/bad.xml")]).fetchone()
    assert message in log_error
    assert feed_state[0] == 1 and message in feed_state[1]
    text = run_cli("--config", str(config), "fetch")
    assert "Failed feeds:" in text.output and message in text.output


def test_unreachable_host(write_config, run_cli):
    config = write_config(f"http://127.0.0.1:{closed_port()}/feed.xml")
    result = run_cli("--config", str(config), "fetch", "--json")
    assert result.exit_code == 1  # every feed failed
    summary = json.loads(result.stdout)
    assert "cannot connect to 127.0.0.1" in summary["feeds"][0]["error"]


def test_too_many_redirects(server, write_config, run_cli):
    server.routes["/loop"] = Response(status=302, headers={"Location": "/loop"})
    config = write_config(server.url("/loop"), http="max_redirects = 3")
    summary = json.loads(run_cli("--config", str(config), "fetch", "--json").stdout)
    assert "more than 3 redirects" in summary["feeds"][0]["error"]


def test_redirected_article_is_stored_under_its_final_url(server, write_config, run_cli, tmp_path):
    server.routes["/feed.xml"] = Response(rss([{"title": "Moved", "guid": "m", "link": server.url("/old")}]), headers=FEED_HEADERS)
    server.routes["/old"] = Response(status=301, headers={"Location": "/new.html"})
    server.routes["/new.html"] = Response(article_html("Moved", STORY), headers={"Content-Type": "text/html"})
    run_cli("--config", str(write_config(server.url("/feed.xml"))), "fetch")
    with sqlite3.connect(tmp_path / "newsd.db") as conn:
        assert conn.execute("SELECT url, text_source FROM articles").fetchall() == [(server.url("/new.html"), "page")]


def test_article_over_max_bytes_falls_back_to_feed_text(server, write_config, run_cli, tmp_path):
    server.routes["/feed.xml"] = Response(rss([{"title": "Huge", "guid": "h", "link": server.url("/huge.html"),
                                                "description": "Short summary."}]), headers=FEED_HEADERS)
    server.routes["/huge.html"] = Response(article_html("Huge", STORY * 200), headers={"Content-Type": "text/html"})
    config = write_config(server.url("/feed.xml"), http="max_bytes = 20000")
    summary = json.loads(run_cli("--config", str(config), "fetch", "--json").stdout)
    assert summary["pages_failed"] == 1 and "over max_bytes" in summary["feeds"][0]["page_errors"][0]
    with sqlite3.connect(tmp_path / "newsd.db") as conn:
        assert conn.execute("SELECT text, text_source FROM articles").fetchall() == [("Short summary.", "feed")]


def test_a_file_that_is_not_a_store_is_never_overwritten(tmp_path, write_config, run_cli):
    notes = tmp_path / "notes.db"
    notes.write_text("my precious notes\n", encoding="utf-8")
    config = write_config((tmp_path / "nothing.xml").as_posix())
    result = run_cli("--config", str(config), "--db", str(notes), "fetch")
    assert result.exit_code == 2
    assert "not a SQLite database" in result.output and "--db" in result.output
    assert notes.read_text(encoding="utf-8") == "my precious notes\n"


def test_another_applications_database_is_refused(tmp_path, write_config, run_cli):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    before = other.read_bytes()
    result = run_cli("--config", str(write_config()), "--db", str(other), "stats")
    assert result.exit_code == 2 and "another application" in result.output
    assert other.read_bytes() == before


def test_missing_local_feed_file(tmp_path, write_config, run_cli):
    config = write_config("does-not-exist.xml")
    result = run_cli("--config", str(config), "fetch", "--json")
    assert result.exit_code == 1
    assert "cannot read" in json.loads(result.stdout)["feeds"][0]["error"]
