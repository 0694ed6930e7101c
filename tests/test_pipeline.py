"""Pipeline decisions as pure functions, and its behaviour under failures."""

from __future__ import annotations

import json
import sqlite3
import threading
import time

from conftest import OTHER_STORIES, STORY, Response, article_html, rss
from newsd.daemon import extract as extract_module, pipeline, worker_jobs
from newsd.daemon.fetcher import FetchResult
from newsd.daemon.pipeline import choose_text, new_validators

OLD = {"etag": '"old"', "last_modified": "Mon, 01 Jan 2024 00:00:00 GMT"}


def result(status: int, **headers: str) -> FetchResult:
    return FetchResult(url="u", final_url="u", status=status, headers=headers)


def test_validators_after_a_stored_200_are_exactly_what_it_sent():
    assert new_validators(result(200, etag='"new"'), OLD, stored_all=True) == ('"new"', None)


def test_validators_stay_when_entries_were_not_all_stored():
    assert new_validators(result(200, etag='"new"'), OLD, stored_all=False) == ('"old"', OLD["last_modified"])


def test_a_304_refreshes_one_validator_and_keeps_the_other():
    assert new_validators(result(304, etag='"fresh"'), OLD, stored_all=False) == ('"fresh"', OLD["last_modified"])
    assert new_validators(result(304), OLD, stored_all=False) == ('"old"', OLD["last_modified"])


def test_a_failed_poll_keeps_the_validators():
    failed = FetchResult(url="u", final_url="u", status=500, error_kind="http", error="HTTP 500")
    assert new_validators(failed, OLD, stored_all=False) == ('"old"', OLD["last_modified"])


def test_choose_text_prefers_the_page_unless_it_is_much_shorter():
    long_page, summary = " ".join(["word"] * 100), "a short summary of the story"
    assert choose_text(long_page, summary) == (long_page, "page", None)
    assert choose_text("", summary) == (summary, "feed", None)
    text, source, reason = choose_text("Home", " ".join(["word"] * 40))
    assert source == "feed" and "shorter than the feed's (1 vs 40 words)" in reason


def test_timeout_does_not_count_the_wait_for_a_free_connection(server, write_config, run_cli, tmp_path):
    """Six slow pages on one host, one connection at a time: 3 s in all, each within its 2 s."""
    items = [{"title": f"Slow {i}", "guid": f"s{i}", "link": server.url(f"/slow{i}.html"), "description": "feed text"}
             for i in range(6)]
    server.routes["/feed.xml"] = Response(rss(items), headers={"Content-Type": "application/rss+xml"})
    for i in range(6):
        server.routes[f"/slow{i}.html"] = Response(article_html(f"Slow {i}", OTHER_STORIES[i]), delay=0.5,
                                                   headers={"Content-Type": "text/html"})
    config = write_config(server.url("/feed.xml"), http="timeout = 2\nmax_per_host = 1")
    summary = json.loads(run_cli("--config", str(config), "fetch", "--json").stdout)
    assert summary["articles_new"] == 6 and summary["pages_failed"] == 0


def test_a_page_that_breaks_the_extractor_falls_back_to_feed_text(server, write_config, run_cli, tmp_path, monkeypatch):
    def broken(html, url=None, rules=None, disabled=frozenset()):
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(extract_module, "extract", broken)  # worker_jobs.extract_page imports it when called
    server.routes["/feed.xml"] = Response(rss([{"title": "T", "guid": "g", "link": server.url("/p.html"),
                                                "description": "Feed text."}]), headers={"Content-Type": "application/rss+xml"})
    server.routes["/p.html"] = Response(article_html("T", STORY), headers={"Content-Type": "text/html"})
    summary = json.loads(run_cli("--config", str(write_config(server.url("/feed.xml"))), "fetch", "--json").stdout)
    assert summary["articles_new"] == 1 and "extraction failed" in summary["feeds"][0]["page_errors"][0]
    with sqlite3.connect(tmp_path / "newsd.db") as conn:
        assert conn.execute("SELECT text, text_source FROM articles").fetchall() == [("Feed text.", "feed")]


def test_a_bug_in_one_entry_costs_that_entry_and_keeps_the_validators(server, write_config, run_cli, tmp_path, monkeypatch):
    real = pipeline.build_article

    def broken_for_one(entry, *args, **kwargs):
        if entry.guid == "bad":
            raise RuntimeError("pipeline bug")
        return real(entry, *args, **kwargs)

    monkeypatch.setattr(pipeline, "build_article", broken_for_one)
    server.routes["/feed.xml"] = Response(rss([
        {"title": "Bad", "guid": "bad", "description": "x"},
        {"title": "Good", "guid": "good", "description": "Good feed text."},
    ]), headers={"Content-Type": "application/rss+xml", "ETag": '"e1"'})
    result = run_cli("--config", str(write_config(server.url("/feed.xml"))), "fetch", "--json")
    assert result.exit_code == 0
    feed = json.loads(result.stdout)["feeds"][0]
    assert feed["articles_new"] == 1 and "internal error" in feed["page_errors"][0]
    with sqlite3.connect(tmp_path / "newsd.db") as conn:
        assert conn.execute("SELECT title FROM articles").fetchall() == [("Good",)]
        # Not every entry was stored: the next poll must ask unconditionally and retry "Bad".
        assert conn.execute("SELECT etag FROM feeds").fetchone() == (None,)


def test_a_bug_in_a_feed_is_recorded_like_any_failure(server, write_config, run_cli, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(worker_jobs, "parse_feed", broken)
    server.routes["/feed.xml"] = Response(rss([]), headers={"Content-Type": "application/rss+xml", "ETag": '"e1"'})
    result = run_cli("--config", str(write_config(server.url("/feed.xml"))), "fetch", "--json")
    assert result.exit_code == 1
    assert "internal error" in json.loads(result.stdout)["feeds"][0]["error"]
    with sqlite3.connect(tmp_path / "newsd.db") as conn:
        etag, last_error = conn.execute("SELECT etag, last_error FROM feeds").fetchone()
        assert etag is None and "internal error" in last_error
        assert conn.execute("SELECT count(*) FROM fetch_log").fetchone()[0] == 1


def test_a_store_failure_stops_the_run_with_exit_2(server, write_config, run_cli, monkeypatch):
    from newsd.storage import Store

    def full_disk(self, article, source, page=None, fingerprint=None):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Store, "add_article", full_disk)
    server.routes["/feed.xml"] = Response(rss([{"title": "T", "guid": "g", "description": "x"}]),
                                          headers={"Content-Type": "application/rss+xml"})
    result = run_cli("--config", str(write_config(server.url("/feed.xml"))), "fetch")
    assert result.exit_code == 2 and "disk is full" in result.output and "Traceback" not in result.output


def test_absolute_file_links_in_a_local_feed(tmp_path, write_config, run_cli):
    page = tmp_path / "abs.html"
    page.write_text(article_html("Absolute", STORY), encoding="utf-8")
    (tmp_path / "feed.xml").write_text(rss([{"title": "Absolute", "guid": "a", "link": page.as_uri()}]), encoding="utf-8")
    summary = json.loads(run_cli("--config", str(write_config("feed.xml")), "fetch", "--json").stdout)
    assert summary["articles_new"] == 1 and summary["pages_failed"] == 0


def test_an_entry_with_no_text_anywhere_is_not_stored_and_retried(server, write_config, run_cli, tmp_path):
    """Title only, page gone: nothing worth storing; the next poll tries the page again."""
    server.routes["/feed.xml"] = Response(rss([{"title": "Only a title", "guid": "o", "link": server.url("/gone.html")}]),
                                          headers={"Content-Type": "application/rss+xml"})
    config = str(write_config(server.url("/feed.xml")))
    summary = json.loads(run_cli("--config", config, "fetch", "--json").stdout)
    assert summary["articles_new"] == 0 and "nothing stored, will retry" in summary["feeds"][0]["page_errors"][0]
    with sqlite3.connect(tmp_path / "newsd.db") as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    server.routes["/gone.html"] = Response(article_html("Only a title", STORY), headers={"Content-Type": "text/html"})
    assert json.loads(run_cli("--config", config, "fetch", "--json").stdout)["articles_new"] == 1


def test_a_broken_link_costs_only_its_entry(server, write_config, run_cli, tmp_path):
    server.routes["/feed.xml"] = Response(rss([
        {"title": "Broken", "guid": "b", "link": "http://[::1/oops", "description": "Broken link, good text."},
        {"title": "Fine", "guid": "f", "link": server.url("/fine.html")},
    ]), headers={"Content-Type": "application/rss+xml"})
    server.routes["/fine.html"] = Response(article_html("Fine", STORY), headers={"Content-Type": "text/html"})
    result = run_cli("--config", str(write_config(server.url("/feed.xml"))), "fetch", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["articles_new"] == 2
    with sqlite3.connect(tmp_path / "newsd.db") as conn:
        assert dict(conn.execute("SELECT title, text_source FROM articles")) == {"Broken": "feed", "Fine": "page"}


def test_an_entry_left_for_later_is_retried_even_when_the_feed_has_validators(server, write_config, run_cli, tmp_path):
    """The feed answers 304 to its ETag; the unstored entry must not hide behind it."""
    feed = rss([{"title": "Later", "guid": "later", "link": server.url("/later.html")}])

    def feed_handler(request):
        if request.headers.get("if-none-match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(feed, headers={"Content-Type": "application/rss+xml", "ETag": '"v1"'})

    server.routes["/feed.xml"] = feed_handler
    config = str(write_config(server.url("/feed.xml")))
    first = json.loads(run_cli("--config", config, "fetch", "--json").stdout)
    assert first["articles_new"] == 0 and "will retry" in first["feeds"][0]["page_errors"][0]
    server.routes["/later.html"] = Response(article_html("Later", STORY), headers={"Content-Type": "text/html"})
    second = json.loads(run_cli("--config", config, "fetch", "--json").stdout)
    assert second["articles_new"] == 1 and second["feeds_not_modified"] == 0
    third = json.loads(run_cli("--config", config, "fetch", "--json").stdout)
    assert third["feeds_not_modified"] == 1  # now everything is stored, the ETag is used


def test_extraction_keeps_no_state_between_pages():
    """trafilatura's cross-document dedup is off: a paragraph two pages share survives in both."""
    from newsd.daemon.extract import extract

    shared = STORY[0]
    first = extract(article_html("One", [shared, STORY[1]]))
    second = extract(article_html("Two", [shared, STORY[2]]))
    for _ in range(3):  # trafilatura's LRU would need a few sightings before cutting
        second = extract(article_html("Two", [shared, STORY[2]]))
    assert shared in first.text and shared in second.text


def test_pages_are_never_extracted_two_at_once(server, write_config, run_cli, tmp_path, monkeypatch):
    # trafilatura and lxml crash the process when two extractions run in parallel threads
    running, peak, lock = [0], [0], threading.Lock()
    real_extract = extract_module.extract

    def watched_extract(*args, **kwargs):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            time.sleep(0.05)  # long enough for a second extraction to overlap, were one allowed
            return real_extract(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(extract_module, "extract", watched_extract)
    items = [{"title": f"Story {i}", "guid": f"g{i}", "link": server.url(f"/s{i}.html")} for i in range(4)]
    server.routes["/feed.xml"] = Response(rss(items), headers={"Content-Type": "application/rss+xml"})
    for i in range(4):
        server.routes[f"/s{i}.html"] = Response(article_html(f"Story {i}", [OTHER_STORIES[i][0]] + STORY),
                                                headers={"Content-Type": "text/html"})
    result = run_cli("--config", str(write_config(server.url("/feed.xml"))), "fetch")
    assert result.exit_code == 0, result.output
    assert peak[0] == 1
    with sqlite3.connect(tmp_path / "newsd.db") as conn:
        assert conn.execute("SELECT count(*) FROM article_sources").fetchone() == (4,)
