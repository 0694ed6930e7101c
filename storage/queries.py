"""Read-only questions downstream users ask of the store."""

from __future__ import annotations

import json
import sqlite3

from sqlite_utils import Database

from newsd.storage.errors import StoreError

LIST_COLUMNS = "a.id, a.title, a.url, a.published_at, a.fetched_at, a.site_name, a.word_count, a.text_source"


def _decode(row: dict) -> dict:
    if isinstance(row.get("authors"), str):
        row["authors"] = json.loads(row["authors"])
    if isinstance(row.get("tags"), str):
        row["tags"] = json.loads(row["tags"])
    return row


def search(db: Database, query: str, limit: int = 20, since: str | None = None) -> list[dict]:
    """Articles matching an FTS5 query, best match first.

    FTS5 syntax (phrases, OR, NEAR, prefix*) is honoured; a query that is not
    valid FTS5 syntax is retried as plain words, so users never see a parser error.
    """
    where = "AND a.published_at >= :since" if since else ""
    sql = f"""
        SELECT {LIST_COLUMNS},
               snippet(articles_fts, 1, '[', ']', ' … ', 12) AS snippet,
               articles_fts.rank AS rank
        FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
        WHERE articles_fts MATCH :query {where}
        ORDER BY rank LIMIT :limit
    """
    params = {"query": query, "limit": limit, "since": since}
    try:
        return list(db.query(sql, params))
    except sqlite3.OperationalError:
        pass  # FTS5 syntax error ("fts5: syntax error", "unterminated string", ...): retry as words
    params["query"] = db.quote_fts(query)
    return list(db.query(sql, params))


def recent(db: Database, limit: int = 20) -> list[dict]:
    """The most recently fetched articles."""
    sql = f"SELECT {LIST_COLUMNS} FROM articles a ORDER BY a.fetched_at DESC, a.id DESC LIMIT ?"
    return list(db.query(sql, [limit]))


def article(db: Database, article_id: int) -> dict:
    """One article with its feed and every source it was seen at."""
    rows = list(
        db.query(
            "SELECT a.*, f.url AS feed_url, f.name AS feed_name FROM articles a"
            " LEFT JOIN feeds f ON f.id = a.feed_id WHERE a.id = ?",
            [article_id],
        )
    )
    if not rows:
        raise StoreError(f"no article with id {article_id}; find ids with 'newsd search' or 'newsd articles'")
    row = _decode(rows[0])
    row["sources"] = list(
        db.query(
            "SELECT s.url, s.guid, s.title, s.seen_at, s.similarity, f.url AS feed_url, f.name AS feed_name"
            " FROM article_sources s LEFT JOIN feeds f ON f.id = s.feed_id"
            " WHERE s.article_id = ? ORDER BY s.seen_at, s.id",
            [article_id],
        )
    )
    row["revisions_kept"] = list(db.query(
        "SELECT revision, title, stored_at, replaced_at, length(text) AS chars FROM article_revisions"
        " WHERE article_id = ? ORDER BY revision", [article_id]))
    return row


def stats(db: Database, min_words: int = 50) -> dict:
    """Counts of feeds, stories (articles) and their appearances (sources), overall and per feed.

    ``min_words``: the shortest text that gets a fingerprint (``[dedup] min_words``).
    """
    totals = next(
        db.query(
            "SELECT (SELECT count(*) FROM feeds) AS feeds,"
            " (SELECT count(*) FROM feeds WHERE enabled = 1) AS feeds_enabled,"
            " (SELECT count(*) FROM articles) AS articles,"
            " (SELECT count(*) FROM article_sources) AS sources,"
            " (SELECT count(*) FROM (SELECT 1 FROM article_sources GROUP BY article_id HAVING count(*) > 1))"
            "   AS stories_seen_more_than_once,"
            " (SELECT count(*) FROM article_sources WHERE similarity < 1) AS near_copies,"
            " (SELECT count(*) FROM articles WHERE revisions > 0) AS articles_updated,"
            " (SELECT count(*) FROM articles a WHERE word_count >= :min_words AND NOT EXISTS"
            "   (SELECT 1 FROM article_fingerprints p WHERE p.article_id = a.id)) AS without_fingerprint,"
            " (SELECT count(*) FROM fetch_log) AS polls",
            {"min_words": min_words},
        )
    )
    per_feed = list(
        db.query(
            "SELECT f.id, f.url, f.name, f.enabled, f.last_polled_at, f.last_status, f.error_count,"
            " (SELECT count(*) FROM articles a WHERE a.feed_id = f.id) AS articles,"
            " (SELECT count(*) FROM article_sources s WHERE s.feed_id = f.id) AS sources"
            " FROM feeds f ORDER BY f.id"
        )
    )
    return {**totals, "per_feed": per_feed}


def feeds_overview(db: Database) -> list[dict]:
    """Every feed with its state and how many articles it brought."""
    rows = db.query(
        "SELECT f.*, (SELECT count(*) FROM articles a WHERE a.feed_id = f.id) AS articles"
        " FROM feeds f ORDER BY f.id"
    )
    return [_decode(row) for row in rows]
