"""``newsd dedup --rebuild``: fingerprint every stored story again and merge the copies found.

Run after changing ``[dedup]`` settings, or once after upgrading a store
made before deduplication. Stories are read in id order, in batches (memory
stays bounded however large the store): each is matched against the stories
before it exactly as the pipeline matches a new article, and a copy becomes
another appearance of the earlier story. Merging cannot be undone by a
stricter threshold later: a merged copy keeps its source row, not its text,
unless its text is the fuller one (the story was stored from a teaser): then
the story takes it as a revision, as the pipeline does.

Writes are committed at least every ``MAX_TRANSACTION_S`` seconds, so a
daemon polling meanwhile waits for the lock far less than its busy timeout.
An interrupted rebuild leaves the stories after it without a fingerprint
(`newsd stats` counts them); running it again finishes the work.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Callable

from newsd.config import DedupSettings
from newsd.daemon.dedup import find_story, fingerprint_of, is_fuller
from newsd.daemon.text import content_hash
from newsd.storage import Store
from newsd.storage.store import utc_now

log = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_TRANSACTION_S = 0.25  # hold the write lock no longer than this (plus one story's work)


@dataclass
class RebuildSummary:
    """What a rebuild did."""

    stories: int = 0  # stored stories read
    fingerprinted: int = 0  # with a fingerprint now (long enough to match near)
    merged: int = 0  # found to be copies of an earlier story, now its appearances
    duration_s: float = 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "duration_s": round(self.duration_s, 3)}


def rebuild(store: Store, settings: DedupSettings, on_progress: Callable[[int], None] | None = None,
            batch_size: int = BATCH_SIZE) -> RebuildSummary:
    """Recompute hashes, fingerprints and the LSH index; merge the copies they reveal."""
    started = time.monotonic()
    summary = RebuildSummary()
    store.clear_fingerprints()
    after = 0
    while batch := store.stories_after(after, batch_size):
        pending = iter(batch)
        done = 0
        while done < len(batch):
            deadline = time.monotonic() + MAX_TRANSACTION_S
            with store.transaction():
                for article_id, title, text, stored_hash, url in pending:
                    _rebuild_one(store, settings, summary, article_id, title, text, stored_hash, url)
                    done += 1
                    if time.monotonic() > deadline:
                        break
        after = batch[-1][0]
        if on_progress:
            on_progress(len(batch))
    summary.duration_s = time.monotonic() - started
    log.info("dedup rebuild: %d stories, %d merged, %d fingerprinted in %.1f s",
             summary.stories, summary.merged, summary.fingerprinted, summary.duration_s)
    return summary


def _rebuild_one(store: Store, settings: DedupSettings, summary: RebuildSummary, article_id: int,
                 title: str | None, text: str, stored_hash: str, url: str | None) -> None:
    """Hash and fingerprint one story again; merge it into an earlier story it is a copy of."""
    summary.stories += 1
    folded_hash = content_hash(text)
    if folded_hash != stored_hash:  # stored by a newsd that folded text differently
        store.set_content_hash(article_id, folded_hash)
    fingerprint = fingerprint_of(text, settings)
    match = find_story(store, title, text, folded_hash, fingerprint, settings, itself=article_id, url=url)
    if match is not None and match.article_id < article_id:
        story = store.story(match.article_id)
        fuller = story is not None and is_fuller(text, story.text)
        store.merge_story(article_id, match.article_id, match.similarity, take_text_at=utc_now() if fuller else None)
        if fuller:
            store.set_fingerprint(match.article_id, fingerprint)
        summary.merged += 1
    elif fingerprint is not None:
        store.set_fingerprint(article_id, fingerprint)
        summary.fingerprinted += 1
