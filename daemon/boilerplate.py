"""The boilerplate pass: which paragraphs of an extracted article are not the story.

``apply_rules`` is a pure function over paragraphs: the rules (compiled by
``newsd.config.rules`` from ``newsd/config/boilerplate.toml`` and the user's
config) match text, markup checks (``PageFacts``) catch what only the
page's structure gives away, and a learned model (``ParagraphModel``) takes
the phrasings no rule was written for.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from newsd.config.rules import (HEADLINE, IMAGE_CAPTION, LINK_BLOCK, LINK_LIST, ORPHAN_HEADING, OTHER_ARTICLE,
                                PARAGRAPH_MODEL, SITE_PAGE_LINK, Rule, Subject, default_site_pages, literal_index)
from newsd.daemon.page_facts import PageFacts, fold
from newsd.daemon.paragraph_model import ParagraphModel, article_words, is_off_topic
from newsd.daemon.text import strip_bullet

LINK_LIST_MIN_ITEMS = 3
LINK_LIST_MIN_SHARE = 0.25
LINK_BLOCK_MIN_SHARE = 0.7
LONG_SENTENCE_CHARS = 100
SENTENCE_WORDS = 8  # or this many words ending in a full stop
MODEL_MAX_SHARE = 0.4  # of the kept text: more than this and the model takes nothing
MODEL_MAX_PARAGRAPHS = 8  # nor when it would take more paragraphs than this
# Past those limits it still takes a paragraph it is this sure of that shares no topic word with the article.
MODEL_SURE_OFF_TOPIC = 0.999
# More of the text paragraphs than this off the article's topic, and the model keeps to its
# length thresholds (ParagraphModel.off_topic_threshold needs an article with a topic).
OFF_TOPIC_MAX_SHARE = 0.25
LABELLED_LINK_MIN_SHARE = 0.9  # of the text after the label
# A short label and its separator: "Read more:", "ALSO READ |", "Lire aussi »".
_LINK_LABEL = re.compile(r"^\W{0,2}[^\W\d_][\w’'.-]*(?: [\w’'.-]+){0,3} ?[:|»›→▶–—-]+ *(?=\S)")


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
_CREDIT_PLACE = re.compile(r"\s+in\s+\S.*$")
_NOT_AN_AUTHOR = re.compile(r"^(edit(ed|ing)|redigiert|redaktion|produced|fact-check\w*)\b", re.I)


def split_credit(value: str) -> list[str]:
    """Author names from a credit line: "Jane Doe, John Roe and Ann Lee; editing by ..." """
    names = []
    for part in re.split(r",|;| and | und | & ", value):
        part = _CREDIT_PREFIX.sub("", part.strip())
        part = _CREDIT_PLACE.sub("", part)  # "Jane Doe in London": the place is not the name
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


def _is_labelled_link(paragraph: str, facts: PageFacts) -> bool:
    """A short label, then nothing but a link of two words or more: "Read more: <a>Headline</a>".

    Whatever the label says, in whatever language, a line that only points
    at another page is navigation. A linked handle ("Account: @name"), a
    linked sentence ("Tip: <a>Get more ideas here!</a>") or a linked name
    before a quote ("<a>Jane Doe</a>: no comment") is not. Checked after
    the rules, so a linked byline ("By: <a>Jane Doe</a>") still gives its
    author to the metadata.
    """
    if _is_long_sentence(paragraph):
        return False
    text = fold(strip_bullet(paragraph))
    label = _LINK_LABEL.match(text)
    if label is None:
        return False
    rest = text[label.end():]
    if len(rest.split()) < 2 or rest[-1:] in ".!" or not facts.ends_with_link(paragraph):
        return False
    linked = facts.link_share(paragraph) * len(text)
    return linked >= LABELLED_LINK_MIN_SHARE * len(rest)


def _is_long_sentence(paragraph: str) -> bool:
    # A whole linked sentence in the story ("X said so last year.") is text; a
    # related-story link is a headline, which has no full stop.
    return (len(paragraph) > LONG_SENTENCE_CHARS or len(paragraph.split()) >= SENTENCE_WORDS) \
        and paragraph.rstrip()[-1:] in ".!…\"”»"


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


def _is_round_up(unsure: list[tuple[int, str]], context: Counter[str]) -> bool:
    """Whether more of the paragraphs the model is unsure of than ``OFF_TOPIC_MAX_SHARE`` share no topic word
    with the rest: a round-up or a live blog, where being off the topic says little."""
    return sum(1 for _, paragraph in unsure if is_off_topic(paragraph, context)) > OFF_TOPIC_MAX_SHARE * len(unsure)


def _over_limits(taken: set[int], kept: list[tuple[int, str]], kept_chars: int) -> bool:
    """Whether the model would take more paragraphs, or more of the text, than boilerplate ever is."""
    taken_chars = sum(len(paragraph) for index, paragraph in kept if index in taken)
    return len(taken) > MODEL_MAX_PARAGRAPHS or taken_chars > MODEL_MAX_SHARE * kept_chars


def _model_pass(kept: list[tuple[int, str]], removed: dict[int, Removed], model: ParagraphModel,
                facts: PageFacts) -> list[tuple[int, str]]:
    """What the rules kept, less what the model takes for boilerplate (recorded in ``removed``).

    Boilerplate is a small part of an article: when the model would take
    most of what is left, or many paragraphs, the page is about what it
    reads like (an open thread, a fund-raising post, letters to the editor
    signed name by name). Then it takes only the lines it is all but sure of
    that share no topic word with the page (``MODEL_SURE_OFF_TOPIC``), and
    those within the same limits.
    """
    # The story as the model was trained on it: what rules and checks kept,
    # each distinct paragraph once (a share bar at the top and the bottom
    # must not vouch for itself).
    context = article_words(list(dict.fromkeys(paragraph for _, paragraph in kept)))
    kept_chars = sum(len(paragraph) for _, paragraph in kept)
    # Headings are the story's structure ("What happens next?"); a boilerplate
    # heading ("Newsletter") goes with its section, as an orphan, after.
    text = [(index, paragraph) for index, paragraph in kept if not facts.is_heading(paragraph)]
    probabilities = {index: model.probability(paragraph, context) for index, paragraph in text}
    taken = {index for index, paragraph in text if probabilities[index] >= model.threshold_for(paragraph)}
    # Where many paragraphs share no topic word with the rest (a round-up, a live
    # blog), being off the topic says little. What the model takes anyway is
    # not counted: that is the boilerplate, not a sign of a round-up.
    unsure = [(index, paragraph) for index, paragraph in text if index not in taken]
    by_off_topic = [index for index, paragraph in unsure
                    if model.takes_off_topic(paragraph, context, probabilities[index])]
    # Counted only when the bar would take something: most articles have nothing, and it reads every paragraph.
    if by_off_topic and not _is_round_up(unsure, context):
        taken.update(by_off_topic)
    if _over_limits(taken, kept, kept_chars):
        # The page's own lines (signatures, list items) set the limits off; a
        # line pasted among them (an appeal, a cookie notice) is about nothing
        # on a page that has a topic, and the model is all but sure of it. On
        # a round-up (letters, a list of products) every item is off the
        # topic, so nothing is; and the limits hold for the sure lines too:
        # a short page of nothing but appeals stays whole.
        taken = {index for index, paragraph in text if index in taken
                 and probabilities[index] >= MODEL_SURE_OFF_TOPIC and is_off_topic(paragraph, context)}
        if _over_limits(taken, kept, kept_chars) or _is_round_up(unsure, context):
            return kept
    if not taken:
        return kept
    removed.update((index, Removed(paragraph, PARAGRAPH_MODEL)) for index, paragraph in kept if index in taken)
    return [(index, paragraph) for index, paragraph in kept if index not in taken]


def apply_rules(paragraphs: list[str], rules: tuple[Rule, ...], facts: PageFacts | None = None,
                title: str | None = None, disabled: frozenset[str] = frozenset(),
                model: ParagraphModel | None = None) -> Cleaned:
    """Split paragraphs into story and boilerplate; bylines and credits become metadata.

    ``facts`` (what the markup says about each block) enables the structural
    checks; ``model`` judges what the rules kept; ``disabled`` names rules and
    checks to skip.
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
    active = [rule for rule in rules if rule.name not in disabled]
    longest = max((rule.max_chars for rule in active), default=0)
    looked_for = literal_index(rules)  # all of them: one index per config, whatever a page disables
    for index, paragraph in enumerate(paragraphs):
        if index in removed:
            continue
        check = _structural_check(paragraph, index, facts, title, disabled)
        if check:
            removed[index] = Removed(paragraph, check)
            continue
        if len(paragraph) > longest + 2:  # longer than any rule looks at ("- " bullets aside)
            kept.append((index, paragraph))
            continue
        subject = Subject(paragraph, looked_for)
        for rule in active:
            if rule.position != "any" and not rule.applies_at(index, count):
                continue
            found = rule.match(subject)
            if not found:
                continue
            removed[index] = Removed(paragraph, rule.name)
            if rule.action == "author":
                authors.extend(split_credit(found["value"]))
            elif rule.action == "source" and site_name is None:
                site_name = found["value"].strip()
            break
        else:
            kept.append((index, paragraph))
    if LINK_BLOCK not in disabled:
        # After the rules: a linked byline ("By: <a>Jane Doe</a>") gives its author first.
        links = {index for index, paragraph in kept if _is_labelled_link(paragraph, facts)}
        removed.update((index, Removed(paragraph, LINK_BLOCK)) for index, paragraph in kept if index in links)
        kept = [(index, paragraph) for index, paragraph in kept if index not in links]
    if SITE_PAGE_LINK not in disabled:
        # Also after the rules: the rule that names what an appeal asks for explains it better.
        site_pages = default_site_pages()
        links = {index for index, paragraph in kept if facts.links_to_site_page(paragraph, site_pages)}
        removed.update((index, Removed(paragraph, SITE_PAGE_LINK)) for index, paragraph in kept if index in links)
        kept = [(index, paragraph) for index, paragraph in kept if index not in links]
    if model is not None and PARAGRAPH_MODEL not in disabled:
        kept = _model_pass(kept, removed, model, facts)
    if ORPHAN_HEADING not in disabled:
        kept, orphans = _drop_orphan_headings(kept, removed, count, facts)
        removed.update((index, Removed(paragraphs[index], ORPHAN_HEADING)) for index in orphans)
    return Cleaned(
        tuple(paragraph for _, paragraph in kept),
        tuple(removed[index] for index in sorted(removed)),  # in page order, for --explain
        tuple(dict.fromkeys(authors)),
        site_name,
    )
