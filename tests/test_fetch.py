"""`newsd fetch` end to end: local HTTP server → pipeline → SQLite store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import OTHER_STORIES, STORY, LocalServer, Response, article_html, rss

FEED_HEADERS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML_HEADERS = {"Content-Type": "text/html; charset=utf-8"}


def rows(db: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def serve_story_feed(server: LocalServer, path: str = "/feed.xml", etag: str = '"v1"', padding: str = "") -> None:
    """A feed with two entries whose pages carry full stories; honours If-None-Match.

    ``padding`` is appended to the document: other bytes, the same entries.
    """
    feed = rss([
        {"title": "Bike lanes approved", "link": server.url("/a1.html"), "guid": "a1",
         "description": "Council backs bike lanes.", "pubDate": "Tue, 10 Jun 2025 08:00:00 +0200"},
        {"title": "Second story", "link": server.url("/a2.html"), "guid": "a2",
         "description": "Another one."},
    ])

    def feed_handler(request):
        if request.headers.get("if-none-match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(feed + padding, headers={**FEED_HEADERS, "ETag": etag, "Last-Modified": "Tue, 10 Jun 2025 07:00:00 GMT"})

    server.routes[path] = feed_handler
    server.routes["/a1.html"] = Response(article_html("Bike lanes approved", STORY), headers=HTML_HEADERS)
    server.routes["/a2.html"] = Response(article_html("Second story", OTHER_STORIES[0]), headers=HTML_HEADERS)


def test_first_fetch_stores_articles_with_metadata(server, write_config, run_cli, tmp_path):
    serve_story_feed(server)
    config = write_config(server.url("/feed.xml"))
    result = run_cli("--config", str(config), "fetch")
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output
    db = tmp_path / "newsd.db"
    stored = rows(db, "SELECT url, title, text, published_at, text_source, word_count, site_name, language FROM articles ORDER BY url")
    assert len(stored) == 2
    url, title, text, published, source, words, site, lang = stored[0]
    assert url == server.url("/a1.html")
    assert title == "Bike lanes approved"
    assert STORY[0] in text and "\n\n" in text  # paragraphs separated by a blank line
    assert "Privacy" not in text and "Sports" not in text  # template left behind
    assert published == "2025-06-10T06:00:00Z"  # feed date converted to UTC
    assert source == "page" and words > 50 and site == "Test Site" and lang == "en"
    assert rows(db, "SELECT count(*) FROM article_sources")[0][0] == 2
    log = rows(db, "SELECT http_status, new_entries, error, bytes FROM fetch_log")
    assert log[0][:3] == (200, 2, None) and log[0][3] > 0


def test_second_fetch_is_conditional_and_stores_nothing(server, write_config, run_cli, tmp_path):
    serve_story_feed(server)
    config = write_config(server.url("/feed.xml"))
    assert run_cli("--config", str(config), "fetch").exit_code == 0
    pages_before = len(server.requests_to("/a1.html"))
    result = run_cli("--config", str(config), "fetch", "--json")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["feeds_not_modified"] == 1 and summary["articles_new"] == 0
    second = server.requests_to("/feed.xml")[-1]
    # Validators echoed verbatim.
    assert second.headers["if-none-match"] == '"v1"'
    assert second.headers["if-modified-since"] == "Tue, 10 Jun 2025 07:00:00 GMT"
    assert len(server.requests_to("/a1.html")) == pages_before  # no page refetched
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT count(*) FROM articles")[0][0] == 2
    assert rows(db, "SELECT count(*) FROM article_sources")[0][0] == 2
    assert rows(db, "SELECT http_status FROM fetch_log ORDER BY id") == [(200,), (304,)]


def test_changed_feed_only_fetches_new_entries(server, write_config, run_cli, tmp_path):
    serve_story_feed(server, etag='"v1"')
    config = write_config(server.url("/feed.xml"))
    run_cli("--config", str(config), "fetch")
    serve_story_feed(server, etag='"v2"', padding="\n<!-- rebuilt -->\n")  # other bytes, the same entries
    result = run_cli("--config", str(config), "fetch", "--json")
    summary = json.loads(result.stdout)
    assert summary["articles_new"] == 0 and summary["entries_known"] == 2
    assert len(server.requests_to("/a1.html")) == 1
    assert rows(tmp_path / "newsd.db", "SELECT etag FROM feeds") == [('"v2"',)]  # new validators stored


def test_a_200_with_the_same_bytes_is_not_parsed_again(server, write_config, run_cli, tmp_path):
    serve_story_feed(server, etag='"v1"')
    config = write_config(server.url("/feed.xml"))
    run_cli("--config", str(config), "fetch")
    serve_story_feed(server, etag='"v2"')  # a new validator, the very same document
    summary = json.loads(run_cli("--config", str(config), "fetch", "--json").stdout)
    # not parsed: no entry was even looked up
    assert (summary["feeds_not_modified"], summary["entries_known"], summary["articles_new"]) == (1, 0, 0)
    assert rows(tmp_path / "newsd.db", "SELECT etag FROM feeds") == [('"v2"',)]  # its validators are kept
    # the same bytes once more, after a poll that changed nothing: still not parsed
    serve_story_feed(server, etag='"v3"')
    summary = json.loads(run_cli("--config", str(config), "fetch", "--json").stdout)
    assert (summary["feeds_not_modified"], summary["entries_known"]) == (1, 0)


def test_same_entry_in_two_feeds_is_one_article_two_sources(server, write_config, run_cli, tmp_path):
    serve_story_feed(server, path="/one.xml")
    serve_story_feed(server, path="/two.xml")
    config = write_config(server.url("/one.xml"), server.url("/two.xml"))
    result = run_cli("--config", str(config), "fetch", "--json")
    assert result.exit_code == 0
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT count(*) FROM articles")[0][0] == 2
    sources = rows(db, "SELECT article_id, count(DISTINCT feed_id) FROM article_sources GROUP BY article_id")
    assert sources == [(1, 2), (2, 2)]
    assert len(server.requests_to("/a1.html")) == 1  # downloaded once, even within one run


def test_tracking_parameters_do_not_make_a_new_story(server, write_config, run_cli, tmp_path):
    serve_story_feed(server, path="/one.xml")
    server.routes["/two.xml"] = Response(
        rss([{"title": "Bike lanes approved", "link": server.url("/a1.html?utm_source=rss&utm_medium=feed"), "guid": "x"}]),
        headers=FEED_HEADERS,
    )
    config = write_config(server.url("/one.xml"))
    run_cli("--config", str(config), "fetch")
    config = write_config(server.url("/one.xml"), server.url("/two.xml"))
    run_cli("--config", str(config), "fetch")
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT count(*) FROM articles")[0][0] == 2
    assert rows(db, "SELECT count(*) FROM article_sources WHERE url LIKE '%utm_source%'")[0][0] == 1


def test_feed_text_is_the_fallback_when_the_page_fails(server, write_config, run_cli, tmp_path):
    server.routes["/feed.xml"] = Response(rss([
        {"title": "Gone page", "link": server.url("/missing.html"), "guid": "g1",
         "description": "<p>Summary paragraph one.</p><p>Summary paragraph two.</p>"},
        {"title": "A PDF", "link": server.url("/report.pdf"), "guid": "g2", "description": "A report.",
         "content": "<p>Full content from the feed.</p>"},
    ]), headers=FEED_HEADERS)
    server.routes["/report.pdf"] = Response(b"%PDF-1.4 binary", headers={"Content-Type": "application/pdf"})
    config = write_config(server.url("/feed.xml"))
    result = run_cli("--config", str(config), "fetch", "--json")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["articles_new"] == 2 and summary["pages_failed"] == 2
    stored = dict(rows(tmp_path / "newsd.db", "SELECT title, text || '|' || text_source || '|' || page_error FROM articles"))
    assert stored["Gone page"].startswith("Summary paragraph one.\n\nSummary paragraph two.|feed|HTTP 404")
    assert stored["A PDF"].startswith("Full content from the feed.|feed|not an HTML page (application/pdf)")
    assert rows(tmp_path / "newsd.db", "SELECT page_errors FROM fetch_log") == [(2,)]


def test_page_without_article_text_falls_back_to_feed(server, write_config, run_cli, tmp_path):
    server.routes["/feed.xml"] = Response(
        rss([{"title": "Empty", "link": server.url("/empty.html"), "guid": "e", "description": "From the feed."}]),
        headers=FEED_HEADERS,
    )
    server.routes["/empty.html"] = Response("<html><body><nav><a href='/'>Home</a></nav></body></html>", headers=HTML_HEADERS)
    config = write_config(server.url("/feed.xml"))
    run_cli("--config", str(config), "fetch")
    assert rows(tmp_path / "newsd.db", "SELECT text, text_source FROM articles") == [("From the feed.", "feed")]


def test_future_dates_are_clamped_to_fetch_time(server, write_config, run_cli, tmp_path):
    server.routes["/feed.xml"] = Response(rss([{"title": "Time traveller", "guid": "t", "description": "Hello.",
                                                "pubDate": "Fri, 01 Jan 2100 00:00:00 GMT"}]), headers=FEED_HEADERS)
    config = write_config(server.url("/feed.xml"))
    run_cli("--config", str(config), "fetch")
    published, fetched = rows(tmp_path / "newsd.db", "SELECT published_at, fetched_at FROM articles")[0]
    assert published == fetched


def test_remote_feed_cannot_make_newsd_read_local_files(server, write_config, run_cli, tmp_path):
    secret = tmp_path / "secret.html"
    secret.write_text(article_html("Secret", STORY), encoding="utf-8")
    server.routes["/feed.xml"] = Response(
        rss([{"title": "Sneaky", "link": secret.as_uri(), "guid": "s", "description": "Feed text."}]), headers=FEED_HEADERS
    )
    config = write_config(server.url("/feed.xml"))
    run_cli("--config", str(config), "fetch")
    text, source, error = rows(tmp_path / "newsd.db", "SELECT text, text_source, page_error FROM articles")[0]
    assert (text, source) == ("Feed text.", "feed") and "not followed" in error


def test_named_feed_only(server, write_config, run_cli, tmp_path):
    serve_story_feed(server, path="/one.xml")
    serve_story_feed(server, path="/two.xml")
    config = write_config(server.url("/one.xml"), server.url("/two.xml"))
    result = run_cli("--config", str(config), "fetch", "--feed", server.url("/two.xml"))
    assert result.exit_code == 0
    assert server.requests_to("/one.xml") == [] and len(server.requests_to("/two.xml")) == 1
    unknown = run_cli("--config", str(config), "fetch", "--feed", "https://nowhere.example/feed")
    assert unknown.exit_code == 2 and "newsd feeds add" in unknown.output


def test_local_file_feed_with_relative_links(tmp_path, write_config, run_cli):
    site = tmp_path / "site"
    site.mkdir()
    (site / "story.html").write_text(article_html("Local story", STORY), encoding="utf-8")
    (site / "feed.xml").write_text(rss([{"title": "Local story", "link": "story.html", "guid": "l1"}]), encoding="utf-8")
    config = write_config("site/feed.xml")
    result = run_cli("--config", str(config), "fetch", "--json")
    assert json.loads(result.stdout)["articles_new"] == 1
    url, source = rows(tmp_path / "newsd.db", "SELECT url, text_source FROM articles")[0]
    assert url == (site / "story.html").as_uri() and source == "page"
    again = json.loads(run_cli("--config", str(config), "fetch", "--json").stdout)
    assert again["feeds_not_modified"] == 1  # unchanged file: like a 304


def test_user_agent_from_config_and_compressed_responses(server, write_config, run_cli, tmp_path):
    server.routes["/feed.xml"] = Response(
        rss([{"title": "Zipped", "guid": "z", "link": server.url("/z.html")}]), headers=FEED_HEADERS, gzip=True)
    server.routes["/z.html"] = Response(article_html("Zipped", STORY), headers=HTML_HEADERS, gzip=True)
    config = write_config(server.url("/feed.xml"), http='timeout = 5\nuser_agent = "newsd-test/1.0 (+mailto:ops@example.org)"')
    summary = json.loads(run_cli("--config", str(config), "fetch", "--json").stdout)
    assert summary["articles_new"] == 1 and summary["pages_failed"] == 0
    for request in server.requests:
        assert request.headers["user-agent"] == "newsd-test/1.0 (+mailto:ops@example.org)"
        assert "gzip" in request.headers["accept-encoding"]
    assert "rss+xml" in server.requests_to("/feed.xml")[0].headers["accept"]
    assert STORY[0] in rows(tmp_path / "newsd.db", "SELECT text FROM articles")[0][0]
