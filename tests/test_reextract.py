"""Kept pages and `newsd reextract`: the archive is cleaned again without fetching anything."""

from __future__ import annotations

import json
import sqlite3
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import STORY, Response, article_html, rss
from newsd.daemon.extract import Document
from newsd.daemon.reextract import rebuild_article
from newsd.daemon.text import content_hash, word_count
from newsd.storage import ArticleRecord, open_store, queries
from synthetic_site import BACKGROUND, FOOTER, STORIES, WITHOUT_MODEL, SyntheticSite

HTML_HEADERS = {"Content-Type": "text/html; charset=utf-8"}


def rows(db: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def search_ids(db: Path, query: str) -> list[int]:
    with open_store(db, create=False) as store:
        return sorted(r["id"] for r in queries.search(store.db, query))


def learned_site(site: SyntheticSite, run_cli, config: Path) -> None:
    """Fetch the synthetic site one article per poll."""
    for published in range(1, len(STORIES) + 1):
        site.published = published
        assert run_cli("--config", str(config), "fetch").exit_code == 0


def fetched_site(server, write_config, run_cli, published: int) -> tuple[SyntheticSite, Path]:
    """A synthetic site with ``published`` articles, fetched once into a fresh store."""
    site = SyntheticSite(server, published=published)
    config = write_config(site.feed_url, extra=WITHOUT_MODEL)
    assert run_cli("--config", str(config), "fetch").exit_code == 0
    return site, config


def reextract_json(run_cli, config: Path, *args: str) -> dict:
    result = run_cli("--config", str(config), "reextract", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- pages are kept ---------------------------------------------------------------------------


def test_each_new_article_keeps_its_page_bytes_exactly(server, write_config, run_cli, tmp_path):
    page = article_html("Grüße aus Köln", STORY).replace('charset="utf-8"', 'charset="iso-8859-1"').encode("latin-1")
    server.routes["/feed.xml"] = Response(rss([{"title": "T", "guid": "g", "link": server.url("/p.html?utm_source=rss")}]),
                                          headers={"Content-Type": "application/rss+xml"})
    server.routes["/p.html"] = Response(page, headers={"Content-Type": "text/html"})
    config = write_config(server.url("/feed.xml"))
    assert run_cli("--config", str(config), "fetch").exit_code == 0
    ((url, compression, html, fetched_at, article_url),) = rows(
        tmp_path / "newsd.db",
        "SELECT h.url, h.compression, h.html, h.fetched_at, a.url FROM article_html h JOIN articles a ON a.id = h.article_id",
    )
    assert compression == "zlib" and zlib.decompress(html) == page  # the bytes as served, not re-encoded
    assert url == server.url("/p.html?utm_source=rss")  # what the extractor was given
    assert article_url == server.url("/p.html")  # the article keeps its canonical URL
    assert fetched_at.endswith("Z")


def test_keep_html_off_keeps_no_page_and_reextract_says_so(server, write_config, run_cli, tmp_path):
    site = SyntheticSite(server, published=3)
    config = write_config(site.feed_url, extra=WITHOUT_MODEL, http="timeout = 5").read_text()
    config_path = tmp_path / "newsd.toml"
    config_path.write_text(config.replace("[storage]\n", "[storage]\nkeep_html = false\n"), encoding="utf-8")
    assert run_cli("--config", str(config_path), "fetch").exit_code == 0
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT count(*) FROM articles") == [(3,)]
    assert rows(db, "SELECT count(*) FROM article_html") == [(0,)]
    summary = reextract_json(run_cli, config_path)
    assert summary | {"duration_s": 0} == {"articles": 3, "reextracted": 0, "changed": 0, "unchanged": 0, "failed": 0,
                                          "without_html": 3, "duration_s": 0, "dry_run": False}
    text = run_cli("--config", str(config_path), "reextract").output
    assert "Re-extracted 0 of 3 articles" in text and "3 had no kept page" in text


# -- reextract ---------------------------------------------------------------------------------


def test_reextract_removes_boilerplate_learned_after_the_first_articles(server, write_config, run_cli, tmp_path):
    site = SyntheticSite(server)
    config = write_config(site.feed_url, extra=WITHOUT_MODEL)
    learned_site(site, run_cli, config)
    db = tmp_path / "newsd.db"
    assert search_ids(db, "parishes") == [1, 2]  # only in the footer, which the first two still carry
    requests_before = len(server.requests)

    summary = reextract_json(run_cli, config)
    assert summary | {"duration_s": 0} == {"articles": 5, "reextracted": 5, "changed": 2, "unchanged": 3, "failed": 0,
                                          "without_html": 0, "duration_s": 0, "dry_run": False}
    assert len(server.requests) == requests_before  # nothing fetched
    stored = dict(rows(db, "SELECT id, text FROM articles"))
    assert not any(FOOTER in text for text in stored.values())
    assert [i for i, text in sorted(stored.items()) if BACKGROUND in text] == [2, 4]  # quoted twice: stays
    for number, (_, paragraphs) in enumerate(STORIES, start=1):
        assert all(p in stored[number] for p in paragraphs)
    assert search_ids(db, "parishes") == []  # the index followed the update
    assert search_ids(db, "corroded") == [1]
    assert rows(db, "SELECT word_count, content_hash FROM articles WHERE id = 1") == [
        (word_count(stored[1]), content_hash(stored[1]))]
    # Re-extraction reads the counts but never adds to them, and a second run changes nothing.
    assert rows(db, "SELECT articles FROM sites") == [(5,)]
    again = reextract_json(run_cli, config)
    assert (again["changed"], again["unchanged"]) == (0, 5)
    assert rows(db, "SELECT articles FROM sites") == [(5,)]


def test_reextract_text_summary(server, write_config, run_cli, tmp_path):
    site = SyntheticSite(server)
    config = write_config(site.feed_url, extra=WITHOUT_MODEL)
    learned_site(site, run_cli, config)
    result = run_cli("--config", str(config), "reextract")
    assert result.exit_code == 0
    assert "Re-extracted 5 of 5 articles" in result.output and "2 changed, 3 unchanged, 0 failed" in result.output
    assert "no kept page" not in result.output


def test_reextract_updates_metadata_the_extractor_now_finds(server, write_config, run_cli, tmp_path, monkeypatch):
    from newsd.daemon import reextract as module

    site, config = fetched_site(server, write_config, run_cli, published=1)
    real = module.extract

    def improved(html, url=None, rules=None, disabled=frozenset()):
        document = real(html, url, rules, disabled)
        return replace(document, authors=("Ann Reporter",), language="cy", text=document.text.replace("cables", "wires"))

    monkeypatch.setattr(module, "extract", improved)
    assert reextract_json(run_cli, config)["changed"] == 1
    db = tmp_path / "newsd.db"
    (authors, language, text, title), = rows(db, "SELECT authors, language, text, title FROM articles")
    assert json.loads(authors) == ["Ann Reporter"] and language == "cy"
    assert "wires" in text and "cables" not in text
    assert title == STORIES[0][0]  # the feed entry's title stays
    assert search_ids(db, "wires") == [1] and search_ids(db, "cables") == []


def test_an_extractor_failure_leaves_the_article_as_it_was(server, write_config, run_cli, tmp_path, monkeypatch):
    from newsd.daemon import reextract as module

    site, config = fetched_site(server, write_config, run_cli, published=2)
    db = tmp_path / "newsd.db"
    before = rows(db, "SELECT * FROM articles ORDER BY id")

    def broken(html, url=None, rules=None, disabled=frozenset()):
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(module, "extract", broken)
    summary = reextract_json(run_cli, config)
    assert (summary["failed"], summary["changed"]) == (2, 0)
    assert rows(db, "SELECT * FROM articles ORDER BY id") == before


def test_a_page_that_broke_the_extractor_is_kept_and_later_yields_its_text(server, write_config, run_cli, tmp_path,
                                                                           monkeypatch):
    from newsd.daemon import extract as extract_module

    def broken(html, url=None, rules=None, disabled=frozenset()):
        raise RuntimeError("parser exploded")

    server.routes["/feed.xml"] = Response(rss([{"title": "Bikes", "guid": "g", "link": server.url("/a.html"),
                                                "description": "Council backs bike lanes."}]),
                                          headers={"Content-Type": "application/rss+xml"})
    server.routes["/a.html"] = Response(article_html("Bikes", STORY), headers=HTML_HEADERS)
    config = write_config(server.url("/feed.xml"))
    with monkeypatch.context() as patch:
        patch.setattr(extract_module, "extract", broken)  # worker_jobs.extract_page imports it when called
        assert run_cli("--config", str(config), "fetch").exit_code == 0
    db = tmp_path / "newsd.db"
    ((text, source, error),) = rows(db, "SELECT text, text_source, page_error FROM articles")
    assert (text, source) == ("Council backs bike lanes.", "feed") and "parser exploded" in error
    assert rows(db, "SELECT count(*) FROM article_html") == [(1,)]  # kept although extraction failed

    assert reextract_json(run_cli, config)["changed"] == 1
    ((text, source, error),) = rows(db, "SELECT text, text_source, page_error FROM articles")
    assert source == "page" and error is None and all(p in text for p in STORY)
    assert search_ids(db, "consultations") == [1]


def test_reextract_filters_by_feed_and_fetch_date(server, write_config, run_cli, tmp_path):
    site = SyntheticSite(server, published=2)
    server.routes["/other.xml"] = Response(
        rss([{"title": "Other", "guid": "o", "link": server.url("/other.html")}]), headers={"Content-Type": "application/rss+xml"})
    server.routes["/other.html"] = Response(article_html("Other", STORY), headers=HTML_HEADERS)
    config = write_config(site.feed_url, server.url("/other.xml"), extra=WITHOUT_MODEL)
    assert run_cli("--config", str(config), "fetch").exit_code == 0
    assert reextract_json(run_cli, config)["articles"] == 3
    assert reextract_json(run_cli, config, "--feed", server.url("/other.xml"))["articles"] == 1
    assert reextract_json(run_cli, config, "--since", "2999-01-01")["articles"] == 0
    assert reextract_json(run_cli, config, "--since", "2000-01-01", "--feed", site.feed_url)["articles"] == 2
    unknown = run_cli("--config", str(config), "reextract", "--feed", "https://nowhere.example/rss")
    assert unknown.exit_code == 2 and "unknown feed" in unknown.output
    bad_date = run_cli("--config", str(config), "reextract", "--since", "last tuesday")
    assert bad_date.exit_code == 2 and "--since" in bad_date.output


def test_reextract_needs_an_existing_store(write_config, run_cli, tmp_path):
    result = run_cli("--config", str(write_config()), "reextract")
    assert result.exit_code == 2 and "no store here yet" in result.output
    assert not (tmp_path / "newsd.db").exists()


# -- the decision, as a pure function ----------------------------------------------------------

OLD = ArticleRecord(
    url="https://e.com/a", title="Feed title", text="Feed summary of the story in a few words only.",
    authors=("Feed Author",), published_at=None, fetched_at="2025-01-06T12:00:00Z", language="en",
    site_name="E", word_count=10, content_hash="x", text_source="feed", page_error="no article text found in the page",
)
LONG = " ".join(["word"] * 40)


def test_a_feed_article_switches_to_page_text_once_the_page_wins():
    document = Document(text=LONG, title="Page title", authors=("Page Author",), published_at="2025-01-05T00:00:00Z")
    new = rebuild_article(OLD, document)
    assert new is not None
    assert (new.text, new.text_source, new.page_error) == (LONG, "page", None)
    assert new.title == "Feed title"  # the entry's title comes first, as at fetch time
    assert new.authors == ("Page Author",)  # the page's authors come first
    assert new.published_at == "2025-01-05T00:00:00Z"  # filled in where the store had none
    assert (new.word_count, new.url, new.fetched_at) == (40, OLD.url, OLD.fetched_at)


def test_a_feed_article_keeps_the_feed_text_when_the_page_is_still_too_short():
    new = rebuild_article(OLD, Document(text="Just two"))
    assert new is not None and (new.text, new.text_source) == (OLD.text, "feed")
    assert new.page_error == "page text shorter than the feed's (2 vs 10 words)"
    empty = rebuild_article(OLD, Document(text=""), "no article text found in the page")
    assert empty is not None
    assert (empty.text, empty.text_source, empty.page_error) == (OLD.text, "feed", "no article text found in the page")


def test_a_page_article_keeps_its_text_when_extraction_now_finds_nothing():
    page_article = replace(OLD, text=LONG, text_source="page", page_error=None)
    assert rebuild_article(page_article, Document(text=""), "no article text found in the page") is None
    shorter = rebuild_article(page_article, Document(text="Short but real text."))
    assert shorter is not None and (shorter.text, shorter.text_source) == ("Short but real text.", "page")


def test_a_future_page_date_is_clamped_to_the_fetch_time():
    new = rebuild_article(OLD, Document(text=LONG, published_at="2099-01-01T00:00:00Z"))
    assert new is not None and new.published_at == OLD.fetched_at


@pytest.mark.parametrize("field", ["language", "site_name"])
def test_page_metadata_missing_from_the_new_extraction_keeps_the_stored_value(field):
    new = rebuild_article(replace(OLD, text_source="page", text=LONG), Document(text=LONG))
    assert new is not None and getattr(new, field) == getattr(OLD, field)


def test_dry_run_counts_changes_and_writes_nothing(server, write_config, run_cli, tmp_path, monkeypatch):
    from newsd.daemon import reextract as module

    site, config = fetched_site(server, write_config, run_cli, published=1)
    db = tmp_path / "newsd.db"
    before = rows(db, "SELECT * FROM articles")
    real = module.extract

    def improved(html, url=None, rules=None, disabled=frozenset()):
        document = real(html, url, rules, disabled)
        return replace(document, text=document.text.replace("cables", "wires"))

    monkeypatch.setattr(module, "extract", improved)
    summary = reextract_json(run_cli, config, "--dry-run")
    assert summary["changed"] == 1 and summary["dry_run"] is True
    assert rows(db, "SELECT * FROM articles") == before
