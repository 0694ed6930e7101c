"""Schema migrations, applied in order when a store is opened.

The schema version lives in ``PRAGMA user_version``; ``PRAGMA application_id``
marks a file as a newsd store so newsd never writes into someone else's
database. Each migration is a function that runs its SQL statements (no
``executescript``: it would commit half-way). All pending migrations
run in one transaction that holds the write lock, together with the version
and application id: an interrupted first open leaves an empty file, never a
half-built store, and two processes opening a new store at once do not race.
Add new migrations at the end of ``MIGRATIONS`` and document them in
docs/schema.md.
"""

from __future__ import annotations

from typing import Callable

from sqlite_utils import Database

APPLICATION_ID = 0x6E657773  # "news"

_M001_TABLES = [
    """
    CREATE TABLE feeds (
        id              INTEGER PRIMARY KEY,
        url             TEXT NOT NULL UNIQUE,
        name            TEXT,
        tags            TEXT NOT NULL DEFAULT '[]',
        enabled         INTEGER NOT NULL DEFAULT 1,
        origin          TEXT NOT NULL DEFAULT 'cli',
        title           TEXT,
        site_url        TEXT,
        etag            TEXT,
        last_modified   TEXT,
        last_polled_at  TEXT,
        last_status     INTEGER,
        error_count     INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        created_at      TEXT NOT NULL
    )""",
    """
    CREATE TABLE articles (
        id              INTEGER PRIMARY KEY,
        url             TEXT UNIQUE,
        title           TEXT,
        text            TEXT NOT NULL,
        authors         TEXT NOT NULL DEFAULT '[]',
        published_at    TEXT,
        fetched_at      TEXT NOT NULL,
        language        TEXT,
        site_name       TEXT,
        feed_id         INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
        word_count      INTEGER NOT NULL,
        content_hash    TEXT NOT NULL,
        text_source     TEXT NOT NULL CHECK (text_source IN ('page', 'feed')),
        page_error      TEXT
    )""",
    "CREATE INDEX idx_articles_published_at ON articles(published_at)",
    "CREATE INDEX idx_articles_feed_id ON articles(feed_id)",
    "CREATE INDEX idx_articles_content_hash ON articles(content_hash)",
    """
    CREATE TABLE article_sources (
        id              INTEGER PRIMARY KEY,
        article_id      INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        feed_id         INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
        url             TEXT,
        canonical_url   TEXT,
        guid            TEXT,
        entry_key       TEXT NOT NULL,
        title           TEXT,
        seen_at         TEXT NOT NULL,
        UNIQUE (feed_id, entry_key)
    )""",
    "CREATE INDEX idx_article_sources_article_id ON article_sources(article_id)",
    "CREATE INDEX idx_article_sources_canonical_url ON article_sources(canonical_url)",
    """
    CREATE TABLE fetch_log (
        id              INTEGER PRIMARY KEY,
        feed_id         INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        started_at      TEXT NOT NULL,
        duration_ms     INTEGER NOT NULL,
        http_status     INTEGER,
        bytes           INTEGER NOT NULL DEFAULT 0,
        new_entries     INTEGER NOT NULL DEFAULT 0,
        page_errors     INTEGER NOT NULL DEFAULT 0,
        error           TEXT
    )""",
    "CREATE INDEX idx_fetch_log_feed_started ON fetch_log(feed_id, started_at)",
]

# Full-text search over articles(title, text), with the triggers that keep it
# in step. This is exactly what sqlite-utils' enable_fts(["title", "text"],
# create_triggers=True, tokenize="porter") creates (so sqlite-utils, Datasette
# and detect_fts() recognise it), spelled out because enable_fts commits
# half-way and a migration must be one transaction.
_M001_FTS = [
    """CREATE VIRTUAL TABLE "articles_fts" USING FTS5 ("title", "text", tokenize='porter', content="articles")""",
    """CREATE TRIGGER "articles_ai" AFTER INSERT ON "articles" BEGIN
      INSERT INTO "articles_fts" (rowid, "title", "text") VALUES (new.rowid, new."title", new."text");
    END""",
    """CREATE TRIGGER "articles_ad" AFTER DELETE ON "articles" BEGIN
      INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "text") VALUES('delete', old.rowid, old."title", old."text");
    END""",
    """CREATE TRIGGER "articles_au" AFTER UPDATE ON "articles" BEGIN
      INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "text") VALUES('delete', old.rowid, old."title", old."text");
      INSERT INTO "articles_fts" (rowid, "title", "text") VALUES (new.rowid, new."title", new."text");
    END""",
]


def _m001_initial(db: Database) -> None:
    """feeds, articles, article_sources, fetch_log and full-text search."""
    for statement in _M001_TABLES + _M001_FTS:
        db.execute(statement)


# Raw pages for re-extraction, and the per-site paragraph counts that find
# boilerplate no rule names. The pages live in a table of their own so that
# scans of articles (search, listing, stats) never read past the blobs.
_M002_TABLES = [
    """
    CREATE TABLE article_html (
        article_id      INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        url             TEXT,
        compression     TEXT NOT NULL,
        html            BLOB NOT NULL,
        fetched_at      TEXT NOT NULL
    )""",
    """
    CREATE TABLE sites (
        site            TEXT PRIMARY KEY,
        articles        INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID""",
    """
    CREATE TABLE site_paragraphs (
        site            TEXT NOT NULL,
        key             TEXT NOT NULL,
        articles        INTEGER NOT NULL,
        first_seq       INTEGER NOT NULL,
        sample          TEXT,
        PRIMARY KEY (site, key)
    ) WITHOUT ROWID""",
]


def _m002_pages_and_sites(db: Database) -> None:
    """article_html, sites and site_paragraphs."""
    for statement in _M002_TABLES:
        db.execute(statement)


# Deduplication: each story's MinHash signature and its LSH band keys, the
# similarity behind each extra source, and the earlier texts of updated
# articles. lsh_bands has no foreign key on purpose: a cascade would scan its
# millions of rows per deleted article (article_fingerprints.band_keys says
# which rows an article has); `newsd dedup --rebuild` rebuilds it.
_M003_STATEMENTS = [
    "ALTER TABLE articles ADD COLUMN updated_at TEXT",
    "ALTER TABLE articles ADD COLUMN revisions INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE article_sources ADD COLUMN similarity REAL",
    """
    CREATE TABLE article_revisions (
        id              INTEGER PRIMARY KEY,
        article_id      INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        revision        INTEGER NOT NULL,
        title           TEXT,
        text            TEXT NOT NULL,
        content_hash    TEXT NOT NULL,
        stored_at       TEXT NOT NULL,
        replaced_at     TEXT NOT NULL,
        UNIQUE (article_id, revision)
    )""",
    """
    CREATE TABLE article_fingerprints (
        article_id      INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        signature       BLOB NOT NULL,
        band_keys       BLOB NOT NULL
    )""",
    """
    CREATE TABLE lsh_bands (
        key             INTEGER NOT NULL,
        article_id      INTEGER NOT NULL,
        PRIMARY KEY (key, article_id)
    ) WITHOUT ROWID""",
]


def _m003_dedup(db: Database) -> None:
    """article_fingerprints, lsh_bands, article_revisions; articles.updated_at and revisions; sources' similarity."""
    for statement in _M003_STATEMENTS:
        db.execute(statement)


def _m004_checked_at(db: Database) -> None:
    """articles.checked_at: when the page was last fetched again and found unchanged.

    It lived in article_html.fetched_at, which a store that keeps no pages
    does not have: such a story's page was fetched again for every new feed
    entry naming it.
    """
    db.execute("ALTER TABLE articles ADD COLUMN checked_at TEXT")


# The daemon's per-feed schedule (newsd.daemon.schedule): when each feed is
# due, its interval and error state, so a restart resumes where it left off.
_M005_STATEMENTS = [
    "ALTER TABLE feeds ADD COLUMN next_poll_at TEXT",
    "ALTER TABLE feeds ADD COLUMN interval_s INTEGER",
    "ALTER TABLE feeds ADD COLUMN disabled_reason TEXT",
    "ALTER TABLE feeds ADD COLUMN failing_since TEXT",
    "ALTER TABLE feeds ADD COLUMN published_gap_s INTEGER",
    "ALTER TABLE feeds ADD COLUMN newest_entry_at TEXT",
    "ALTER TABLE feeds ADD COLUMN body_hash TEXT",
    "ALTER TABLE feeds ADD COLUMN moved_from TEXT",
    "CREATE INDEX idx_feeds_next_poll_at ON feeds(next_poll_at)",
    "CREATE INDEX idx_fetch_log_started ON fetch_log(started_at)",
]


def _m005_schedule(db: Database) -> None:
    """feeds.next_poll_at, interval_s, disabled_reason and the schedule's other state; fetch_log by time."""
    for statement in _M005_STATEMENTS:
        db.execute(statement)


MIGRATIONS: list[Callable[[Database], None]] = [_m001_initial, _m002_pages_and_sites, _m003_dedup, _m004_checked_at,
                                                _m005_schedule]
LATEST_VERSION = len(MIGRATIONS)


def schema_version(db: Database) -> int:
    """The schema version recorded in the file."""
    return db.execute("PRAGMA user_version").fetchone()[0]


def application_id(db: Database) -> int:
    return db.execute("PRAGMA application_id").fetchone()[0]


def is_current(db: Database) -> bool:
    """True when the file is a newsd store at the latest version: nothing to write."""
    return application_id(db) == APPLICATION_ID and schema_version(db) == LATEST_VERSION


def apply_pending(db: Database) -> list[int]:
    """Apply every migration newer than the file's version; return the versions applied.

    The caller holds the write lock (BEGIN IMMEDIATE) and commits.
    """
    applied = []
    for version in range(schema_version(db) + 1, LATEST_VERSION + 1):
        MIGRATIONS[version - 1](db)
        applied.append(version)
    if applied:
        db.execute(f"PRAGMA user_version = {applied[-1]}")
    if application_id(db) != APPLICATION_ID:
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    return applied
