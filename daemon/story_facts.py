"""Whether two similar texts tell the same story: the check after MinHash finds a near copy. Pure.

First, nearly all of the shorter text must have its place in the longer:
texts that share only a site's boilerplate block or an opening formula are
two stories, however high their shingle similarity.

Stories written from one template (earnings reports, match results,
weather, election tallies) share most of their words and differ in their
facts: numbers, names, dates. A copy of one story differs in other ways:
another headline, a paragraph added or cut, a typo fixed, perhaps one
updated figure. So the two texts are aligned word by word, and what counts
is how many facts are swapped for other facts in short substitutions
("Acme" for "Globex", "4.2" for "3.1") against the facts both texts share
in place. A fact replaced by a plain word ("Tuesday" for "yesterday") is
an edit, not a swap.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

# A substitution this short swaps a fact; a longer one is a rewritten phrase or headline.
SHORT_SPAN = 3
# Different stories: at least this many facts swapped, making at least this share of the
# facts. In bench/dedup.py copies swap at most 3 facts (1.3% of the facts), templated
# siblings 32% or more of their facts, in four samples of the labelled set.
MIN_SWAPPED = 2
MIN_SWAPPED_SHARE = 0.2
# Different stories too: this share (and number) of the shorter text's words has no
# place in the longer one. A copy, a teaser or a copy with a paragraph added or
# cut has most of its shorter text in the longer; two stories that share a site's
# block of boilerplate, or only an opening formula, do not. In bench/dedup.py true
# copies leave at most 36% unmatched (another site's standfirst and related links
# in a short teaser), distinct stories on one topic at least 79%.
MAX_UNMATCHED_SHARE = 0.4
# Two URLs of one site: a site prints a story once, and its recurring blocks
# (a footer not learned yet) are what its stories share, so little may differ.
ONE_SITE_MAX_UNMATCHED_SHARE = 0.15
MIN_UNMATCHED_WORDS = 15
# A text this much shorter than the other is a teaser or an excerpt of it, and a teaser
# is the opening of its story: its first matched words must lie within the longer
# text's opening (a standfirst or kicker may come first). One item of a round-up or
# digest page lies further in, and is another story than the page.
EXCERPT_RATIO = 1.5
OPENING_TOKENS = 60
OPENING_SHARE = 0.1
MIN_ANCHOR = 4  # matched words in a row that place the shorter text in the longer
# Words aligned at most: the alignment is quadratic in the worst case, and the
# opening of a story says whether it is the same one.
MAX_TOKENS = 1500

_TOKEN = re.compile(r"\w+(?:[.,:/'’-]\w+)*", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?:;»“”\"]\s*$")


def tokens(text: str) -> list[tuple[str, bool]]:
    """The text's words, each with whether it is a fact: a number, or a capitalised word inside a sentence."""
    out: list[tuple[str, bool]] = []
    for paragraph in text.split("\n"):
        sentence_start = True
        last_end = 0
        for match in _TOKEN.finditer(paragraph):
            between = paragraph[last_end:match.start()]
            if _SENTENCE_END.search(between):
                sentence_start = True
            word = match.group()
            is_fact = any(c.isdigit() for c in word) or (word[0].isupper() and not sentence_start)
            out.append((word.casefold(), is_fact))
            sentence_start = False
            last_end = match.end()
    return out


Tokens = list[tuple[str, bool]]


def _aligned(old: str, new: str) -> tuple[Tokens, Tokens, SequenceMatcher]:
    first, second = tokens(old)[:MAX_TOKENS], tokens(new)[:MAX_TOKENS]
    return first, second, SequenceMatcher(None, [w for w, _ in first], [w for w, _ in second], autojunk=False)


def _unmatched(first: Tokens, second: Tokens, matcher: SequenceMatcher) -> tuple[float, int]:
    shorter = min(len(first), len(second))
    if not shorter:
        return 0.0, 0
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return (shorter - matched) / shorter, shorter - matched


def _starts_in_opening(first: Tokens, second: Tokens, matcher: SequenceMatcher) -> bool:
    """Whether the shorter text, when much shorter, begins where the longer one opens (see EXCERPT_RATIO)."""
    shorter, longer = sorted((len(first), len(second)))
    if longer < EXCERPT_RATIO * shorter:
        return True
    longer_is_second = len(second) >= len(first)
    anchors = [block for block in matcher.get_matching_blocks() if block.size >= MIN_ANCHOR]
    if not anchors:
        return True  # nothing placed it: the unmatched share decides
    start = min(block.b if longer_is_second else block.a for block in anchors)
    return start <= max(OPENING_TOKENS, OPENING_SHARE * longer)


def _swapped(first: Tokens, second: Tokens, matcher: SequenceMatcher) -> tuple[int, int]:
    swapped = shared = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            shared += sum(fact for _, fact in first[i1:i2])
        elif op == "replace" and i2 - i1 <= SHORT_SPAN and j2 - j1 <= SHORT_SPAN:
            swapped += min(sum(fact for _, fact in first[i1:i2]), sum(fact for _, fact in second[j1:j2]))
    return swapped, shared


def unmatched_share(old: str, new: str) -> tuple[float, int]:
    """(share, number) of the shorter text's words that have no place in the longer one."""
    return _unmatched(*_aligned(old, new))


def swapped_facts(old: str, new: str) -> tuple[int, int]:
    """(facts swapped for facts in short substitutions, facts both texts share in place)."""
    return _swapped(*_aligned(old, new))


def same_story(old_text: str, new_text: str, compare_facts: bool = True, one_site: bool = False) -> bool:
    """False when the texts differ in their facts the way templated stories do, or share too little; True otherwise.

    ``compare_facts=False`` for a new text at a story's own URL: an update
    may change its figures, but must still hold most of the old text.
    ``one_site``: both texts come from the same site (see ONE_SITE_MAX_UNMATCHED_SHARE).

    Titles stay out: sites rewrite a wire story's headline in short
    substitutions too ("kills 12" for "death toll rises to 12"), so they
    would count against copies as often as against templated stories.
    """
    alignment = _aligned(old_text, new_text)  # aligned once: the costly part
    share, count = _unmatched(*alignment)
    if share > (ONE_SITE_MAX_UNMATCHED_SHARE if one_site else MAX_UNMATCHED_SHARE) and count >= MIN_UNMATCHED_WORDS:
        return False
    if not _starts_in_opening(*alignment):
        return False
    if not compare_facts:
        return True
    swapped, shared = _swapped(*alignment)
    return not (swapped >= MIN_SWAPPED and swapped >= MIN_SWAPPED_SHARE * (swapped + shared))
