"""required_literals: the strings a pattern cannot match without, used to skip regex searches."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, strategies as st

from newsd.config.literals import required_literals
from newsd.config.rules import default_rules


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        (r"\bnetiquette\b", {"netiquette"}),
        (r"\b(subscri\w*|newsletters?)\b", {"subscri", "newsletter"}),
        (r"^(?=.*\byou\b).*\bdonat(e|ion)", {"donat"}),
        (r"(?-i:ABC)def", {"abc"}),  # lower-cased: tested against the lower-cased paragraph
        (r"\d+:\d+", None),  # no fixed text
        (r"^(a|bc|def)", None),  # strings too short to help
        (r"(chip in)?", None),  # optional
    ],
)
def test_required_literals(pattern, literals):
    found = required_literals(re.compile(pattern))
    assert (found if found is None else set(found)) == literals


# Every shipped pattern: whatever it matches contains one of its strings.
_CHECKED = [(rule.name, p) for rule in default_rules() for p in rule.patterns if required_literals(p)]


@pytest.mark.parametrize(("rule", "pattern"), _CHECKED[:: max(1, len(_CHECKED) // 40)])
@given(text=st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöü ,.:;!?-/|@©0123456789", max_size=80))
def test_a_match_always_contains_a_required_string(rule, pattern, text):
    literals = required_literals(pattern)
    for sample in (text, " ".join(sorted(literals)) + " " + text):
        found = pattern.search(sample if pattern.flags & re.IGNORECASE else sample.lower())
        if found:
            assert any(literal in sample.lower() for literal in literals), (rule, pattern.pattern)
