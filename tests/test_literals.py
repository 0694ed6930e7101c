"""required_literals: the strings a pattern cannot match without, used to skip regex searches."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, strategies as st

from newsd.config.literals import LiteralIndex, required_literals
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
        (r"^(?=.*\b(patreon|ko-fi)\b).*", {"patreon", "ko-fi"}),  # a lookahead matches in the same text
        (r"^(?!.*\bfree\b).*\bdonate", {"donate"}),  # what a negative lookahead names is not required
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


def test_literal_index_finds_overlapping_and_nested_strings():
    index = LiteralIndex(frozenset({"share", "shared", "hare", "are you", "you", "zzz"}))
    assert index.present("we shared it, are you?") == {"share", "shared", "hare", "are you", "you"}
    assert index.present("nothing here") == frozenset()
    assert LiteralIndex(frozenset()).present("share") == frozenset()


_STRINGS = st.text(alphabet="abcs ©.", min_size=1, max_size=5)


@given(literals=st.frozensets(_STRINGS, max_size=12), text=st.text(alphabet="abcs ©.x", max_size=60))
def test_literal_index_agrees_with_testing_each_string(literals, text):
    assert LiteralIndex(literals).present(text) == {literal for literal in literals if literal in text}


def test_the_shipped_rules_match_the_same_with_and_without_their_index():
    # A rule's own index (Rule.match on a str) and the whole rule set's index
    # (apply_rules) must give every rule the same answer.
    from newsd.config.rules import Subject, literal_index

    rules = default_rules()
    shared = literal_index(rules)
    samples = ["Follow us on Twitter", "© 2024 Example Media. All rights reserved.", "By Jane Doe",
               "Please consider a donation to keep us going.", "The council met on Tuesday to discuss the budget."]
    for text in samples:
        alone = [bool(rule.match(text)) for rule in rules]
        together = [bool(rule.match(Subject(text, shared))) for rule in rules]
        assert alone == together, text
    assert any(rule.match(samples[0]) for rule in rules)
