"""Schema migrations, applied in order when a store is opened.

The schema version lives in ``PRAGMA user_version``; ``PRAGMA application_id``
marks a file as a newsd store so newsd never writes into someone else's
database. Each migration is a function of the database; add new ones at the
end of ``MIGRATIONS`` and document the change in docs/schema.md.
"""

from __future__ import annotations

from typing import Callable

from sqlite_utils import Database

APPLICATION_ID = 0x6E657773  # "news"


def _m001_initial(db: Database) -> None:
    """feeds, articles, article_sources, fetch_log and full-text search."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS feeds (
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
        );
        CREATE TABLE IF NOT EXISTS articles (
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
        );
        CREATE INDEX IF NOT EXISTS idx_articles_published_at ON articles(published_at);
        CREATE INDEX IF NOT EXISTS idx_articles_feed_id ON articles(feed_id);
        CREATE INDEX IF NOT EXISTS idx_articles_content_hash ON articles(content_hash);
        CREATE TABLE IF NOT EXISTS article_sources (
            id              INTEGER PRIMARY KEY,
            article_id      INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            feed_id         INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
            url             TEXT,
            guid            TEXT,
            entry_key       TEXT NOT NULL,
            title           TEXT,
            seen_at         TEXT NOT NULL,
            UNIQUE (feed_id, entry_key)
        );
        CREATE INDEX IF NOT EXISTS idx_article_sources_article_id ON article_sources(article_id);
        CREATE INDEX IF NOT EXISTS idx_article_sources_url ON article_sources(url);
        CREATE TABLE IF NOT EXISTS fetch_log (
            id              INTEGER PRIMARY KEY,
            feed_id         INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            started_at      TEXT NOT NULL,
            duration_ms     INTEGER NOT NULL,
            http_status     INTEGER,
            bytes           INTEGER NOT NULL DEFAULT 0,
            new_entries     INTEGER NOT NULL DEFAULT 0,
            page_errors     INTEGER NOT NULL DEFAULT 0,
            error           TEXT
        );
        CREATE INDEX IF NOT EXISTS idx_fetch_log_feed_started ON fetch_log(feed_id, started_at);
        """
    )
    if not db.table("articles_fts").exists():
        # Triggers keep the index in step with every insert, update and delete.
        db.table("articles").enable_fts(["title", "text"], create_triggers=True, tokenize="porter")


MIGRATIONS: list[Callable[[Database], None]] = [_m001_initial]
LATEST_VERSION = len(MIGRATIONS)


def schema_version(db: Database) -> int:
    """The schema version recorded in the file."""
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: Database) -> list[int]:
    """Apply every migration newer than the file's version; return the versions applied."""
    applied = []
    for version in range(schema_version(db) + 1, LATEST_VERSION + 1):
        MIGRATIONS[version - 1](db)
        db.execute(f"PRAGMA user_version = {version}")
        applied.append(version)
    # Written only when it changes, so opening an up-to-date store for reading takes no write lock.
    if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    return applied
