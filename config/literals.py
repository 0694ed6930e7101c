"""The words a regular expression cannot match without: a cheap test before the regex.

``required_literals(pattern)`` returns a set of lower-cased strings such that
every text the pattern matches contains at least one of them, or None when
no such set can be read off the pattern (it may match without any fixed
text, as ``\\d+:\\d+`` does). Boilerplate rules hold many patterns and run
over every paragraph; a substring test rules most of them out far faster
than the regex engine can, and never changes what matches.
"""

from __future__ import annotations

import re
import re._constants as sre
import re._parser as sre_parse
from typing import Any

Literals = frozenset[str]

_MIN_USEFUL = 3  # shorter strings are in nearly every paragraph: no help


def required_literals(pattern: re.Pattern[str]) -> Literals | None:
    """Strings at least one of which is in every match of ``pattern`` (lower-cased), or None."""
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # an unusual construct: no gate, the regex decides alone
        return None
    found = _sequence(list(parsed))
    if found is None or any(len(text) < _MIN_USEFUL for text in found):
        return None
    return frozenset(text.lower() for text in found)


def _sequence(items: list[tuple[Any, Any]]) -> Literals | None:
    """The best requirement of a sequence: every match contains each item's match."""
    candidates: list[Literals] = []
    run: list[str] = []
    for op, arg in [*items, (None, None)]:
        if op is sre.LITERAL:
            run.append(chr(arg))
            continue
        if run:
            candidates.append(frozenset({"".join(run)}))
            run = []
        if op is None:
            break
        inner = _item(op, arg)
        if inner is not None:
            candidates.append(inner)
    useful = [c for c in candidates if all(len(text) >= _MIN_USEFUL for text in c)]
    if not useful:
        return None
    # The fewest, longest strings make the sharpest test.
    return min(useful, key=lambda c: (len(c), -min(len(text) for text in c)))


def _item(op: Any, arg: Any) -> Literals | None:
    if op is sre.SUBPATTERN:
        return _sequence(list(arg[-1]))
    if op is sre.BRANCH:
        branches = [_sequence(list(branch)) for branch in arg[1]]
        if any(b is None for b in branches):
            return None
        return frozenset().union(*branches)  # type: ignore[arg-type]
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, _high, body = arg
        return _sequence(list(body)) if low >= 1 else None
    if op is sre.ATOMIC_GROUP:
        return _sequence(list(arg))
    if op is sre.ASSERT:
        # A positive lookaround matches inside the same text, and the gate
        # tests the whole text: its strings are required as much as any.
        return _sequence(list(arg[1]))
    return None  # classes, anchors, negative lookarounds, backreferences: no fixed text


class LiteralIndex:
    """Which of many strings a text contains, found in one regex scan.

    Rules test each pattern's required strings before its regex. Testing
    them one by one is a Python loop over hundreds of strings per paragraph;
    one scan over a trie of all of them, done once per paragraph, answers
    every rule's test at once.
    """

    def __init__(self, literals: frozenset[str]) -> None:
        self.literals = literals
        # The scan reports, at each position, the longest string starting
        # there; every string inside a reported one is present too.
        self._scan = re.compile(f"(?=({_trie_pattern(literals)}))") if literals else None
        self._inside: dict[str, frozenset[str]] = {}  # filled as strings are found: few ever are

    def present(self, lower: str) -> frozenset[str]:
        """The strings ``lower`` contains."""
        if self._scan is None:
            return frozenset()
        found: set[str] = set()
        for match in self._scan.finditer(lower):
            longest = match[1]
            inside = self._inside.get(longest)
            if inside is None:
                inside = self._inside[longest] = frozenset(other for other in self.literals if other in longest)
            found |= inside
        return frozenset(found)


def _trie_pattern(literals: frozenset[str]) -> str:
    """A regex matching any of ``literals``, longest first, with shared prefixes merged."""
    trie: dict[str, Any] = {}
    for text in literals:
        node = trie
        for char in text:
            node = node.setdefault(char, {})
        node[""] = {}  # a string ends here

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        ends_here = "" in node
        body = branches[0] if len(branches) == 1 and not ends_here else f"(?:{'|'.join(branches)})"
        # "?" is greedy: the longer string is tried before stopping here.
        return f"(?:{body})?" if ends_here else body

    return emit(trie)
