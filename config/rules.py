"""Boilerplate rules as configuration: the rules file's format, compiled.

A rule is a named set of patterns (or a vocabulary) for one kind of
boilerplate; ``compile_rules`` turns the TOML data of a rules file into
``Rule`` values and says what is wrong with a bad one. The shipped rules are
``newsd/config/boilerplate.toml``; a user's config adds ``Overrides``
(globally, per site, per feed), which ``RuleSet.with_overrides`` applies.
Applying rules to an article's paragraphs is ``newsd.daemon.boilerplate``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Iterator, Sequence

from newsd.config.literals import LiteralIndex, Literals, required_literals

ACTIONS = ("drop", "author", "source")
POSITIONS = ("any", "first", "last", "edge")

# Structural checks: boilerplate recognised by the page's markup, not by its
# words. They have names like rules so --explain and the config can name them.
LINK_BLOCK = "link-block"  # a short block that is (almost) all link text, or "Label: <link>"
IMAGE_CAPTION = "image-caption"  # the text of a figure caption or credit
HEADLINE = "headline"  # the title repeated as the first paragraph
ORPHAN_HEADING = "orphan-heading"  # a heading left with no story text under it
LINK_LIST = "link-list"  # a run of list items that each start with a link: teasers
OTHER_ARTICLE = "other-article"  # text of another <article> on the page: the next story
PARAGRAPH_MODEL = "paragraph-model"  # the learned classifier (newsd.daemon.paragraph_model)
SITE_PAGE_LINK = "site-page-link"  # a short block linking to the site's donate, subscribe or legal page
STRUCTURAL_CHECKS = (LINK_BLOCK, LINK_LIST, IMAGE_CAPTION, HEADLINE, ORPHAN_HEADING, OTHER_ARTICLE, SITE_PAGE_LINK,
                     PARAGRAPH_MODEL)
@dataclass(frozen=True)
class Rule:
    """A named set of patterns for one kind of boilerplate."""

    name: str
    action: str
    max_chars: int
    patterns: tuple[re.Pattern[str], ...]
    position: str = "any"  # "first"/"last": only within `span` paragraphs of that end
    span: int = 3
    unless: tuple[re.Pattern[str], ...] = ()  # a paragraph matching one of these is story text
    # Or, without a fixed phrase: at least `min_keywords` different words of
    # the class's vocabulary, in a paragraph that also matches `requires`.
    keywords: re.Pattern[str] | None = None
    min_keywords: int = 2
    requires: tuple[re.Pattern[str], ...] = ()  # all must match for the keywords to count
    # Each pattern with the strings one of which any match contains (see
    # config/literals.py; a substring test skips most regex searches) and
    # whether it reads the original text; worked out once, as this is hot.
    _checks: tuple[_Check, ...] = field(default=(), init=False, repr=False, compare=False)
    _unless: tuple[_Check, ...] = field(default=(), init=False, repr=False, compare=False)
    _requires: tuple[_Check, ...] = field(default=(), init=False, repr=False, compare=False)
    _keyword_gate: Literals | None = field(default=None, init=False, repr=False, compare=False)
    # The checks with no required strings, and the strings of all the others:
    # a paragraph holding none of those strings needs only the former run.
    _ungated: tuple[_Check, ...] = field(default=(), init=False, repr=False, compare=False)
    _gated_strings: Literals = field(default=frozenset(), init=False, repr=False, compare=False)
    _index: LiteralIndex = field(default_factory=lambda: LiteralIndex(frozenset()), init=False, repr=False,
                                compare=False)

    def __post_init__(self) -> None:
        def checks(patterns: tuple[re.Pattern[str], ...]) -> tuple[_Check, ...]:
            return tuple((p, required_literals(p), bool(p.flags & _IGNORECASE)) for p in patterns)
        object.__setattr__(self, "_checks", checks(self.patterns))
        object.__setattr__(self, "_unless", checks(self.unless))
        object.__setattr__(self, "_requires", checks(self.requires))
        object.__setattr__(self, "_ungated", tuple(check for check in self._checks if check[1] is None))
        object.__setattr__(self, "_gated_strings", frozenset().union(*(gate for _, gate, _ in self._checks if gate)))
        object.__setattr__(self, "_keyword_gate", required_literals(self.keywords) if self.keywords else None)
        gates = [gate for _, gate, _ in self._checks + self._unless + self._requires if gate is not None]
        if self._keyword_gate is not None:
            gates.append(self._keyword_gate)
        object.__setattr__(self, "_index", LiteralIndex(frozenset().union(*gates)))

    def literals(self) -> frozenset[str]:
        """Every string this rule's tests look for before running a regex."""
        return self._index.literals

    def applies_at(self, index: int, count: int) -> bool:
        if self.position == "first":
            return index < self.span
        if self.position == "last":
            return index >= count - self.span
        if self.position == "edge":
            return index < self.span or index >= count - self.span
        return True

    def match(self, paragraph: "str | Subject") -> re.Match[str] | None:
        """The match that makes ``paragraph`` this rule's boilerplate, or None."""
        subject = paragraph if isinstance(paragraph, Subject) else Subject(paragraph, self._index)
        if len(subject.text) > self.max_chars:
            return None
        checks = self._ungated if self._gated_strings.isdisjoint(subject.present) else self._checks
        found = _first_match(subject, checks) or self._by_keywords(subject)
        if found and _first_match(subject, self._unless):
            return None
        return found

    def _by_keywords(self, text: "Subject") -> re.Match[str] | None:
        if self.keywords is None:
            return None
        gate = self._keyword_gate  # the cheap test first: most paragraphs hold no keyword
        if gate is not None and not text.contains_any(gate):
            return None
        if not all(text.search_shared(check) for check in self._requires):
            return None
        seen: set[str | None] = set()
        for found in text.finditer(self.keywords):
            seen.add(found.lastgroup)  # which keyword, not which words: "$5" and "$10" are one
            if len(seen) >= self.min_keywords:
                return found
        return None


_IGNORECASE = int(re.IGNORECASE)
# (pattern, strings one of which a match needs or None, matched on the original text)
_Check = tuple[re.Pattern[str], "Literals | None", bool]


class Subject:
    """A paragraph as rules see it: without a list bullet, lower-cased and scanned once for all rules.

    Matching lower-cased text with a case-sensitive pattern is about a third
    faster than IGNORECASE, and this pass runs over every paragraph.
    ``index`` must hold the strings of every rule that will match this
    subject (``literal_index(rules)``): a string it lacks counts as absent.
    """

    __slots__ = ("text", "lower", "present", "_found")

    def __init__(self, paragraph: str, index: LiteralIndex) -> None:
        # trafilatura writes list items as "- item"; rules see the item's text.
        self.text = paragraph[2:] if paragraph.startswith("- ") else paragraph
        self.lower = self.text.lower()
        self.present = index.present(self.lower)  # the rules' required strings this text holds
        # Results of the patterns rules share (re.compile hands out one object
        # per pattern, so <<addressed>> in five rules runs once), keyed by id:
        # a Pattern hashes its whole source on every lookup.
        self._found: dict[int, re.Match[str] | None] = {}

    def contains_any(self, literals: Literals) -> bool:
        return not literals.isdisjoint(self.present)

    def search_shared(self, check: "_Check") -> re.Match[str] | None:
        """A check's match, remembered for this paragraph: for requirements many rules repeat."""
        key = id(check[0])
        if key not in self._found:
            self._found[key] = _first_match(self, (check,))
        return self._found[key]

    def finditer(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        return pattern.finditer(self.text if pattern.flags & _IGNORECASE else self.lower)


def _first_match(subject: Subject, checks: tuple["_Check", ...]) -> re.Match[str] | None:
    """The first match among ``checks``, skipping any whose required strings are all absent."""
    lower, text, present = subject.lower, subject.text, subject.present
    for pattern, gate, on_original in checks:
        if gate is not None and gate.isdisjoint(present):
            continue
        found = pattern.search(text if on_original else lower)
        if found:
            return found
    return None


def _compile(pattern: str, keep_case: bool = False) -> re.Pattern[str]:
    """A case-insensitive pattern: for lower-cased text when it can be, else with IGNORECASE.

    A pattern that names a case itself ("(?-i:[A-Z]...)", an upper-case
    letter) or whose match is kept (``keep_case``: an author's name) sees the
    original text.
    """
    literal = re.sub(r"\\.|\(\?P[<=]", "", pattern)  # escapes and named groups are not letters to match
    if keep_case or "(?-i" in pattern or any(c.isupper() for c in literal):
        return re.compile(pattern, re.IGNORECASE)
    return re.compile(pattern)


def _expand(pattern: str, vocabulary: dict[str, str], depth: int = 0) -> str:
    """Replace ``<<name>>`` with the rules file's [vocabulary] entry of that name (which may use others)."""
    def lookup(found: re.Match[str]) -> str:
        if found[1] not in vocabulary:
            known = ", ".join(f"<<{n}>>" for n in vocabulary) or "none"
            raise re.error(f"unknown vocabulary <<{found[1]}>> (known: {known})")
        if depth > 5:
            raise re.error(f"vocabulary <<{found[1]}>> refers to itself")
        return f"(?:{_expand(vocabulary[found[1]], vocabulary, depth + 1)})"
    return re.sub(r"<<(\w+)>>", lookup, pattern)


RULE_KEYS = ("name", "action", "max_chars", "patterns", "unless", "keywords", "min_keywords", "requires",
             "position", "span")


def _strings(raw: dict, key: str, where: str) -> list[str]:
    """A rule's list of patterns under ``key``; ValueError unless it is a list of non-empty strings."""
    value = raw.get(key, [])
    if key == "requires" and isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: {key} must be a list of strings (regular expressions), "
                         f"e.g. {key} = ['^donate now']")
    if any(not v.strip() for v in value):
        raise ValueError(f"{where}: {key} holds an empty pattern, which would match every paragraph")
    return value


def _number(raw: dict, key: str, where: str, default: int, least: int) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise ValueError(f"{where}: {key} must be a whole number >= {least}, not {value!r}")
    return value


def compile_rules(data: dict[str, Any], source: str = "rules",
                  vocabulary: dict[str, str] | None = None) -> tuple[Rule, ...]:
    """Rules from parsed TOML; ValueError names the rule and the problem.

    ``vocabulary`` supplies <<name>> pieces besides the data's own [vocabulary]
    (a user's rules can use the shipped file's <<reader>>, for instance).
    """
    rules: list[Rule] = []
    vocabulary = {**(vocabulary or {}), **data.get("vocabulary", {})}
    for index, raw in enumerate(data.get("rules", [])):
        name = raw.get("name")
        where = f"{source}: rules[{index}]" + (f" ({name})" if isinstance(name, str) else "")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{where}: every rule needs a name, e.g. name = \"my-footer\" "
                             "(--explain shows it, and disable = [...] uses it)")
        if any(rule.name == name for rule in rules):
            raise ValueError(f"{where}: a rule named {name!r} comes earlier; give each rule its own name")
        unknown = sorted(set(raw) - set(RULE_KEYS))
        if unknown:
            raise ValueError(f"{where}: unknown key {unknown[0]!r} (a rule has {', '.join(RULE_KEYS)})")
        action = raw.get("action", "drop")
        if action not in ACTIONS:
            raise ValueError(f"{where}: action must be one of {', '.join(ACTIONS)}, not {action!r}")
        texts = {key: _strings(raw, key, where) for key in ("patterns", "unless", "keywords", "requires")}
        if not texts["patterns"] and not texts["keywords"]:
            raise ValueError(f"{where}: give the rule patterns = ['...'] (or keywords), or it matches nothing")
        current = ""
        try:
            keep_case = action != "drop"
            patterns = []
            for current in texts["patterns"]:
                patterns.append(_compile(_expand(current, vocabulary), keep_case))
            unless = []
            for current in texts["unless"]:
                unless.append(_compile(_expand(current, vocabulary)))
            current = " | ".join(texts["keywords"])
            alternatives = "|".join(f"(?P<k{n}>{_expand(w, vocabulary)})" for n, w in enumerate(texts["keywords"]))
            keywords = _compile(rf"(?<!\w)(?:{alternatives})(?!\w)") if texts["keywords"] else None
            requires = []
            for current in texts["requires"]:
                requires.append(_compile(_expand(current, vocabulary)))
        except re.error as exc:
            raise ValueError(f"{where}: bad pattern {current!r}: {exc}; patterns are Python regular expressions: "
                             "escape a literal ( ) [ ] ? * + . with a backslash (in TOML, write them in '...' "
                             "so the backslash stays)") from None
        if action != "drop" and any("value" not in p.groupindex for p in patterns):
            raise ValueError(f"{where}: action {action!r} needs a (?P<value>...) group in every pattern")
        position = raw.get("position", "any")
        if position not in POSITIONS:
            raise ValueError(f"{where}: position must be one of {', '.join(POSITIONS)}, not {position!r}")
        rules.append(Rule(
            name=name, action=action, max_chars=_number(raw, "max_chars", where, 300, 1),
            patterns=tuple(patterns), position=position, span=_number(raw, "span", where, 3, 1),
            unless=tuple(unless), keywords=keywords, min_keywords=_number(raw, "min_keywords", where, 2, 1),
            requires=tuple(requires),
        ))
    return tuple(rules)


@lru_cache(maxsize=1)
def _default_data() -> dict[str, Any]:
    text = resources.files("newsd.config").joinpath("boilerplate.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def default_rules() -> tuple[Rule, ...]:
    """The rules shipped with newsd (read once: they are package data and never change)."""
    return compile_rules(_default_data(), "boilerplate.toml")


@lru_cache(maxsize=1)
def default_site_pages() -> re.Pattern[str]:
    """The rules file's [site_pages]: path segments of a site's own donate, subscribe and legal pages."""
    segments = _default_data().get("site_pages", {}).get("segments", [])
    return _compile("|".join(f"(?:{segment})" for segment in segments) or "(?!)")


def default_vocabulary() -> dict[str, str]:
    """The shipped rules file's [vocabulary], for users' own rules."""
    return dict(_default_data().get("vocabulary", {}))


@dataclass(frozen=True)
class Overrides:
    """What a config adds to the rules (globally, for a site or for a feed)."""

    rules: tuple[Rule, ...] = ()  # a rule named like an earlier one replaces it
    disable: frozenset[str] = frozenset()  # names of rules and markup checks to skip


@dataclass(frozen=True)
class RuleSet:
    """The rules and the disabled names that apply to one page."""

    rules: tuple[Rule, ...]
    disabled: frozenset[str] = frozenset()

    def with_overrides(self, overrides: Overrides) -> "RuleSet":
        replaced = {rule.name for rule in overrides.rules}
        # The user's rules run first: the first rule that matches names the removal.
        rules = overrides.rules + tuple(rule for rule in self.rules if rule.name not in replaced)
        return RuleSet(rules, self.disabled | overrides.disable)


@lru_cache(maxsize=64)  # one per distinct rule set: the shipped one plus sites' and feeds' own
def _index_of(literals: frozenset[str]) -> LiteralIndex:
    return LiteralIndex(literals)


def literal_index(rules: Sequence[Rule]) -> LiteralIndex:
    """One index of the strings all of ``rules`` look for (cached: a config has few rule sets)."""
    return _index_of(frozenset().union(*(rule.literals() for rule in rules)))


def default_ruleset() -> RuleSet:
    return RuleSet(default_rules())


def known_names(rules: tuple[Rule, ...] = ()) -> tuple[str, ...]:
    """Every name a config may disable: the shipped rules, the markup checks and ``rules``."""
    return tuple(dict.fromkeys([*(r.name for r in default_rules()), *STRUCTURAL_CHECKS, *(r.name for r in rules)]))
