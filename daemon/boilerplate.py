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

from newsd.daemon.page_facts import PageFacts, fold

ACTIONS = ("drop", "author", "source")
POSITIONS = ("any", "first", "last")

# Structural checks: boilerplate recognised by the page's markup, not by its
# words. They have names like rules so --explain and the config can name them.
LINK_BLOCK = "link-block"  # a short block that is (almost) all link text
IMAGE_CAPTION = "image-caption"  # the text of a figure caption or credit
HEADLINE = "headline"  # the title repeated as the first paragraph
ORPHAN_HEADING = "orphan-heading"  # a heading left with no story text under it
LINK_LIST = "link-list"  # a run of list items that each start with a link: teasers
OTHER_ARTICLE = "other-article"  # text of another <article> on the page: the next story
STRUCTURAL_CHECKS = (LINK_BLOCK, LINK_LIST, IMAGE_CAPTION, HEADLINE, ORPHAN_HEADING, OTHER_ARTICLE)
LINK_LIST_MIN_ITEMS = 3
LINK_LIST_MIN_SHARE = 0.25
LINK_BLOCK_MIN_SHARE = 0.7
LONG_SENTENCE_CHARS = 100


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

    def applies_at(self, index: int, count: int) -> bool:
        if self.position == "first":
            return index < self.span
        if self.position == "last":
            return index >= count - self.span
        return True

    def match(self, paragraph: str) -> re.Match[str] | None:
        # trafilatura writes list items as "- item"; rules see the item's text.
        text = paragraph[2:] if paragraph.startswith("- ") else paragraph
        if len(text) > self.max_chars:
            return None
        found = next((m for m in (p.search(text) for p in self.patterns) if m), None) or self._by_keywords(text)
        if found and any(u.search(text) for u in self.unless):
            return None
        return found

    def _by_keywords(self, text: str) -> re.Match[str] | None:
        if self.keywords is None or not all(r.search(text) for r in self.requires):
            return None
        seen: set[str | None] = set()
        for found in self.keywords.finditer(text):
            seen.add(found.lastgroup)  # which keyword, not which words: "$5" and "$10" are one
            if len(seen) >= self.min_keywords:
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


def _expand(pattern: str, vocabulary: dict[str, str], depth: int = 0) -> str:
    """Replace ``<<name>>`` with the rules file's [vocabulary] entry of that name (which may use others)."""
    def lookup(found: re.Match[str]) -> str:
        if found[1] not in vocabulary:
            raise re.error(f"unknown vocabulary <<{found[1]}>> (define it under [vocabulary])")
        if depth > 5:
            raise re.error(f"vocabulary <<{found[1]}>> refers to itself")
        return f"(?:{_expand(vocabulary[found[1]], vocabulary, depth + 1)})"
    return re.sub(r"<<(\w+)>>", lookup, pattern)


def compile_rules(data: dict[str, Any], source: str = "rules") -> tuple[Rule, ...]:
    """Rules from parsed TOML; ValueError names the rule and the problem."""
    rules = []
    vocabulary = data.get("vocabulary", {})
    for index, raw in enumerate(data.get("rules", [])):
        where = f"{source}: rules[{index}]"
        name = raw.get("name") or f"rule-{index}"
        action = raw.get("action", "drop")
        if action not in ACTIONS:
            raise ValueError(f"{where} ({name}): action must be one of {', '.join(ACTIONS)}, not {action!r}")
        try:
            patterns = tuple(re.compile(_expand(p, vocabulary), re.IGNORECASE) for p in raw.get("patterns", []))
            unless = tuple(re.compile(_expand(p, vocabulary), re.IGNORECASE) for p in raw.get("unless", []))
            words = raw.get("keywords", [])
            alternatives = "|".join(f"(?P<k{n}>{_expand(w, vocabulary)})" for n, w in enumerate(words))
            keywords = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if words else None
            required = raw.get("requires", [])
            requires = tuple(re.compile(_expand(p, vocabulary), re.IGNORECASE)
                             for p in ([required] if isinstance(required, str) else required))
        except re.error as exc:
            raise ValueError(f"{where} ({name}): bad pattern: {exc}") from None
        if action != "drop" and any("value" not in p.groupindex for p in patterns):
            raise ValueError(f"{where} ({name}): action {action!r} needs a (?P<value>...) group in every pattern")
        position = raw.get("position", "any")
        if position not in POSITIONS:
            raise ValueError(f"{where} ({name}): position must be one of {', '.join(POSITIONS)}, not {position!r}")
        rules.append(Rule(
            name=name, action=action, max_chars=int(raw.get("max_chars", 300)), patterns=patterns,
            position=position, span=int(raw.get("span", 3)), unless=unless,
            keywords=keywords, min_keywords=int(raw.get("min_keywords", 2)), requires=requires,
        ))
    return tuple(rules)


@lru_cache(maxsize=1)
def default_rules() -> tuple[Rule, ...]:
    """The rules shipped with newsd (read once: they are package data and never change)."""
    text = resources.files("newsd.config").joinpath("boilerplate.toml").read_text(encoding="utf-8")
    return compile_rules(tomllib.loads(text), "boilerplate.toml")


def _structural_check(paragraph: str, index: int, facts: PageFacts, title: str | None,
                      disabled: frozenset[str]) -> str | None:
    """The name of the markup check that marks ``paragraph`` as boilerplate, if any."""
    if index == 0 and title and HEADLINE not in disabled and _repeats_title(paragraph, title):
        return HEADLINE
    if LINK_BLOCK not in disabled and facts.link_share(paragraph) >= LINK_BLOCK_MIN_SHARE \
            and not _is_long_sentence(paragraph):
        return LINK_BLOCK
    if IMAGE_CAPTION not in disabled and facts.is_caption(paragraph):
        return IMAGE_CAPTION
    return None


_CREDIT_PREFIX = re.compile(r"^(with |additional |mit )?(reporting|writing|text|research|recherche) (by|von)\s+", re.I)
_NOT_AN_AUTHOR = re.compile(r"^(edit(ed|ing)|redigiert|redaktion|produced|fact-check\w*)\b", re.I)


def split_names(value: str) -> list[str]:
    """Author names from a credit line: "Jane Doe, John Roe and Ann Lee; editing by ..." """
    names = []
    for part in re.split(r",|;| and | und | & ", value):
        part = _CREDIT_PREFIX.sub("", part.strip())
        if part and not _NOT_AN_AUTHOR.match(part):
            names.append(part)
    return names


def _other_articles(paragraphs: list[str], facts: PageFacts) -> list[int]:
    """Indexes of paragraphs from an <article> after the one the text starts in.

    The page's own story comes first; a site that scrolls on into the next
    story appends it as another <article>, which can even be the longer one.
    """
    if not facts.article_of:
        return []
    where = [facts.article(paragraph) for paragraph in paragraphs]
    main = next((article for article in where if article is not None), None)
    return [index for index, article in enumerate(where) if article is not None and article != main]


def _link_lists(paragraphs: list[str], facts: PageFacts) -> list[int]:
    """Indexes of list items in runs of teasers: each item starts with a link.

    "Headline Summary of the other story" items carry too much plain text to
    be a link-block one by one; a run of them is a "more stories" list.
    """
    found: list[int] = []
    run: list[int] = []
    for index, paragraph in enumerate([*paragraphs, ""]):
        if paragraph.startswith("- ") and facts.leads_with_link(paragraph) \
                and facts.link_share(paragraph) >= LINK_LIST_MIN_SHARE:
            run.append(index)
            continue
        if len(run) >= LINK_LIST_MIN_ITEMS:
            found.extend(run)
        run = []
    return found


def _is_long_sentence(paragraph: str) -> bool:
    # A whole linked sentence in the story ("X said so last year.") is text; a
    # related-story link is a headline, which has no full stop.
    return len(paragraph) > LONG_SENTENCE_CHARS and paragraph.rstrip()[-1:] in ".!?…\"”»"


def _repeats_title(paragraph: str, title: str) -> bool:
    """The headline again, maybe with the site's name after a separator."""
    paragraph, title = fold(paragraph).casefold(), fold(title).casefold()
    if paragraph == title:
        return True
    longer, shorter = (paragraph, title) if len(paragraph) > len(title) else (title, paragraph)
    return len(shorter) >= 20 and longer.startswith(shorter) and longer[len(shorter):].lstrip()[:1] in ("|", "-", "–", "—", ":")


def _drop_orphan_headings(kept: list[tuple[int, str]], removed: dict[int, Removed], count: int,
                          facts: PageFacts) -> tuple[list[tuple[int, str]], list[int]]:
    """Headings left with no story text under them.

    A heading is an orphan when nothing is kept between it and the next
    heading, and either the rules removed what was there ("Newsletter",
    "Related") or it trails at the end of the text. A headline followed
    directly by a subheading is not an orphan.
    """
    orphans: set[int] = set()
    next_index = count  # original index of the next kept block after the one at hand
    next_is_heading_or_end = True
    for position in range(len(kept) - 1, -1, -1):
        index, paragraph = kept[position]
        heading = facts.is_heading(paragraph)
        if heading and next_is_heading_or_end:
            emptied = any(i in removed for i in range(index + 1, next_index))
            if emptied or next_index == count:
                orphans.add(position)
                continue  # an orphan does not shelter the heading above it
        next_index, next_is_heading_or_end = index, heading
    return [item for position, item in enumerate(kept) if position not in orphans], [kept[p][0] for p in sorted(orphans)]


def apply_rules(paragraphs: list[str], rules: tuple[Rule, ...], facts: PageFacts | None = None,
                title: str | None = None, disabled: frozenset[str] = frozenset()) -> Cleaned:
    """Split paragraphs into story and boilerplate; bylines and credits become metadata.

    ``facts`` (what the markup says about each block) enables the structural
    checks; ``disabled`` names rules and checks to skip.
    """
    facts = facts or PageFacts()
    kept: list[tuple[int, str]] = []
    removed: dict[int, Removed] = {}
    if OTHER_ARTICLE not in disabled:
        removed.update((index, Removed(paragraphs[index], OTHER_ARTICLE)) for index in _other_articles(paragraphs, facts))
    if LINK_LIST not in disabled:
        removed.update((index, Removed(paragraphs[index], LINK_LIST))
                       for index in _link_lists(paragraphs, facts) if index not in removed)
    authors: list[str] = []
    site_name: str | None = None
    count = len(paragraphs)
    for index, paragraph in enumerate(paragraphs):
        if index in removed:
            continue
        check = _structural_check(paragraph, index, facts, title, disabled)
        if check:
            removed[index] = Removed(paragraph, check)
            continue
        for rule in rules:
            if rule.name in disabled or not rule.applies_at(index, count):
                continue
            found = rule.match(paragraph)
            if not found:
                continue
            removed[index] = Removed(paragraph, rule.name)
            if rule.action == "author":
                authors.extend(split_names(found["value"]))
            elif rule.action == "source" and site_name is None:
                site_name = found["value"].strip()
            break
        else:
            kept.append((index, paragraph))
    if ORPHAN_HEADING not in disabled:
        kept, orphans = _drop_orphan_headings(kept, removed, count, facts)
        removed.update((index, Removed(paragraphs[index], ORPHAN_HEADING)) for index in orphans)
    return Cleaned(
        tuple(paragraph for _, paragraph in kept),
        tuple(removed[index] for index in sorted(removed)),  # in page order, for --explain
        tuple(dict.fromkeys(authors)),
        site_name,
    )
