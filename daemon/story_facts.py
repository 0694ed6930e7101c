"""Whether two similar texts tell the same story: the check after MinHash finds a near copy. Pure.

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


def swapped_facts(old: str, new: str) -> tuple[int, int]:
    """(facts in short substitutions, facts both texts share in place), counted on the side with more."""
    first, second = tokens(old), tokens(new)
    matcher = SequenceMatcher(None, [w for w, _ in first], [w for w, _ in second], autojunk=False)
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
    swapped, shared = swapped_facts(old_text, new_text)
    return not (swapped >= MIN_SWAPPED and swapped >= MIN_SWAPPED_SHARE * (swapped + shared))
