"""Open a newsd store and write to it.

One ``Store`` owns one connection. The daemon's pipeline is the single writer;
CLI readers open their own ``Store``. WAL mode lets readers run beside the
writer, the busy timeout rides out short write locks, and every logical write
(an article with its source, a poll with its log row) is one short transaction.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sqlite3
import struct
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Collection, Iterable, Iterator, Mapping, Sequence

from sqlite_utils import Database

from newsd.storage.errors import StoreError
from newsd.storage.migrations import APPLICATION_ID, LATEST_VERSION, apply_pending, is_current
from newsd.storage.records import ArticleRecord, FingerprintRecord, PageRecord, ParagraphStat, PollRecord, SourceRecord, StoredPage, StoredStory

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
SAMPLE_CHARS = 200  # of a recurring paragraph, kept for --explain and debugging
# Paragraphs a site showed once, this many of its articles ago, are forgotten:
# most paragraphs are story text that never recurs, and one seen again after
# that long is as good as new. Checked every PRUNE_EVERY articles of the site.
PRUNE_AFTER = 1000
PRUNE_EVERY = 100
PER_KEY = 50  # LSH rows read per key in one lookup
CACHE_KIB = 8 * 1024  # SQLite's page cache per connection
# Columns re-extraction may change; url, fetched_at and feed_id stay.
CONTENT_COLUMNS = ("title", "text", "authors", "published_at", "language", "site_name", "word_count",
                   "content_hash", "text_source", "page_error")


def _unpack_keys(data: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(data) // 8}q", data)


def utc_now() -> str:
    """Now, as the store writes times: UTC ISO-8601 with a Z, to the second."""
    # isoformat, not strftime: twice as fast, and the daemon asks several times per poll.
    return datetime.now(timezone.utc).isoformat(timespec="seconds")[:-6] + "Z"


def _check_is_newsd_file(path: Path) -> None:
    """Refuse any existing file that is not a newsd store: never overwrite user data."""
    if path.is_dir():
        raise StoreError(f"{path}: is a directory; give the store a file path (--db PATH)")
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    if magic != SQLITE_MAGIC:
        raise StoreError(
            f"{path}: exists and is not a SQLite database; newsd will not overwrite it. "
            "Choose another store path (--db PATH or [storage] path) or move the file away."
        )


def _header(db: Database) -> tuple[int, int, list[str]]:
    """application_id, user_version and table names, read in one statement.

    One statement is one snapshot: read apart, another process's migration
    could commit in between and make a new newsd store look foreign.
    """
    app_id, version, tables = db.execute(
        "SELECT (SELECT application_id FROM pragma_application_id),"
        " (SELECT user_version FROM pragma_user_version),"
        " (SELECT group_concat(name, char(31)) FROM sqlite_master WHERE type = 'table')"
    ).fetchone()
    return app_id, version, sorted(tables.split("\x1f")) if tables else []


def _check_is_newsd_db(db: Database, path: Path) -> None:
    """Refuse another application's database and a store from a newer newsd."""
    app_id, version, tables = _header(db)
    if app_id == APPLICATION_ID:
        if version > LATEST_VERSION:
            raise StoreError(
                f"{path}: store schema version {version} is newer than this newsd knows "
                f"({LATEST_VERSION}); upgrade newsd to use it."
            )
        return
    if tables:
        raise StoreError(
            f"{path}: is a SQLite database of another application (tables: "
            f"{', '.join(tables[:5])}); newsd will not write into it. "
            "Choose another store path (--db PATH)."
        )


def _migrate(db: Database, path: Path) -> None:
    """Bring the schema up to date in one transaction under the write lock."""
    if is_current(db):
        return  # the common case writes nothing, so readers take no write lock
    db.execute("BEGIN IMMEDIATE")
    try:
        _check_is_newsd_db(db, path)  # again, under the lock: another process may have been first
        apply_pending(db)
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def open_store(path: str | Path, create: bool = True) -> "Store":
    """Open the store at ``path`` and bring its schema up to date.

    With ``create=False`` (the reading commands) a missing file is an error
    instead of a new, empty store: a typo in --db should not leave stray stores.
    So is an empty file, which SQLite would take for an empty database and a
    reading command would turn into a store.
    """
    path = Path(path)
    _check_is_newsd_file(path)
    if not create and (not path.exists() or (path.is_file() and path.stat().st_size == 0)):
        raise StoreError(f"{path}: no store here yet; run 'newsd fetch' first, or check --db / [storage] path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the store's folder: {exc}") from None
    # Autocommit mode: no implicit transactions; every write goes through Store.transaction().
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        db = Database(conn)
        _check_is_newsd_db(db, path)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, far fewer fsyncs
        # Up to 8 MiB of pages in memory (SQLite's default is 2 MiB): the inner pages of
        # the indexes a poll looks up. 32 MiB made no measurable difference to a dedup
        # lookup at a million stories (docs/benchmarks.md) and cost the daemon 24 MB.
        db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        _migrate(db, path)
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(store_failure_message(path, exc)) from None
    except BaseException:
        conn.close()
        raise
    return Store(db, path)


def is_store_failure(exc: BaseException) -> bool:
    """A failure of the store itself (busy, disk full, corrupt), not a bug in newsd's SQL.

    Store failures stop a run with a message; IntegrityError and
    ProgrammingError mean newsd asked for something wrong, which is a bug.
    """
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(
        exc, (sqlite3.IntegrityError, sqlite3.ProgrammingError)
    )


def store_failure_message(path: Path, exc: sqlite3.Error) -> str:
    """What to tell a user when SQLite fails: busy is not broken."""
    text = str(exc).rstrip(".")
    if "locked" in text or "busy" in text:
        return f"{path}: the store is busy (another newsd process is writing); try again when it is done"
    return (
        f"{path}: the store failed: {text}. Data already stored is intact (each write is one "
        "transaction); check free disk space and the file's permissions, then run again."
    )


class Store:
    """Writes and lookups over one open store."""

    def __init__(self, db: Database, path: Path) -> None:
        self.db = db
        self.path = path
        self._savepoints = itertools.count(1)
        # Group commit (``group_commits``): transactions become savepoints of one
        # open transaction, committed once it is this old.
        self._group_s: float | None = None
        self._group_began = 0.0
        self._depth = 0  # transactions open in this one

    def close(self) -> None:
        try:
            self.commit_group()
        finally:
            self.db.close()

    def group_commits(self, seconds: float | None) -> None:
        """Commit at most every ``seconds`` (None: every transaction commits at once, the default).

        A poll of many new entries writes one short transaction per entry, and
        each commit costs more than the entry's rows. Grouped, each transaction
        is a savepoint of one transaction that lasts about ``seconds``: a failed
        one still rolls back alone. The owner calls ``commit_group`` whenever it
        goes idle, so the write lock is never held while nothing is written.
        """
        try:
            if seconds is None:
                self.commit_group()
        finally:
            self._group_s = seconds

    def commit_group(self) -> None:
        """Commit the open group of transactions, if there is one."""
        if self._group_s is not None and self.db.conn.in_transaction:
            self.db.conn.execute("COMMIT")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; nested calls become savepoints.

        BEGIN IMMEDIATE takes the write lock up front: a transaction that
        reads and then writes can otherwise fail with SQLITE_BUSY when
        another process wrote in between, and busy_timeout cannot help.
        """
        conn = self.db.conn
        if self._group_s is not None and not conn.in_transaction:
            conn.execute("BEGIN IMMEDIATE")
            self._group_began = time.monotonic()
        if conn.in_transaction:
            name = f"sp{next(self._savepoints)}"
            conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
            except BaseException:
                # SQLite may already have rolled the whole transaction back
                # (disk full); then there is no savepoint left to return to.
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            finally:
                self._depth -= 1
            conn.execute(f"RELEASE SAVEPOINT {name}")
            if self._depth == 0 and self._group_s is not None and time.monotonic() - self._group_began >= self._group_s:
                self.commit_group()
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- feeds -----------------------------------------------------------

    def feed(self, url: str) -> dict | None:
        """The feed row with this URL, or None."""
        rows = list(self.db.table("feeds").rows_where("url = ?", [url]))
        return rows[0] if rows else None

    def feeds(self, enabled_only: bool = False) -> list[dict]:
        """All feeds, in the order they were added."""
        where = "enabled = 1" if enabled_only else None
        return list(self.db.table("feeds").rows_where(where, order_by="id"))

    def upsert_feed(self, url: str, name: str | None, tags: Iterable[str], enabled: bool, origin: str) -> dict:
        """Create the feed or update its name, tags, enabled flag and origin."""
        with self.transaction():
            existing = self.feed(url)
            values = {"name": name, "tags": json.dumps(list(tags)), "enabled": int(enabled), "origin": origin}
            if existing:
                self.db.table("feeds").update(existing["id"], values)
            else:
                self.db.table("feeds").insert({"url": url, "created_at": utc_now(), **values})
        feed = self.feed(url)
        assert feed is not None
        return feed

    def sync_config_feeds(self, feeds: Iterable[tuple[str, str | None, tuple[str, ...], bool]]) -> None:
        """Make the store's config-owned feeds match the config file.

        Feeds that left the config are disabled, not deleted: their articles
        and history stay, and re-adding them resumes where they were. A feed
        that a permanent redirect moved is still the one its old URL names.
        """
        wanted = {url: (name, list(tags), enabled) for url, name, tags, enabled in feeds}
        rows = self.feeds()
        current = {row["url"]: row for row in rows}
        moved = {row["moved_from"]: row for row in rows if row["moved_from"] and row["moved_from"] not in current}

        def as_configured(row: dict | None, name: str | None, tags: list[str], enabled: bool) -> bool:
            return row is not None and row["origin"] == "config" and (
                row["name"], json.loads(row["tags"]), bool(row["enabled"])) == (name, tags, enabled)

        changed = {}
        for url, values in wanted.items():
            row = current.get(url) or moved.get(url)
            if not as_configured(row, *values):
                changed[row["url"] if row else url] = values
        named = set(wanted)
        left = [row["id"] for row in rows if row["origin"] == "config" and row["enabled"]
                and row["url"] not in named and row["moved_from"] not in named]
        if not changed and not left:
            return  # the usual case: no write, so listing feeds never waits for a writer
        with self.transaction():
            for url, (name, tags, enabled) in changed.items():
                self.upsert_feed(url, name, tags, enabled, origin="config")
            for feed_id in left:
                self.db.table("feeds").update(feed_id, {"enabled": 0})

    def remove_feed(self, url: str) -> bool:
        """Delete a feed and its poll log; its articles stay. True when it existed."""
        feed = self.feed(url)
        if not feed:
            return False
        with self.transaction():
            self.db.table("feeds").delete(feed["id"])
        return True

    # -- polling ---------------------------------------------------------

    def known_entry_keys(self, feed_id: int, keys: Iterable[str]) -> set[str]:
        """The subset of ``keys`` already stored for this feed."""
        keys = list(keys)
        found: set[str] = set()
        for start in range(0, len(keys), 500):  # stay under SQLite's variable limit
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT entry_key FROM article_sources WHERE feed_id = ? AND entry_key IN ({marks})"
            found.update(row[0] for row in self.db.execute(sql, [feed_id, *chunk]))
        return found

    def article_id_for_url(self, url: str) -> int | None:
        """The story stored under this canonical URL, or seen at it in some feed."""
        row = self.db.execute("SELECT id FROM articles WHERE url = ?", [url]).fetchone()
        if row:
            return row[0]
        row = self.db.execute("SELECT article_id FROM article_sources WHERE canonical_url = ? LIMIT 1", [url]).fetchone()
        return row[0] if row else None

    def add_source(self, article_id: int, source: SourceRecord, similarity: float | None = None) -> bool:
        """Record another appearance of a stored story; False when already recorded.

        ``similarity`` says how the appearance matched the story: 1.0 for the
        same URL or text, the estimated similarity for a near copy, None for
        the story's first source.
        """
        with self.transaction():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO article_sources"
                " (article_id, feed_id, url, canonical_url, guid, entry_key, title, seen_at, similarity)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [article_id, source.feed_id, source.url, source.canonical_url, source.guid, source.entry_key,
                 source.title, source.seen_at, similarity],
            )
        return cursor.rowcount == 1

    def add_article(self, article: ArticleRecord, source: SourceRecord, page: PageRecord | None = None,
                    fingerprint: FingerprintRecord | None = None) -> tuple[int, bool]:
        """Store a story with its first source, raw page and fingerprint, in one transaction.

        When another writer stored the same canonical URL first, only the
        source is added. Returns (article id, whether the article is new).
        """
        with self.transaction():
            existing = self.article_id_for_url(article.url) if article.url else None
            if existing is not None:
                self.add_source(existing, source, 1.0)
                return existing, False
            row = asdict(article)
            row["authors"] = json.dumps(list(article.authors), ensure_ascii=False)
            row["feed_id"] = source.feed_id
            # Plain SQL on the hot path: sqlite-utils' insert re-reads the table's
            # structure on every call, which costs more than the insert itself.
            columns = ", ".join(row)
            marks = ", ".join(f":{name}" for name in row)
            cursor = self.db.execute(f"INSERT INTO articles ({columns}) VALUES ({marks})", row)
            article_id = cursor.lastrowid
            assert article_id is not None
            self.add_source(article_id, source)
            if page is not None:
                self.keep_page(article_id, page)
            self.set_fingerprint(article_id, fingerprint)
        return article_id, True

    # -- deduplication ----------------------------------------------------------

    def revise_article(self, article_id: int, article: ArticleRecord, fingerprint: FingerprintRecord | None,
                       at: str, page: PageRecord | None = None) -> int:
        """Replace a story's text with its update, keeping the earlier text; return the new revision number.

        The earlier title and text go to article_revisions under their own
        revision number (0 is the text first stored). The first publication
        date stays. ``page``, the page the
        update came from, replaces the kept one, so `newsd reextract` works
        on the current text, not the old.
        """
        with self.transaction():
            revision = self._archive_text(article_id, at)
            first_published = self.db.execute("SELECT published_at FROM articles WHERE id = ?", [article_id]).fetchone()[0]
            # an update keeps the story's first publication date; updated_at says when it changed
            self._write_content(article_id, article, updated_at=at, revisions=revision + 1,
                                published_at=first_published or article.published_at)
            self.set_fingerprint(article_id, fingerprint)
            if page is not None:
                self.keep_page(article_id, page)
        return revision + 1

    def _archive_text(self, article_id: int, at: str) -> int:
        """Copy a story's current title and text to article_revisions, replaced ``at``; return its revision number."""
        row = self.db.execute("SELECT revisions FROM articles WHERE id = ?", [article_id]).fetchone()
        if row is None:
            raise KeyError(article_id)
        self.db.execute("INSERT INTO article_revisions (article_id, revision, title, text, content_hash, stored_at,"
                        " replaced_at) SELECT id, revisions, title, text, content_hash, coalesce(updated_at, fetched_at),"
                        " ? FROM articles WHERE id = ?", [at, article_id])
        return row[0]

    def keep_page(self, article_id: int, page: PageRecord) -> None:
        """Store (or replace) an article's raw page."""
        self.db.execute(
            "INSERT OR REPLACE INTO article_html (article_id, url, compression, html, fetched_at) VALUES (?, ?, ?, ?, ?)",
            [article_id, page.url, page.compression, page.html, page.fetched_at],
        )

    def page_checked(self, article_id: int, at: str) -> None:
        """Note that a story's page was fetched again at ``at`` and found unchanged."""
        self.db.execute("UPDATE articles SET checked_at = ? WHERE id = ?", [at, article_id])

    def revisions(self, article_id: int) -> list[dict]:
        """A story's earlier texts, oldest first."""
        return [dict(row) for row in self.db.query(
            "SELECT revision, title, text, stored_at, replaced_at FROM article_revisions"
            " WHERE article_id = ? ORDER BY revision", [article_id])]

    def _write_content(self, article_id: int, article: ArticleRecord, **extra: object) -> None:
        row: dict[str, object] = {name: getattr(article, name) for name in CONTENT_COLUMNS}
        row["authors"] = json.dumps(list(article.authors), ensure_ascii=False)
        row.update(extra)
        assignments = ", ".join(f"{name} = :{name}" for name in row)
        self.db.execute(f"UPDATE articles SET {assignments} WHERE id = :id", {**row, "id": article_id})

    def text_checked_at(self, url: str) -> str | None:
        """When the page of the story stored under this canonical URL was last fetched (or its text stored)."""
        row = self.db.execute(
            "SELECT max(coalesce(checked_at, ''), coalesce(updated_at, fetched_at)) FROM articles WHERE url = ?",
            [url]).fetchone()
        return row[0] if row else None

    def article_id_for_hash(self, content_hash: str, title: str | None = None) -> int | None:
        """The first stored story whose folded text hashes to ``content_hash`` (and, if given, with this title)."""
        if title is None:
            row = self.db.execute("SELECT min(id) FROM articles WHERE content_hash = ?", [content_hash]).fetchone()
        else:
            row = self.db.execute("SELECT min(id) FROM articles WHERE content_hash = ? AND title = ?",
                                  [content_hash, title]).fetchone()
        return row[0] if row else None

    def near_candidates(self, band_keys: Sequence[int], limit: int = 20) -> list[tuple[int, bytes]]:
        """Stored stories sharing an LSH band with ``band_keys``, most shared bands first, with their signatures.

        One probe of the (key, article_id) primary key per band: the cost
        hardly grows with the store. ``limit`` bounds the work when a common
        template puts many stories in the same buckets.
        """
        if not band_keys:
            return []
        # Each key reads at most PER_KEY rows, newest first: a bucket that a
        # common template or opening fills with thousands of stories costs no
        # more than any other.
        per_key = " UNION ALL ".join(
            "SELECT * FROM (SELECT article_id FROM lsh_bands WHERE key = ? ORDER BY article_id DESC LIMIT ?)"
            for _ in band_keys)
        rows = self.db.execute(
            f"SELECT b.article_id, f.signature FROM ("
            f"  SELECT article_id, count(*) AS shared FROM ({per_key})"
            f"  GROUP BY article_id ORDER BY shared DESC, article_id LIMIT ?"
            f") AS b JOIN article_fingerprints AS f ON f.article_id = b.article_id ORDER BY b.shared DESC, b.article_id",
            [value for key in band_keys for value in (key, PER_KEY)] + [limit],
        ).fetchall()
        return [(article_id, signature) for article_id, signature in rows]

    def story_texts(self, article_ids: Iterable[int]) -> dict[int, StoredStory]:
        """Title, text and URL of each of these stories."""
        ids = list(article_ids)
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        rows = self.db.execute(f"SELECT id, title, text, url FROM articles WHERE id IN ({marks})", ids).fetchall()
        return {article_id: StoredStory(title, text, url) for article_id, title, text, url in rows}

    def word_count_of(self, article_id: int) -> int | None:
        """An article's stored word count, without reading its text; None when there is no such article."""
        row = self.db.execute("SELECT word_count FROM articles WHERE id = ?", [article_id]).fetchone()
        return row[0] if row else None

    def story(self, article_id: int) -> StoredStory | None:
        """Title, text and URL of one story; None when there is no such article."""
        return self.story_texts([article_id]).get(article_id)

    def clear_fingerprints(self) -> None:
        """Forget every fingerprint and LSH key (``newsd dedup --rebuild`` computes them again)."""
        with self.transaction():
            self.db.execute("DELETE FROM lsh_bands")
            self.db.execute("DELETE FROM article_fingerprints")

    def stories_after(self, after_id: int, limit: int) -> list[tuple[int, str | None, str, str, str | None]]:
        """(id, title, text, content_hash, url) of up to ``limit`` stories with an id above ``after_id``, in id order."""
        return self.db.execute("SELECT id, title, text, content_hash, url FROM articles WHERE id > ? ORDER BY id LIMIT ?",
                               [after_id, limit]).fetchall()

    def set_content_hash(self, article_id: int, content_hash: str) -> None:
        self.db.execute("UPDATE articles SET content_hash = ? WHERE id = ?", [content_hash, article_id])

    def merge_story(self, duplicate_id: int, story_id: int, similarity: float, take_text_at: str | None = None) -> None:
        """Make a stored duplicate another appearance of ``story_id``: its sources move, the duplicate goes.

        The duplicate's own first source gets ``similarity``; its fingerprint
        is deleted with it, and its own earlier texts (it was updated) move to
        the story's, numbered after the story's. ``take_text_at``: the
        duplicate's text is the fuller one (the story was stored from a
        teaser), so the story takes it, and its page, as a revision made at
        that time; the story's text goes to ``article_revisions``. Else the
        duplicate's page goes too, as a copy's page does in the pipeline.
        """
        with self.transaction():
            if take_text_at is not None:
                self._archive_text(story_id, take_text_at)
                columns = ", ".join(CONTENT_COLUMNS)
                self.db.execute(f"UPDATE articles SET ({columns}) = (SELECT {columns} FROM articles WHERE id = ?),"
                                " updated_at = ?, revisions = revisions + 1 WHERE id = ?",
                                [duplicate_id, take_text_at, story_id])
                if self.db.execute("SELECT 1 FROM article_html WHERE article_id = ?", [duplicate_id]).fetchone():
                    self.db.execute("DELETE FROM article_html WHERE article_id = ?", [story_id])
                    self.db.execute("UPDATE article_html SET article_id = ? WHERE article_id = ?",
                                    [story_id, duplicate_id])
            self.db.execute("UPDATE article_sources SET similarity = coalesce(similarity, ?), article_id = ?"
                            " WHERE article_id = ?", [similarity, story_id, duplicate_id])
            # the duplicate's update history stays retrievable: its earlier texts become the story's
            base = self.db.execute("SELECT revisions FROM articles WHERE id = ?", [story_id]).fetchone()[0]
            moved = self.db.execute("UPDATE article_revisions SET article_id = ?, revision = ? + revision"
                                    " WHERE article_id = ?", [story_id, base, duplicate_id]).rowcount
            if moved:
                self.db.execute("UPDATE articles SET revisions = revisions + ? WHERE id = ?", [moved, story_id])
            self.set_fingerprint(duplicate_id, None)
            self.db.execute("DELETE FROM articles WHERE id = ?", [duplicate_id])

    def set_fingerprint(self, article_id: int, fingerprint: FingerprintRecord | None) -> None:
        """Replace a story's fingerprint and LSH keys (None: it has none, a text too short to match near)."""
        with self.transaction():
            old = self.db.execute("SELECT band_keys FROM article_fingerprints WHERE article_id = ?",
                                  [article_id]).fetchone()
            if old is not None:
                self.db.execute("DELETE FROM article_fingerprints WHERE article_id = ?", [article_id])
                self.db.conn.executemany("DELETE FROM lsh_bands WHERE key = ? AND article_id = ?",
                                         [(key, article_id) for key in _unpack_keys(old[0])])
            if fingerprint is None or not fingerprint.band_keys:
                return
            keys = fingerprint.band_keys
            self.db.execute("INSERT INTO article_fingerprints (article_id, signature, band_keys) VALUES (?, ?, ?)",
                            [article_id, fingerprint.signature, struct.pack(f"<{len(keys)}q", *keys)])
            self.db.conn.executemany("INSERT OR IGNORE INTO lsh_bands (key, article_id) VALUES (?, ?)",
                                     [(key, article_id) for key in keys])

    def record_poll(self, poll: PollRecord) -> None:
        """Store a poll's outcome: the feed's state, its schedule and one fetch_log row, together."""
        self.record_polls([poll])

    def record_polls(self, polls: Sequence[PollRecord]) -> None:
        """Store the outcomes of many polls in one transaction (the daemon's hot path: one commit, not one per feed).

        Plain SQL, and the records' own __dict__ rather than asdict (which deep-copies every field).
        """
        values = [vars(poll) for poll in polls]
        if not values:
            return
        with self.transaction():
            self.db.conn.executemany(
                """
                UPDATE feeds SET
                    last_polled_at = :started_at, last_status = :http_status, last_error = :error,
                    error_count = COALESCE(:error_count,
                                           CASE WHEN :error IS NULL THEN 0 ELSE error_count + 1 END),
                    title = COALESCE(:title, title), site_url = COALESCE(:site_url, site_url),
                    etag = :etag, last_modified = :last_modified,
                    next_poll_at = :next_poll_at, interval_s = :interval_s, failing_since = :failing_since,
                    disabled_reason = :disabled_reason, published_gap_s = :published_gap_s,
                    newest_entry_at = :newest_entry_at, body_hash = :body_hash
                WHERE id = :feed_id
                """,
                values,
            )
            self.db.conn.executemany(
                # a feed removed while its record waited (newsd feeds remove) has no log to write to
                "INSERT INTO fetch_log (feed_id, started_at, duration_ms, http_status, bytes, new_entries, page_errors, error)"
                " SELECT :feed_id, :started_at, :duration_ms, :http_status, :bytes, :new_entries, :page_errors, :error"
                " WHERE EXISTS (SELECT 1 FROM feeds WHERE id = :feed_id)",
                values,
            )

    # -- the daemon's schedule ---------------------------------------------

    _ACTIVE = "enabled = 1 AND disabled_reason IS NULL"

    def due_feeds(self, now: str, limit: int, skip: Collection[int] = ()) -> list[dict]:
        """Up to ``limit`` active feeds due at ``now``, the most overdue first (never-polled feeds before all).

        Feeds whose ids are in ``skip`` (being polled right now: still due) are passed over.
        """
        # dict.fromkeys: a feed whose next_poll_at another process set between the two searches is in both
        due = dict.fromkeys(self._due_ids(now, limit + len(skip)))
        wanted = [feed_id for feed_id in due if feed_id not in skip][:limit]
        if not wanted:
            return []
        # still active: another process may have disabled one since the ids were read
        rows = {row["id"]: row for row in self.db.query(
            f"SELECT * FROM feeds WHERE id IN (SELECT value FROM json_each(?)) AND {self._ACTIVE}", [json.dumps(wanted)])}
        return [rows[feed_id] for feed_id in wanted if feed_id in rows]

    def _due_ids(self, now: str, limit: int) -> list[int]:
        # Two index searches on idx_feeds_next_poll_at, each stopping at ``limit``. One query with
        # "IS NULL OR <= ?" sorts every due feed each time, 15 ms a dispatch with 10,000 feeds due.
        never = [row[0] for row in self.db.execute(
            f"SELECT id FROM feeds WHERE {self._ACTIVE} AND next_poll_at IS NULL ORDER BY id LIMIT ?", [limit])]
        if len(never) == limit:
            return never
        return never + [row[0] for row in self.db.execute(
            f"SELECT id FROM feeds WHERE {self._ACTIVE} AND next_poll_at <= ? ORDER BY next_poll_at, id LIMIT ?",
            [now, limit - len(never)])]

    def move_feed(self, feed_id: int, new_url: str) -> bool:
        """Give a feed the URL a permanent redirect named; False (nothing changed) when another feed has it."""
        with self.transaction():
            if self.feed(new_url) is not None:
                return False
            self.db.execute("UPDATE feeds SET moved_from = COALESCE(moved_from, url), url = ? WHERE id = ?",
                            [new_url, feed_id])
        return True

    def postpone_feed(self, feed_id: int, until: str, error: str) -> None:
        """Set a feed's next poll and last error, and nothing else (after a poll that could not finish)."""
        with self.transaction():
            self.db.execute("UPDATE feeds SET next_poll_at = ?, last_error = ? WHERE id = ?", [until, error, feed_id])

    def enable_feed(self, feed_id: int) -> None:
        """Poll a feed again at once: enabled, its disabled reason and error state cleared."""
        with self.transaction():
            self.db.execute("UPDATE feeds SET enabled = 1, disabled_reason = NULL, error_count = 0, failing_since = NULL,"
                            " next_poll_at = NULL WHERE id = ?", [feed_id])

    def purge_fetch_log(self, before: str) -> int:
        """Delete poll log rows older than ``before``; the number deleted."""
        with self.transaction():
            return self.db.execute("DELETE FROM fetch_log WHERE started_at < ?", [before]).rowcount

    def purge_articles(self, before: str, limit: int = 1000) -> int:
        """Delete up to ``limit`` articles fetched before ``before`` (their sources, pages, texts cascade)."""
        with self.transaction():
            ids = [row[0] for row in self.db.execute(
                "SELECT id FROM articles WHERE fetched_at < ? ORDER BY fetched_at LIMIT ?", [before, limit])]
            if not ids:
                return 0
            for article_id in ids:
                self.set_fingerprint(article_id, None)  # lsh_bands has no foreign key (see migration 3)
            self.db.execute(f"DELETE FROM articles WHERE id IN ({','.join('?' * len(ids))})", ids)
        return len(ids)

    def checkpoint(self) -> tuple[int, int]:
        """Fold the WAL back into the database file: (pages in the WAL, pages moved)."""
        # PASSIVE: copies what no reader still needs and never waits for one, so the daemon's loop never stalls
        busy, log_pages, moved = self.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return log_pages, moved

    def optimize_search(self, pages: int = 200) -> bool:
        """One step of merging the full-text index's segments, so searches stay fast.

        At most about ``pages`` pages of work, in one short transaction: a
        whole 'optimize' of a big index would hold the write lock for
        seconds. True while there is more to merge; call again until False.
        A positive count only: negative merge steps (all levels, as
        'optimize') repeated while other writes add segments in between
        never finish, and corrupted a test index (SQLite 3.40).
        """
        with self.transaction():
            before = self.db.conn.total_changes
            self.db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('merge', ?)", [pages])
            # FTS5 docs: a change count below 2 means the merge found nothing to do
            return self.db.conn.total_changes - before >= 2

    # -- site-learned boilerplate -----------------------------------------------


    def learn_site_paragraphs(self, site: str, samples: Mapping[str, str]) -> int:
        """Count one more article of ``site`` carrying these paragraphs (key → text).

        Call once per new article, inside the transaction that stores it.
        Returns the site's article count, this article included. The sample
        is kept from a paragraph's second sighting on: most paragraphs are
        seen once, and their text is already in the article.
        """
        with self.transaction():
            seq = self.db.execute(
                "INSERT INTO sites (site, articles) VALUES (?, 1)"
                " ON CONFLICT (site) DO UPDATE SET articles = articles + 1 RETURNING articles",
                [site],
            ).fetchall()[0][0]  # fetchall: a RETURNING statement is done only once read to the end
            self.db.conn.executemany(
                "INSERT INTO site_paragraphs (site, key, articles, first_seq, sample) VALUES (:site, :key, 1, :seq, NULL)"
                " ON CONFLICT (site, key) DO UPDATE SET articles = articles + 1, sample = COALESCE(sample, :sample)",
                [{"site": site, "key": key, "seq": seq, "sample": text[:SAMPLE_CHARS]} for key, text in samples.items()],
            )
            if seq % PRUNE_EVERY == 0:
                self.db.execute(
                    "DELETE FROM site_paragraphs WHERE site = ? AND articles = 1 AND first_seq <= ?",
                    [site, seq - PRUNE_AFTER],
                )
        return seq

    def site_paragraphs(self, site: str, keys: Iterable[str] | None = None,
                        min_articles: int = 1) -> tuple[int, list[ParagraphStat]]:
        """The site's article count and the counts of its paragraphs.

        Only ``keys`` when given (the paragraphs of one article), else every
        paragraph seen in at least ``min_articles`` articles.
        """
        row = self.db.execute("SELECT articles FROM sites WHERE site = ?", [site]).fetchone()
        if row is None:
            return 0, []
        sql = "SELECT key, articles, first_seq, sample FROM site_paragraphs WHERE site = ? AND articles >= ?"
        params: list[object] = [site, min_articles]
        stats: list[ParagraphStat] = []
        if keys is None:
            stats = [ParagraphStat(*r) for r in self.db.execute(sql, params)]
        else:
            keys = list(keys)
            for start in range(0, len(keys), 500):  # stay under SQLite's variable limit
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self.db.execute(f"{sql} AND key IN ({marks})", [*params, *chunk])
                stats.extend(ParagraphStat(*r) for r in rows)
        return row[0], stats

    # -- re-extraction ------------------------------------------------------------

    @staticmethod
    def _reextract_filter(feed_id: int | None, since: str | None) -> tuple[str, list[object]]:
        where: list[str] = []
        params: list[object] = []
        if feed_id is not None:
            # Every article the feed carried, not only those it brought first.
            where.append("EXISTS (SELECT 1 FROM article_sources s WHERE s.article_id = a.id AND s.feed_id = ?)")
            params.append(feed_id)
        if since is not None:
            where.append("a.fetched_at >= ?")
            params.append(since)
        return " AND ".join(where) or "1", params

    def count_articles(self, feed_id: int | None = None, since: str | None = None) -> int:
        """How many articles re-extraction with these filters goes over."""
        where, params = self._reextract_filter(feed_id, since)
        return self.db.execute(f"SELECT count(*) FROM articles a WHERE {where}", params).fetchone()[0]

    def stored_pages(self, feed_id: int | None = None, since: str | None = None,
                     batch_size: int = 50) -> Iterator[list[StoredPage]]:
        """Articles with their kept pages, in batches by id.

        A batch at a time: only ``batch_size`` pages are ever in memory, and
        each batch is its own query, so writes between batches are fine.
        """
        where, params = self._reextract_filter(feed_id, since)
        sql = (
            "SELECT a.*, h.url AS page_url, h.compression, h.html, h.fetched_at AS page_fetched_at"
            f" FROM articles a LEFT JOIN article_html h ON h.article_id = a.id WHERE a.id > ? AND {where}"
            " ORDER BY a.id LIMIT ?"
        )
        after = 0
        while True:
            cursor = self.db.execute(sql, [after, *params, batch_size])
            names = [d[0] for d in cursor.description]
            batch = []
            for values in cursor.fetchall():
                row = dict(zip(names, values))
                page = None
                if row["html"] is not None:
                    page = PageRecord(url=row["page_url"], compression=row["compression"], html=row["html"],
                                      fetched_at=row["page_fetched_at"])
                for name in ("page_url", "compression", "html", "page_fetched_at"):
                    del row[name]
                batch.append(StoredPage(article=row, page=page))
            if not batch:
                return
            yield batch
            after = batch[-1].article["id"]

    def update_articles(self, articles: Mapping[int, ArticleRecord],
                        fingerprints: Mapping[int, FingerprintRecord | None] | None = None) -> None:
        """Write re-extracted content (and fingerprints) over stored articles, all in one transaction.

        The articles_au trigger keeps the full-text index in step.
        """
        if not articles:
            return
        with self.transaction():
            for article_id, article in articles.items():
                self._write_content(article_id, article)
            for article_id, fingerprint in (fingerprints or {}).items():
                self.set_fingerprint(article_id, fingerprint)
