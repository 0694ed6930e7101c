"""Boilerplate rules: which paragraphs of an extracted article are not the story.

``compile_rules`` turns the rules file's data into ``Rule`` values;
``apply_rules`` is a pure function over paragraphs. The default rules ship in
``newsd/config/boilerplate.toml``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

ACTIONS = ("drop", "author", "source")


@dataclass(frozen=True)
class Rule:
    """A named set of patterns for one kind of boilerplate."""

    name: str
    action: str
    max_chars: int
    patterns: tuple[re.Pattern[str], ...]

    def match(self, paragraph: str) -> re.Match[str] | None:
        if len(paragraph) > self.max_chars:
            return None
        for pattern in self.patterns:
            found = pattern.search(paragraph)
            if found:
                return found
        return None


@dataclass(frozen=True)
class Removed:
    """A paragraph the boilerplate pass took out, and the rule that took it."""

    text: str
    rule: str


@dataclass(frozen=True)
class Cleaned:
    """The outcome of the boilerplate pass."""

    paragraphs: tuple[str, ...]
    removed: tuple[Removed, ...] = ()
    authors: tuple[str, ...] = ()
    site_name: str | None = None


def compile_rules(data: dict[str, Any], source: str = "rules") -> tuple[Rule, ...]:
    """Rules from parsed TOML; ValueError names the rule and the problem."""
    rules = []
    for index, raw in enumerate(data.get("rules", [])):
        where = f"{source}: rules[{index}]"
        name = raw.get("name") or f"rule-{index}"
        action = raw.get("action", "drop")
        if action not in ACTIONS:
            raise ValueError(f"{where} ({name}): action must be one of {', '.join(ACTIONS)}, not {action!r}")
        try:
            patterns = tuple(re.compile(p, re.IGNORECASE) for p in raw.get("patterns", []))
        except re.error as exc:
            raise ValueError(f"{where} ({name}): bad pattern: {exc}") from None
        if action != "drop" and any("value" not in p.groupindex for p in patterns):
            raise ValueError(f"{where} ({name}): action {action!r} needs a (?P<value>...) group in every pattern")
        rules.append(Rule(name=name, action=action, max_chars=int(raw.get("max_chars", 300)), patterns=patterns))
    return tuple(rules)


@lru_cache(maxsize=1)
def default_rules() -> tuple[Rule, ...]:
    """The rules shipped with newsd (read once: they are package data and never change)."""
    text = resources.files("newsd.config").joinpath("boilerplate.toml").read_text(encoding="utf-8")
    return compile_rules(tomllib.loads(text), "boilerplate.toml")


def apply_rules(paragraphs: list[str], rules: tuple[Rule, ...]) -> Cleaned:
    """Split paragraphs into story and boilerplate; bylines and credits become metadata."""
    kept: list[str] = []
    removed: list[Removed] = []
    authors: list[str] = []
    site_name: str | None = None
    for paragraph in paragraphs:
        for rule in rules:
            found = rule.match(paragraph)
            if not found:
                continue
            removed.append(Removed(paragraph, rule.name))
            if rule.action == "author":
                authors.extend(a.strip() for a in re.split(r",| and | und ", found["value"]) if a.strip())
            elif rule.action == "source" and site_name is None:
                site_name = found["value"].strip()
            break
        else:
            kept.append(paragraph)
    return Cleaned(tuple(kept), tuple(removed), tuple(dict.fromkeys(authors)), site_name)
