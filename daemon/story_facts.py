"""Whether two similar texts tell the same story: the check after MinHash finds a near copy. Pure.

First, nearly all of the shorter text must have its place in the longer:
texts that share only a site's boilerplate block or an opening formula are
two stories, however high their shingle similarity.

Stories written from one template (earnings reports, match results,
weather, election tallies) share most of their words and differ in their
facts: numbers, names, dates. A copy of one story differs in other ways:
another headline, a paragraph added or cut, a typo fixed, perhaps one
updated figure. So the two texts are aligned word by word, and what counts
is how many facts sit in short substitutions ("Acme" for "Globex", "4.2"
for "3.1") against the facts both texts share in place.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

# A substitution this short swaps a fact; a longer one is a rewritten phrase or headline.
SHORT_SPAN = 3
# Different stories: at least this many facts swapped, making at least this share of the facts.
MIN_SWAPPED = 3
MIN_SWAPPED_SHARE = 0.2
# Different stories too: this share (and number) of the shorter text's words has no
# place in the longer one. A copy, a teaser or a copy with a paragraph added or
# cut has nearly all of its shorter text in the longer; two stories that share a
# site's block of boilerplate, or only an opening formula, do not.
MAX_UNMATCHED_SHARE = 0.15
MIN_UNMATCHED_WORDS = 15
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


def _aligned(old: str, new: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]], SequenceMatcher]:
    first, second = tokens(old)[:MAX_TOKENS], tokens(new)[:MAX_TOKENS]
    return first, second, SequenceMatcher(None, [w for w, _ in first], [w for w, _ in second], autojunk=False)


def unmatched_share(old: str, new: str) -> tuple[float, int]:
    """(share, number) of the shorter text's words that have no place in the longer one."""
    first, second, matcher = _aligned(old, new)
    shorter = min(len(first), len(second))
    if not shorter:
        return 0.0, 0
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return (shorter - matched) / shorter, shorter - matched


def swapped_facts(old: str, new: str) -> tuple[int, int]:
    """(facts in short substitutions, facts both texts share in place), counted on the side with more."""
    first, second, matcher = _aligned(old, new)
    swapped = shared = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            shared += sum(fact for _, fact in first[i1:i2])
        elif op == "replace" and i2 - i1 <= SHORT_SPAN and j2 - j1 <= SHORT_SPAN:
            swapped += max(sum(fact for _, fact in first[i1:i2]), sum(fact for _, fact in second[j1:j2]))
    return swapped, shared


def same_story(old_text: str, new_text: str) -> bool:
    """False when the texts differ in their facts the way templated stories do; True otherwise.

    Titles stay out: sites rewrite a wire story's headline in short
    substitutions too ("kills 12" for "death toll rises to 12"), so they
    would count against copies as often as against templated stories.
    """
    share, count = unmatched_share(old_text, new_text)
    if share > MAX_UNMATCHED_SHARE and count >= MIN_UNMATCHED_WORDS:
        return False
    swapped, shared = swapped_facts(old_text, new_text)
    return not (swapped >= MIN_SWAPPED and swapped >= MIN_SWAPPED_SHARE * (swapped + shared))
