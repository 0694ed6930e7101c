"""Boilerplate learned per site: paragraphs that recur across a site's articles.

A donation footer or a "follow us" line that no rule names still gives itself
away by repeating in article after article of its site. The store counts, per
site, how many distinct articles carried each normalised paragraph
(``Store.learn_site_paragraphs``); a paragraph is the site's boilerplate once
it was seen in at least ``min_articles`` articles and in at least
``min_share`` of the site's articles since it first appeared. The share is
what keeps a background paragraph a newsroom repeats in a few of many
follow-ups, or a quote two articles share, in the text.

Pure, apart from the two functions at the end that read and count through a
``Store``; they are the only ones that touch I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Iterable

from newsd.config import SiteLearningSettings
from newsd.daemon.boilerplate import Removed
from newsd.daemon.document import Document
from newsd.daemon.text import join_paragraphs, normalise_for_hash, split_paragraphs, word_count
from newsd.daemon.urls import site_of
from newsd.storage import ParagraphStat, Store


@dataclass(frozen=True)
class Learned:
    """A paragraph that is a site's boilerplate, with the counts that made it so."""

    articles: int  # distinct articles of the site that carried it
    seen_in: int  # the site's articles since it was first seen, the first included
    sample: str | None = None  # its first characters, as the store keeps them

    @property
    def share(self) -> float:
        return self.articles / self.seen_in if self.seen_in else 0.0


def paragraph_key(paragraph: str) -> str | None:
    """A paragraph's identity across articles: case, punctuation and spacing folded, digits kept.

    None for a paragraph without a single letter or digit ("***").
    """
    normalised = normalise_for_hash(paragraph)
    if not normalised:
        return None
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:32]


def paragraph_keys(text: str) -> dict[str, str]:
    """Key → paragraph for the paragraphs of a text; a repeat inside one text counts once."""
    keys: dict[str, str] = {}
    for paragraph in split_paragraphs(text):
        key = paragraph_key(paragraph)
        if key is not None and key not in keys:
            keys[key] = paragraph
    return keys


def is_learned(articles: int, seen_in: int, min_articles: int, min_share: float) -> bool:
    """Whether a paragraph seen in ``articles`` of the site's last ``seen_in`` articles is boilerplate."""
    return articles >= min_articles and seen_in > 0 and articles / seen_in >= min_share


def learned_from(site_articles: int, stats: Iterable[ParagraphStat], settings: SiteLearningSettings) -> dict[str, Learned]:
    """The paragraphs among ``stats`` that are the site's boilerplate, by key."""
    learned = {}
    for stat in stats:
        seen_in = site_articles - stat.first_seq + 1
        if is_learned(stat.articles, seen_in, settings.min_articles, settings.min_share):
            learned[stat.key] = Learned(stat.articles, seen_in, stat.sample)
    return learned


def remove_site_boilerplate(document: Document, site: str, learned: dict[str, Learned]) -> Document:
    """The document without its site's learned paragraphs, each noted in ``removed``.

    When they would take more than half of the article's words, none is
    removed: an article that is mostly "recurring" text is a story published
    again under another URL (a duplicate), not a story wrapped in boilerplate.
    """
    if not learned or not document.text:
        return document
    kept: list[str] = []
    removed: list[Removed] = []
    for paragraph in split_paragraphs(document.text):
        key = paragraph_key(paragraph)
        hit = learned.get(key) if key is not None else None
        if hit is None:
            kept.append(paragraph)
        else:
            removed.append(Removed(paragraph, f"site:{site} (in {hit.articles} of {hit.seen_in} articles)"))
    if not removed:
        return document
    if 2 * sum(word_count(r.text) for r in removed) > word_count(document.text):
        return document
    return replace(document, text=join_paragraphs(kept), removed=document.removed + tuple(removed))


# -- through the store ----------------------------------------------------------------------


def learned_paragraphs(store: Store, site: str, settings: SiteLearningSettings,
                       keys: Iterable[str] | None = None) -> dict[str, Learned]:
    """A site's learned boilerplate, by key: all of it, or only among ``keys``.

    For ``newsd extract --explain`` and ``newsd reextract``: reads, never counts.
    """
    min_articles = settings.min_articles if keys is None else 1  # the SQL filter is only a shortcut
    site_articles, stats = store.site_paragraphs(site, keys, min_articles=min_articles)
    return learned_from(site_articles, stats, settings)


def without_learned(store: Store, document: Document, url: str | None, settings: SiteLearningSettings) -> Document:
    """The document without what its site has learned as boilerplate (reads, never counts)."""
    site = site_of(url)
    if not (settings.enabled and site and document.text):
        return document
    return remove_site_boilerplate(document, site, learned_paragraphs(store, site, settings, paragraph_keys(document.text)))


def learn_and_clean(store: Store, site: str, document: Document, settings: SiteLearningSettings) -> Document:
    """Count a newly stored article's paragraphs for its site, then remove the site's boilerplate.

    Counting first means the article that makes a footer cross the threshold
    already loses it. Call it once per new article, in the transaction that
    stores the article, so an article is never counted twice.
    """
    keys = paragraph_keys(document.text)
    if not keys:
        return document
    store.learn_site_paragraphs(site, keys)
    return remove_site_boilerplate(document, site, learned_paragraphs(store, site, settings, keys))
