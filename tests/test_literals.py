"""required_literals: the strings a pattern cannot match without, used to skip regex searches."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, strategies as st

from newsd.config.literals import LiteralIndex, required_literals
from newsd.config.rules import Subject, default_rules, literal_index


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
        (r"(?<=newsletter )signup", {"newsletter "}),  # a lookbehind too; the longer string is the gate
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


def _samples() -> list[str]:
    """Texts built from the rules' own required strings, in several cases and places, plus story text."""
    import random

    rng = random.Random(7)
    strings = sorted(literal_index(default_rules()).literals)
    samples = ["The council met on Tuesday to discuss the budget.", "- Follow us on Twitter", "By Jane Doe",
               "© 2024 Example Media. All rights reserved.", "Please consider a donation to keep us going."]
    for _ in range(1500):
        picked = rng.sample(strings, rng.randint(1, 3))
        text = rng.choice(["{} {}", "Please {} our {} today!", "{}: {}", "The {} said {} on Monday.", "- {} | {}"])
        words = [rng.choice([w, w.upper(), w.title()]) for w in picked] + ["news", "Jane Doe"]
        samples.append(text.format(*words[:text.count("{}")]))
    return samples


def test_the_gates_never_change_what_a_rule_matches(monkeypatch):
    # The same rules compiled with no required strings run every regex: the
    # reference. Rule.match on a str (the rule's own index) and on a Subject
    # of the whole rule set's index must agree with it on every text.
    import newsd.config.rules as rules_module

    gated = default_rules()
    monkeypatch.setattr(rules_module, "required_literals", lambda pattern: None)
    ungated = rules_module.compile_rules(rules_module._default_data(), "boilerplate.toml")
    shared = literal_index(gated)
    hits = 0
    for text in _samples():
        for with_gates, reference in zip(gated, ungated):
            expected = reference.match(text)
            for found in (with_gates.match(text), with_gates.match(Subject(text, shared))):
                assert (found and (found.span(), found.groupdict())) == (expected and (expected.span(), expected.groupdict())), \
                    (with_gates.name, text)
            hits += bool(expected)
    assert hits > 100  # the samples do reach the rules
