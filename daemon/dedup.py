"""One story, one row: find the stored story a new text is a copy of.

Three steps, cheapest first (docs/architecture.md#deduplication):

1. the same folded text (``content_hash``): the same story under another URL;
2. a near copy: stories sharing an LSH band (or a paragraph's opening words) with the
   text's MinHash signature, whose estimated similarity, or containment of
   the shorter text in the longer (a teaser), reaches ``[dedup] near_threshold``;
3. of those, the first whose facts (numbers, names, dates) agree with the
   text's (``story_facts``): templated stories that share most words stay apart.

Texts under ``[dedup] min_words`` words are matched only by step 1, and only
with the same title too: a short text ("Read the full story on our site")
is no identity on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsd.config import DedupSettings
from newsd.daemon import fingerprint as fp
from newsd.daemon.story_facts import EXCERPT_RATIO, same_story
from newsd.daemon.text import word_count
from newsd.daemon.urls import same_site
from newsd.storage import FingerprintRecord

if TYPE_CHECKING:  # a worker process hashes texts (fingerprint_of) and never opens the store
    from newsd.storage import Store

# Candidates looked at per lookup: enough for every copy of a story, bounded
# when a common template puts hundreds of stories in the same buckets.
MAX_CANDIDATES = 20
# Candidates whose facts are compared, best similarity first.
MAX_FACT_CHECKS = 5


def is_fuller(text: str, than: str) -> bool:
    """Whether ``text`` is enough longer than ``than`` to replace it as the story's text.

    The same ratio that makes the shorter text a teaser of the longer in ``same_story``:
    a story stored from its teaser takes the full text.
    """
    return word_count(text) >= EXCERPT_RATIO * max(1, word_count(than))


@dataclass(frozen=True)
class StoryMatch:
    """The stored story a text belongs to, and how sure the match is."""

    article_id: int
    similarity: float  # 1.0 for the same text, else the estimated shingle similarity


def can_match_near(text: str, settings: DedupSettings) -> bool:
    """Whether a text is long enough to be matched by its fingerprint, and so to be an identity on its own."""
    return word_count(text) >= settings.min_words


def fingerprint_of(text: str, settings: DedupSettings) -> FingerprintRecord | None:
    """The text's fingerprint for near lookup; None for a text too short to match near."""
    if not can_match_near(text, settings):
        return None
    signature = fp.signature(text)
    if not signature:
        return None
    return FingerprintRecord(fp.pack(signature), tuple(fp.band_keys(signature)) + tuple(fp.opening_keys(text)))


def find_story(store: Store, title: str | None, text: str, content_hash: str,
               fingerprint: FingerprintRecord | None, settings: DedupSettings,
               itself: int | None = None, url: str | None = None) -> StoryMatch | None:
    """The stored story this text is a copy of, or None for a new story.

    ``itself``: the text's own article id, when it is stored already (a rebuild).
    ``url``: where the text was found; a stored story of the same site must match more closely.
    """
    copy = find_copy(store, title, text, content_hash, settings, itself)
    if copy is not None or fingerprint is None:
        return copy
    return find_near(store, text, fingerprint, settings, itself, url)


def find_copy(store: Store, title: str | None, text: str, content_hash: str, settings: DedupSettings,
              itself: int | None = None) -> StoryMatch | None:
    """Step 1: the stored story with the same folded text (a short one must come with the same title too)."""
    # a short text is no identity on its own: it must come with the same title
    same_title = None if can_match_near(text, settings) else (title or "")
    exact = store.article_id_for_hash(content_hash, same_title)
    return StoryMatch(exact, 1.0) if exact is not None and exact != itself else None


def find_near(store: Store, text: str, fingerprint: FingerprintRecord, settings: DedupSettings,
              itself: int | None = None, url: str | None = None) -> StoryMatch | None:
    """Steps 2 and 3: the stored story this text is a near copy of, whose facts agree with it."""
    signature = fp.unpack(fingerprint.signature)
    candidates = store.near_candidates(fingerprint.band_keys, MAX_CANDIDATES)
    texts = store.story_texts(article_id for article_id, _ in candidates)
    size = len(fp.words(text))
    scored = []
    for article_id, other in candidates:
        if article_id == itself or article_id not in texts:  # a rebuild meets the story's own fresh fingerprint
            continue
        jaccard = fp.similarity(signature, fp.unpack(other))
        # a teaser lies inside its story: how much of the shorter text the longer holds counts too
        score = max(jaccard, fp.containment(jaccard, size, len(fp.words(texts[article_id].text))))
        if score >= settings.near_threshold:
            scored.append((score, article_id))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    for score, article_id in scored[:MAX_FACT_CHECKS]:
        stored = texts[article_id]
        if same_story(stored.text, text, one_site=bool(url and stored.url and same_site(url, stored.url))):
            return StoryMatch(article_id, round(score, 3))
    return None
