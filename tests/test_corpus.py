"""Robustness on real-world feeds: feedparser's test corpus and captured publisher feeds.

Every document goes through parse_feed; the only acceptable failure is a
FeedError (a clear per-feed error), never a crash or a hang.
"""

from __future__ import annotations

import csv
import signal
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from newsd.daemon.errors import FeedError, MalformedFeed, NotAFeed
from newsd.daemon.feed import Feed, parse_feed

from conftest import SHARED
CORPUS = SHARED / "corpus"
FEEDPARSER = CORPUS / "feeds" / "feedparser"
REALFEEDS = CORPUS / "realfeeds"
BASE_URL = "https://example.org/feed"
NOT_FEEDS = {"LICENSE", "README.md", "manifest.tsv"}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not FEEDPARSER.is_dir() or not REALFEEDS.is_dir(), reason=f"shared feed corpus not found under {CORPUS}"),
]

TOTAL_SECONDS = 60.0  # ~2,100 small files take a few seconds; a minute means something hangs
ONE_FILE_SECONDS = 5.0


class TookTooLong(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Abort a hung parse instead of hanging the test run (POSIX main thread only)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def _alarm(signum, frame):
        raise TookTooLong(f"took more than {seconds:.0f}s")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def manifest(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["path"]: row for row in csv.DictReader(handle, delimiter="\t")}


def headers_of(row: dict[str, str] | None) -> dict[str, str]:
    """The HTTP headers a feedparser case is served with (its `Header:` lines)."""
    headers: dict[str, str] = {}
    for line in ((row or {}).get("http_headers") or "").splitlines():
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip()] = value.strip()
    return headers


def corpus_files() -> list[tuple[Path, dict[str, str]]]:
    rows = manifest(FEEDPARSER / "manifest.tsv")
    files = [(p, headers_of(rows.get(p.relative_to(FEEDPARSER).as_posix()))) for p in sorted(FEEDPARSER.rglob("*.xml"))]
    for folder in ("miniflux", "rss-parser", "rsparser"):
        for p in sorted((REALFEEDS / folder).iterdir()):
            if p.is_file() and p.suffix != ".opml" and p.name not in NOT_FEEDS:
                files.append((p, {}))
    return files


def parse_file(name: str, headers: dict[str, str] | None = None) -> Feed:
    return parse_feed((REALFEEDS / name).read_bytes(), headers or {}, BASE_URL)


@dataclass
class Run:
    """Every corpus document parsed once: the Feed or FeedError per file, plus anything worse."""

    outcomes: dict[Path, Feed | FeedError] = field(default_factory=dict)
    crashes: list[str] = field(default_factory=list)
    seconds: float = 0.0


@pytest.fixture(scope="module")
def run() -> Run:
    result = Run()
    started = time.perf_counter()
    for path, headers in corpus_files():
        body = path.read_bytes()
        try:
            with time_limit(ONE_FILE_SECONDS):
                result.outcomes[path] = parse_feed(body, headers, BASE_URL)
        except FeedError as exc:
            result.outcomes[path] = exc
        except Exception as exc:  # noqa: BLE001 - the point is to catch anything else
            result.crashes.append(f"{path.relative_to(CORPUS)}: {type(exc).__name__}: {exc}")
    result.seconds = time.perf_counter() - started
    return result


@pytest.fixture(scope="module")
def outcomes(run: Run) -> dict[Path, Feed | FeedError]:
    return run.outcomes


def test_nothing_but_feed_errors_escape(run):
    assert not run.crashes, f"{len(run.crashes)} documents raised something other than FeedError:\n" + "\n".join(run.crashes[:30])


def test_the_corpus_parses_within_the_time_bound(run):
    assert run.seconds < TOTAL_SECONDS, f"parsing the corpus took {run.seconds:.1f}s"


def test_corpus_is_complete(run):
    """2,106 feedparser cases plus 56 captured documents: a silently shrinking corpus tests less."""
    assert len(run.outcomes) + len(run.crashes) == 2106 + 56


def test_most_documents_give_a_feed(outcomes):
    feeds = [r for r in outcomes.values() if isinstance(r, Feed)]
    assert len(feeds) > 0.8 * len(outcomes)


def test_every_entry_has_a_key(outcomes):
    missing = [
        f"{path.relative_to(CORPUS)} entry {i}"
        for path, result in outcomes.items()
        if isinstance(result, Feed)
        for i, entry in enumerate(result.entries)
        if not entry.key or not entry.key.strip()
    ]
    assert not missing, missing[:20]


def test_feed_errors_carry_a_message(outcomes):
    silent = [p.relative_to(CORPUS) for p, r in outcomes.items() if isinstance(r, FeedError) and not str(r).strip()]
    assert not silent, silent[:20]


def test_well_formed_documents_are_never_reported_as_malformed(outcomes):
    """A file feedparser's suite marks as well-formed and not bozo is not broken XML."""
    rows = manifest(FEEDPARSER / "manifest.tsv")
    wrong = [
        f"{rel}: {outcomes[FEEDPARSER / rel]}"
        for rel, row in rows.items()
        if rel.startswith("wellformed/")
        and row["bozo_expected"] == "not_bozo"
        and isinstance(outcomes.get(FEEDPARSER / rel), MalformedFeed)
    ]
    assert not wrong, "\n".join(wrong)


def test_real_feeds_parse_with_the_manifest_entry_counts(outcomes):
    rows = manifest(REALFEEDS / "manifest.tsv")
    wrong = []
    for rel, row in rows.items():
        if not row["entries"] or rel.endswith(".opml") or int(row["entries"]) == 0:
            continue
        result = outcomes[REALFEEDS / rel]
        got = len(result.entries) if isinstance(result, Feed) else repr(result)
        if got != int(row["entries"]):
            wrong.append(f"{rel}: expected {row['entries']} entries, got {got}")
    assert not wrong, "\n".join(wrong)


def test_different_stories_never_share_a_key(outcomes):
    """Two entries of one document with the same key would make the second look already stored."""
    clashes = []
    for path, result in outcomes.items():
        if not isinstance(result, Feed) or REALFEEDS not in path.parents:
            continue
        by_key = defaultdict(set)
        for entry in result.entries:
            by_key[entry.key].add((entry.title, entry.summary, entry.content))
        clashes += [f"{path.relative_to(REALFEEDS)}: {key}" for key, stories in by_key.items() if len(stories) > 1]
    assert not clashes, "\n".join(clashes)


# -- a few facts about particular real feeds ---------------------------------------------


def test_html_document_moved_page_is_not_a_feed():
    with pytest.raises(NotAFeed):
        parse_file("rss-parser/unrecognized.rss")


def test_la_nacion_has_100_entries_with_dates_and_guids():
    feed = parse_file("rsparser/lanacion.xml")
    assert len(feed.entries) == 100
    assert all(e.published_at and e.published_at.endswith("Z") for e in feed.entries)
    assert len({e.key for e in feed.entries}) == 100


def test_golem_iso_8859_1_feed_decodes_german_text():
    feed = parse_file("miniflux/encoding_ISO-8859-1.xml")
    assert feed.title == "Golem.de"
    assert len(feed.entries) == 40
    text = " ".join(f"{e.title} {e.summary}" for e in feed.entries)
    assert any(ch in text for ch in "äöüÄÖÜß")
    assert "\ufffd" not in text and "Ã" not in text


def test_heise_rdf_without_guids_or_dates_falls_back_to_links():
    feed = parse_file("miniflux/rdf_UTF8.xml")
    assert feed.title == "heise online News"
    assert len(feed.entries) == 60
    assert all(e.guid is None and e.key == e.link and e.link.startswith("https://www.") for e in feed.entries)
    assert all(e.published_at is None for e in feed.entries)


def test_recoverable_phys_org_feed_keeps_entries_and_warns():
    feed = parse_file("rss-parser/daily-sci-tech-news.xml")
    assert len(feed.entries) == 30
    assert feed.warning


def test_windows_1251_feed_decodes_cyrillic():
    feed = parse_file("miniflux/encoding_WINDOWS-1251.xml")
    assert len(feed.entries) == 50
    assert feed.entries[0].title.startswith("Цитата")


def test_header_lines_reach_the_parser():
    """106 feedparser cases are served with HTTP headers; they must be passed, not dropped."""
    with_headers = {p.relative_to(FEEDPARSER).as_posix(): h for p, h in corpus_files() if h}
    assert len(with_headers) == 106
    assert with_headers["encoding/bozo_http_i18n.xml"] == {"Content-type": "text/xml"}
