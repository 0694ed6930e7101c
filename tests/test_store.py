"""The SQLite store: schema, refusal to touch foreign files, writes, FTS and queries."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Iterator

import pytest

from newsd.storage import ArticleRecord, PollRecord, SourceRecord, Store, StoreError, open_store, queries
from newsd.storage.migrations import APPLICATION_ID, LATEST_VERSION

NOW = "2025-01-06T12:00:00Z"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "newsd.db") as opened:
        yield opened


@pytest.fixture
def feed_id(store: Store) -> int:
    return store.upsert_feed("https://e.com/rss", "E", ["world"], True, origin="cli")["id"]


def article(url: str | None = "https://e.com/a", text: str = "The council voted on bicycle lanes.", **kw) -> ArticleRecord:
    values = dict(
        url=url,
        title="Council vote",
        text=text,
        authors=("Jane Doe",),
        published_at="2025-01-06T08:30:00Z",
        fetched_at=NOW,
        language="en",
        site_name="E News",
        word_count=len(text.split()),
        content_hash="h-" + text,
        text_source="page",
    )
    values.update(kw)
    return ArticleRecord(**values)


def source(feed_id: int, key: str = "guid-1", url: str | None = "https://e.com/a") -> SourceRecord:
    return SourceRecord(feed_id=feed_id, entry_key=key, url=url, canonical_url=url, guid=key, title="Council vote", seen_at=NOW)


def poll(feed_id: int, error: str | None = None, **kw) -> PollRecord:
    values = dict(
        feed_id=feed_id, started_at=NOW, duration_ms=12, http_status=200 if error is None else 500,
        bytes=100, new_entries=1, page_errors=0, error=error,
    )
    values.update(kw)
    return PollRecord(**values)


def pragma(store: Store, name: str):
    return store.db.execute(f"PRAGMA {name}").fetchone()[0]


# -- schema and opening -----------------------------------------------------------------


def test_new_store_has_the_schema(store):
    names = set(store.db.table_names())
    assert {"feeds", "articles", "article_sources", "fetch_log", "articles_fts"} <= names


def test_new_store_pragmas(store):
    assert pragma(store, "journal_mode") == "wal"
    assert pragma(store, "foreign_keys") == 1
    assert pragma(store, "user_version") == LATEST_VERSION
    assert pragma(store, "application_id") == APPLICATION_ID


def test_store_directory_is_created(tmp_path):
    with open_store(tmp_path / "a" / "b" / "news.db") as opened:
        assert opened.path.parent.is_dir()


def test_reopening_is_idempotent_and_keeps_data(tmp_path, feed_id, store):
    store.add_article(article(), source(feed_id))
    tables = sorted(store.db.table_names())
    store.close()
    for _ in range(2):
        with open_store(store.path) as again:
            assert sorted(again.db.table_names()) == tables
            assert pragma(again, "user_version") == LATEST_VERSION
            assert again.db["articles"].count == 1
            assert again.db["feeds"].count == 1


def test_text_file_at_the_path_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"my precious notes\n" * 100)
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught:
        open_store(path)
    assert "not a SQLite database" in str(caught.value)
    assert path.read_bytes() == before
    assert not Path(str(path) + "-wal").exists()


def test_directory_at_the_path_is_refused(tmp_path):
    with pytest.raises(StoreError, match="directory"):
        open_store(tmp_path)


def test_other_applications_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    conn.execute("INSERT INTO contacts VALUES ('Ann', '123')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught:
        open_store(path)
    assert "another application" in str(caught.value)
    assert "contacts" in str(caught.value)
    assert path.read_bytes() == before
    assert not Path(str(path) + "-wal").exists()


def test_empty_file_becomes_a_store(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    with open_store(path) as opened:
        assert "articles" in opened.db.table_names()


def test_newer_schema_is_refused_with_upgrade_advice(tmp_path):
    path = tmp_path / "newsd.db"
    with open_store(path) as opened:
        opened.db.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    with pytest.raises(StoreError) as caught:
        open_store(path)
    assert "upgrade" in str(caught.value).lower()


# -- full-text search ----------------------------------------------------------------------


def test_fts_follows_insert_update_and_delete(store, feed_id):
    article_id, created = store.add_article(article(text="The council debated zebracrossings today."), source(feed_id))
    assert created
    assert [r["id"] for r in queries.search(store.db, "zebracrossings")] == [article_id]

    store.db["articles"].update(article_id, {"text": "The council debated roundabouts today."})
    assert queries.search(store.db, "zebracrossings") == []
    assert [r["id"] for r in queries.search(store.db, "roundabouts")] == [article_id]

    store.db["articles"].delete(article_id)
    assert queries.search(store.db, "roundabouts") == []


def test_search_matches_titles_and_stems(store, feed_id):
    article_id, _ = store.add_article(article(title="Bicycles everywhere", text="Lanes were painted."), source(feed_id))
    assert [r["id"] for r in queries.search(store.db, "bicycle")] == [article_id]  # porter stemming
    assert [r["id"] for r in queries.search(store.db, "painting")] == [article_id]


@pytest.mark.parametrize("bad_query", ['"unbalanced', "AND OR", "council AND", "(", "NEAR(", "col:council"])
def test_search_falls_back_to_plain_words_on_invalid_fts_syntax(store, feed_id, bad_query):
    store.add_article(article(text='The council met "unbalanced" AND OR voters.'), source(feed_id))
    results = queries.search(store.db, bad_query)
    assert isinstance(results, list)


@pytest.mark.parametrize("bad_query", ['"unbalanced', "AND OR", "budget AND"])
def test_search_fallback_still_finds_the_words(store, feed_id, bad_query):
    article_id, _ = store.add_article(article(text="The unbalanced budget: and or nothing, was rejected."), source(feed_id))
    store.add_article(article(url="https://e.com/other", text="Nothing to see here."), source(feed_id, "k2"))
    assert [r["id"] for r in queries.search(store.db, bad_query)] == [article_id]


def test_search_since_filters_by_publication_date(store, feed_id):
    store.add_article(article(url="https://e.com/old", text="tramway news", published_at="2020-01-01T00:00:00Z"), source(feed_id, "old"))
    new_id, _ = store.add_article(article(url="https://e.com/new", text="tramway news again", published_at="2025-01-01T00:00:00Z"), source(feed_id, "new"))
    assert [r["id"] for r in queries.search(store.db, "tramway", since="2024-01-01T00:00:00Z")] == [new_id]


# -- articles and sources ------------------------------------------------------------------


def test_add_article_stores_fields(store, feed_id):
    article_id, created = store.add_article(article(), source(feed_id))
    assert created
    row = queries.article(store.db, article_id)
    assert row["url"] == "https://e.com/a"
    assert row["authors"] == ["Jane Doe"]
    assert row["feed_id"] == feed_id and row["feed_url"] == "https://e.com/rss"
    assert [s["guid"] for s in row["sources"]] == ["guid-1"]


def test_add_article_twice_with_same_url_adds_a_second_source(store, feed_id):
    other_feed = store.upsert_feed("https://other.com/rss", None, [], True, origin="cli")["id"]
    first_id, first_created = store.add_article(article(), source(feed_id))
    second_id, second_created = store.add_article(article(title="Same story elsewhere"), source(other_feed, "other-guid"))
    assert (first_created, second_created) == (True, False)
    assert second_id == first_id
    assert store.db["articles"].count == 1
    assert store.db["article_sources"].count == 2
    assert {s["feed_url"] for s in queries.article(store.db, first_id)["sources"]} == {"https://e.com/rss", "https://other.com/rss"}


def test_same_source_twice_is_recorded_once(store, feed_id):
    article_id, _ = store.add_article(article(), source(feed_id))
    assert store.add_source(article_id, source(feed_id)) is False
    assert store.db["article_sources"].count == 1


def test_articles_without_url_are_distinct(store, feed_id):
    a, created_a = store.add_article(article(url=None, text="one"), source(feed_id, "k1", None))
    b, created_b = store.add_article(article(url=None, text="two"), source(feed_id, "k2", None))
    assert created_a and created_b and a != b


def test_article_id_for_url_also_finds_source_urls(store, feed_id):
    article_id, _ = store.add_article(article(url="https://e.com/canonical"), source(feed_id, url="https://e.com/seen-at"))
    assert store.article_id_for_url("https://e.com/canonical") == article_id
    assert store.article_id_for_url("https://e.com/seen-at") == article_id
    assert store.article_id_for_url("https://e.com/unknown") is None


def test_known_entry_keys(store, feed_id):
    other_feed = store.upsert_feed("https://other.com/rss", None, [], True, origin="cli")["id"]
    store.add_article(article(url="https://e.com/1"), source(feed_id, "k1"))
    store.add_article(article(url="https://e.com/2"), source(feed_id, "k2"))
    store.add_article(article(url="https://e.com/3"), source(other_feed, "k3"))
    assert store.known_entry_keys(feed_id, ["k1", "k2", "k3", "new"]) == {"k1", "k2"}
    assert store.known_entry_keys(feed_id, []) == set()


def test_known_entry_keys_with_more_keys_than_one_query_allows(store, feed_id):
    store.add_article(article(), source(feed_id, "needle"))
    keys = [f"key-{i}" for i in range(1200)] + ["needle"]
    assert store.known_entry_keys(feed_id, keys) == {"needle"}


# -- feeds and polls --------------------------------------------------------------------------


def test_record_poll_counts_errors_and_resets_on_success(store, feed_id):
    store.record_poll(poll(feed_id, error="timeout"))
    store.record_poll(poll(feed_id, error="timeout again"))
    row = store.feed("https://e.com/rss")
    assert row["error_count"] == 2 and row["last_error"] == "timeout again" and row["last_status"] == 500
    store.record_poll(poll(feed_id))
    row = store.feed("https://e.com/rss")
    assert row["error_count"] == 0 and row["last_error"] is None and row["last_status"] == 200
    assert row["last_polled_at"] == NOW
    assert store.db["fetch_log"].count == 3


def test_record_poll_writes_validators_as_given(store, feed_id):
    store.record_poll(poll(feed_id, etag='"v1"', last_modified="Mon, 06 Jan 2025 10:00:00 GMT"))
    row = store.feed("https://e.com/rss")
    assert (row["etag"], row["last_modified"]) == ('"v1"', "Mon, 06 Jan 2025 10:00:00 GMT")

    store.record_poll(poll(feed_id, etag='"v2"', last_modified=None))
    row = store.feed("https://e.com/rss")
    assert (row["etag"], row["last_modified"]) == ('"v2"', None)


def test_record_poll_keeps_title_unless_given(store, feed_id):
    store.record_poll(poll(feed_id, title="Feed title", site_url="https://e.com/"))
    store.record_poll(poll(feed_id))
    row = store.feed("https://e.com/rss")
    assert (row["title"], row["site_url"]) == ("Feed title", "https://e.com/")


def test_upsert_feed_updates_in_place(store, feed_id):
    again = store.upsert_feed("https://e.com/rss", "New name", ["a", "b"], False, origin="config")
    assert again["id"] == feed_id
    assert again["name"] == "New name" and json.loads(again["tags"]) == ["a", "b"]
    assert again["enabled"] == 0 and again["origin"] == "config"
    assert store.db["feeds"].count == 1


def test_remove_feed_keeps_its_articles(store, feed_id):
    article_id, _ = store.add_article(article(), source(feed_id))
    store.record_poll(poll(feed_id))
    assert store.remove_feed("https://e.com/rss") is True
    assert store.feed("https://e.com/rss") is None
    row = store.db["articles"].get(article_id)
    assert row["feed_id"] is None
    assert store.db["article_sources"].count == 1
    assert store.db["fetch_log"].count == 0
    assert store.remove_feed("https://e.com/rss") is False


def test_sync_config_feeds_disables_feeds_that_left_the_config(store):
    store.sync_config_feeds([("https://a.com/rss", "A", ("x",), True), ("https://b.com/rss", "B", (), True)])
    cli_feed = store.upsert_feed("https://cli.com/rss", "added by hand", [], True, origin="cli")
    store.sync_config_feeds([("https://a.com/rss", "A renamed", ("x",), True)])
    by_url = {f["url"]: f for f in store.feeds()}
    assert by_url["https://a.com/rss"]["enabled"] == 1 and by_url["https://a.com/rss"]["name"] == "A renamed"
    assert by_url["https://b.com/rss"]["enabled"] == 0
    assert by_url["https://cli.com/rss"]["enabled"] == 1  # not the config's to manage
    assert [f["url"] for f in store.feeds(enabled_only=True)] == ["https://a.com/rss", cli_feed["url"]]


def test_sync_config_feeds_reenables_a_feed_that_returns(store):
    store.sync_config_feeds([("https://a.com/rss", "A", (), True)])
    first_id = store.feed("https://a.com/rss")["id"]
    store.sync_config_feeds([])
    assert store.feed("https://a.com/rss")["enabled"] == 0
    store.sync_config_feeds([("https://a.com/rss", "A", (), True)])
    row = store.feed("https://a.com/rss")
    assert row["enabled"] == 1 and row["id"] == first_id


# -- queries ----------------------------------------------------------------------------------


def test_stats_and_recent(store, feed_id):
    store.add_article(article(url="https://e.com/1", fetched_at="2025-01-01T00:00:00Z"), source(feed_id, "k1"))
    newest, _ = store.add_article(article(url="https://e.com/2", fetched_at="2025-01-02T00:00:00Z"), source(feed_id, "k2"))
    store.record_poll(poll(feed_id))
    stats = queries.stats(store.db)
    assert (stats["feeds"], stats["feeds_enabled"], stats["articles"], stats["sources"], stats["polls"]) == (1, 1, 2, 2, 1)
    assert stats["per_feed"][0]["articles"] == 2
    assert [r["id"] for r in queries.recent(store.db, limit=1)] == [newest]


def test_stats_counts_texts_without_fingerprint_from_the_configured_min_words(store, feed_id):
    store.add_article(article(text="word " * 30, word_count=30), source(feed_id, "k1"))
    assert queries.stats(store.db, min_words=50)["without_fingerprint"] == 0
    assert queries.stats(store.db, min_words=20)["without_fingerprint"] == 1


def test_article_query_for_unknown_id_raises_store_error(store):
    with pytest.raises(StoreError, match="no article with id 999"):
        queries.article(store.db, 999)


def test_feeds_overview_decodes_tags(store, feed_id):
    (row,) = queries.feeds_overview(store.db)
    assert row["tags"] == ["world"] and row["articles"] == 0


def test_concurrent_first_opens_make_one_good_store(tmp_path):
    import threading

    path = tmp_path / "race.db"
    errors: list[BaseException] = []

    def open_and_close() -> None:
        try:
            open_store(path).close()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_and_close) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_store(path) as store:
        assert "articles_fts" in store.db.table_names()


def test_a_failed_migration_leaves_no_half_built_store(tmp_path, monkeypatch):
    from newsd.storage import migrations

    def boom(db):
        db.execute("CREATE TABLE feeds (id INTEGER PRIMARY KEY)")
        raise RuntimeError("power cut")

    monkeypatch.setattr(migrations, "MIGRATIONS", [boom])
    path = tmp_path / "half.db"
    with pytest.raises(RuntimeError):
        open_store(path)
    monkeypatch.undo()
    with open_store(path) as store:  # rolled back: the next open builds the store
        assert {"feeds", "articles", "article_sources", "fetch_log"} <= set(store.db.table_names())


def test_fts_is_what_sqlite_utils_expects(store):
    """The hand-written FTS DDL is the one sqlite-utils builds: its own tools recognise it."""
    assert store.db["articles"].detect_fts() == "articles_fts"


def test_a_nested_failure_after_sqlite_rolled_back_keeps_the_real_error(store):
    """When SQLite has already rolled the transaction back (disk full), the original error surfaces."""

    class DiskFull(Exception):
        pass

    with pytest.raises(DiskFull):
        with store.transaction():
            with store.transaction():
                store.db.execute("ROLLBACK")  # what SQLite does by itself on SQLITE_FULL
                raise DiskFull()
    assert not store.db.conn.in_transaction


def test_store_failures_are_told_apart_from_bugs():
    import sqlite3

    from newsd.storage import is_store_failure

    assert is_store_failure(sqlite3.OperationalError("database is locked"))
    assert is_store_failure(sqlite3.DatabaseError("file is not a database"))
    assert not is_store_failure(sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert not is_store_failure(sqlite3.ProgrammingError("Incorrect number of bindings"))
    assert not is_store_failure(ValueError("x"))


def test_syncing_unchanged_config_feeds_writes_nothing(tmp_path):
    import sqlite3

    path = tmp_path / "sync.db"
    wanted = [("https://a.example/rss", "A", ("x",), True)]
    with open_store(path) as store:
        store.sync_config_feeds(wanted)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process is writing
    try:
        with open_store(path) as store:
            store.sync_config_feeds(wanted)  # would wait and fail if it wrote
            assert [f["name"] for f in store.feeds()] == ["A"]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


# -- schema v2: kept pages, site paragraph counts, re-extraction -------------------------------


def make_v1_store(path: Path) -> None:
    """A store as newsd with schema 1 left it, holding one article."""
    from newsd.storage import migrations

    conn = sqlite3.connect(path, isolation_level=None)
    db = migrations.Database(conn)
    migrations._m001_initial(db)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO feeds (url, created_at) VALUES ('https://e.com/rss', ?)", [NOW])
    conn.execute(
        "INSERT INTO articles (url, title, text, fetched_at, feed_id, word_count, content_hash, text_source)"
        " VALUES ('https://e.com/a', 'Old story', 'The archive mentions quagmires.', ?, 1, 4, 'h', 'page')",
        [NOW],
    )
    conn.execute(
        "INSERT INTO article_sources (article_id, feed_id, url, entry_key, seen_at) VALUES (1, 1, 'https://e.com/a', 'g', ?)",
        [NOW],
    )
    conn.close()


def test_a_v1_store_upgrades_in_place_and_keeps_its_data(tmp_path):
    path = tmp_path / "v1.db"
    make_v1_store(path)
    with open_store(path) as store:
        assert pragma(store, "user_version") == LATEST_VERSION == 5
        assert {"article_html", "sites", "site_paragraphs", "article_fingerprints", "lsh_bands",
                "article_revisions"} <= set(store.db.table_names())
        row = queries.article(store.db, 1)
        assert (row["title"], row["text"], len(row["sources"])) == ("Old story", "The archive mentions quagmires.", 1)
        assert [r["id"] for r in queries.search(store.db, "quagmires")] == [1]
        assert store.db["article_html"].count == 0  # pages fetched before v2 were not kept
        new_id, created = store.add_article(article(url="https://e.com/b"), source(1, "g2", "https://e.com/b"))
        assert created and new_id == 2
        assert queries.article(store.db, 1)["revisions"] == 0 and store.db["article_fingerprints"].count == 0


def test_a_failed_v2_migration_leaves_the_v1_store_as_it_was(tmp_path, monkeypatch):
    from newsd.storage import migrations

    path = tmp_path / "v1.db"
    make_v1_store(path)

    def boom(db):
        db.execute("CREATE TABLE article_html (article_id INTEGER PRIMARY KEY)")
        raise RuntimeError("power cut")

    monkeypatch.setattr(migrations, "MIGRATIONS", [migrations._m001_initial, boom])
    with pytest.raises(RuntimeError):
        open_store(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'article_html'").fetchone()[0] == 0
    assert conn.execute("SELECT title FROM articles").fetchall() == [("Old story",)]
    conn.close()
    monkeypatch.undo()
    with open_store(path) as store:
        assert pragma(store, "user_version") == LATEST_VERSION
        assert store.db["articles"].count == 1


def test_add_article_keeps_the_page_compressed_and_gives_it_back(store, feed_id):
    from newsd.storage import pack_page, unpack_page

    body = "<html><body><p>Grüße aus Köln</p></body></html>".encode("latin-1") * 50
    page = pack_page("https://e.com/a?utm_source=x", body, NOW)
    article_id, _ = store.add_article(article(), source(feed_id), page)
    row = store.db.execute("SELECT url, compression, length(html), fetched_at FROM article_html WHERE article_id = ?",
                           [article_id]).fetchone()
    assert row[0] == "https://e.com/a?utm_source=x" and row[1] == "zlib" and row[3] == NOW
    assert row[2] < len(body)  # compressed
    ((stored,),) = list(store.stored_pages())
    assert stored.article["id"] == article_id and stored.page is not None
    assert unpack_page(stored.page) == body  # the bytes exactly, not re-encoded


def test_a_second_source_of_a_known_article_keeps_the_first_page(store, feed_id):
    from newsd.storage import pack_page

    store.add_article(article(), source(feed_id), pack_page("https://e.com/a", b"<p>first</p>", NOW))
    _, created = store.add_article(article(), source(feed_id, "other"), pack_page("https://e.com/a", b"<p>second</p>", NOW))
    assert not created
    assert store.db["article_html"].count == 1


def test_deleting_an_article_deletes_its_page(store, feed_id):
    from newsd.storage import pack_page

    article_id, _ = store.add_article(article(), source(feed_id), pack_page("https://e.com/a", b"<p>x</p>", NOW))
    store.db.execute("DELETE FROM articles WHERE id = ?", [article_id])
    assert store.db["article_html"].count == 0


def test_site_paragraph_counts(store):
    assert store.learn_site_paragraphs("e.com", {"footer": "Donate now", "story1": "First story"}) == 1
    assert store.learn_site_paragraphs("e.com", {"footer": "Donate now", "story2": "Second story"}) == 2
    assert store.learn_site_paragraphs("other.org", {"footer": "Donate now"}) == 1
    count, stats = store.site_paragraphs("e.com")
    by_key = {s.key: s for s in stats}
    assert count == 2
    assert (by_key["footer"].articles, by_key["footer"].first_seq, by_key["footer"].sample) == (2, 1, "Donate now")
    assert (by_key["story2"].articles, by_key["story2"].first_seq, by_key["story2"].sample) == (1, 2, None)
    assert [s.key for s in store.site_paragraphs("e.com", min_articles=2)[1]] == ["footer"]
    assert [s.key for s in store.site_paragraphs("e.com", keys=["story1", "unknown"])[1]] == ["story1"]
    assert store.site_paragraphs("unknown.net") == (0, [])


def test_site_paragraphs_seen_once_long_ago_are_forgotten(store, monkeypatch):
    from newsd.storage import store as store_module

    monkeypatch.setattr(store_module, "PRUNE_AFTER", 3)
    monkeypatch.setattr(store_module, "PRUNE_EVERY", 5)
    store.learn_site_paragraphs("e.com", {"once": "x", "footer": "f"})
    for i in range(4):
        store.learn_site_paragraphs("e.com", {f"story{i}": "s", "footer": "f"})
    keys = {s.key for s in store.site_paragraphs("e.com")[1]}
    # At the 5th article: seen once at article <= 2 is forgotten; the footer stays.
    assert "once" not in keys and "story0" not in keys
    assert {"footer", "story1", "story2", "story3"} <= keys


def test_stored_pages_filters_and_batches(store, feed_id):
    from newsd.storage import pack_page

    other_feed = store.upsert_feed("https://other.com/rss", None, [], True, origin="cli")["id"]
    for i in range(5):
        page = pack_page(f"https://e.com/{i}", b"<p>x</p>", NOW) if i != 2 else None
        fetched = "2025-01-0%dT00:00:00Z" % (i + 1)
        store.add_article(article(url=f"https://e.com/{i}", fetched_at=fetched), source(feed_id, f"k{i}", f"https://e.com/{i}"), page)
    store.add_source(5, source(other_feed, "k-other", "https://e.com/4"))
    batches = list(store.stored_pages(batch_size=2))
    assert [[p.article["id"] for p in b] for b in batches] == [[1, 2], [3, 4], [5]]
    assert [p.page is None for b in batches for p in b] == [False, False, True, False, False]
    assert [p.article["id"] for b in store.stored_pages(feed_id=other_feed) for p in b] == [5]
    assert [p.article["id"] for b in store.stored_pages(since="2025-01-04T00:00:00Z") for p in b] == [4, 5]
    assert store.count_articles() == 5
    assert store.count_articles(feed_id=other_feed, since="2025-01-05T00:00:00Z") == 1


def test_update_articles_rewrites_content_and_the_search_index(store, feed_id):
    from dataclasses import replace

    first = article(text="The mayor opened the zeppelinhangar today.")
    article_id, _ = store.add_article(first, source(feed_id))
    cleaner = replace(first, text="The mayor opened the hangar today.", title="New title", authors=("A", "B"),
                      word_count=6, content_hash="h2", url="https://ignored.example/", fetched_at="2030-01-01T00:00:00Z")
    store.update_articles({article_id: cleaner})
    row = queries.article(store.db, article_id)
    assert (row["text"], row["title"], row["authors"], row["word_count"], row["content_hash"]) == (
        cleaner.text, "New title", ["A", "B"], 6, "h2")
    assert (row["url"], row["fetched_at"]) == ("https://e.com/a", NOW)  # identity and history stay
    assert queries.search(store.db, "zeppelinhangar") == []
    assert [r["id"] for r in queries.search(store.db, "hangar")] == [article_id]


# -- group commit -------------------------------------------------------------------------


def other_connection_count(store: Store) -> int:
    """How many articles another process would see: only what is committed."""
    with sqlite3.connect(store.path) as other:
        return other.execute("SELECT count(*) FROM articles").fetchone()[0]


def test_grouped_transactions_commit_together_after_the_interval(store, feed_id, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("newsd.storage.store.time.monotonic", lambda: clock[0])
    store.group_commits(0.1)
    store.add_article(article("https://e.com/1"), source(feed_id, "1", "https://e.com/1"), None)
    store.add_article(article("https://e.com/2", "Second text."), source(feed_id, "2", "https://e.com/2"), None)
    assert other_connection_count(store) == 0  # not committed yet: one commit for the group
    clock[0] += 0.2
    store.add_article(article("https://e.com/3", "Third text."), source(feed_id, "3", "https://e.com/3"), None)
    assert other_connection_count(store) == 3
    assert not store.db.conn.in_transaction


def test_a_failed_transaction_in_a_group_rolls_back_alone(store, feed_id):
    store.group_commits(60)
    store.add_article(article("https://e.com/1"), source(feed_id, "1", "https://e.com/1"), None)
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.add_article(article("https://e.com/2", "Second text."), source(feed_id, "2", "https://e.com/2"), None)
            raise RuntimeError("a bug in the middle of storing an entry")
    store.commit_group()
    assert other_connection_count(store) == 1
    assert store.article_id_for_url("https://e.com/2") is None


def test_a_nested_transaction_never_commits_its_group_half_way(store, feed_id, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("newsd.storage.store.time.monotonic", lambda: clock[0])
    store.group_commits(0.1)
    with store.transaction():
        clock[0] += 1  # the group is old enough, but the outer transaction is still open
        with store.transaction():
            store.add_article(article("https://e.com/1"), source(feed_id, "1", "https://e.com/1"), None)
        assert store.db.conn.in_transaction
        store.add_article(article("https://e.com/2", "Second text."), source(feed_id, "2", "https://e.com/2"), None)
    assert other_connection_count(store) == 2


def test_ending_the_group_and_closing_commit_what_is_pending(tmp_path):
    path = tmp_path / "newsd.db"
    store = open_store(path)
    feed = store.upsert_feed("https://e.com/rss", "E", [], True, origin="cli")["id"]
    store.group_commits(60)
    store.add_article(article("https://e.com/1"), source(feed, "1", "https://e.com/1"), None)
    store.group_commits(None)
    assert other_connection_count(store) == 1
    store.group_commits(60)
    store.add_article(article("https://e.com/2", "Second text."), source(feed, "2", "https://e.com/2"), None)
    store.close()
    with open_store(path) as reopened:
        assert reopened.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 2


def test_due_feeds_never_polled_first_then_most_overdue(store):
    ids = [store.upsert_feed(f"https://e.com/{n}.xml", None, [], True, origin="cli")["id"] for n in range(6)]
    next_polls = ["2026-01-03T00:00:00Z", None, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", None,
                  "2026-01-02T00:00:00Z"]
    with store.transaction():
        for feed, at in zip(ids, next_polls):
            store.db.execute("UPDATE feeds SET next_poll_at = ? WHERE id = ?", [at, feed])
        store.db.execute("UPDATE feeds SET disabled_reason = 'gone' WHERE id = ?", [ids[2]])

    due = [row["id"] for row in store.due_feeds("2026-01-15T00:00:00Z", 10)]

    # never polled (by id), then by next poll; the disabled and the not-yet-due feeds are left out
    assert due == [ids[1], ids[4], ids[5], ids[0]]
    assert [row["id"] for row in store.due_feeds("2026-01-15T00:00:00Z", 1)] == [ids[1]]
    assert [row["id"] for row in store.due_feeds("2026-01-15T00:00:00Z", 3)] == [ids[1], ids[4], ids[5]]
    # feeds being polled are passed over, and the limit still fills from the ones after them
    assert [row["id"] for row in store.due_feeds("2026-01-15T00:00:00Z", 2, skip={ids[1], ids[5]})] == [ids[4], ids[0]]
