"""Re-extraction: run the current extractor and site boilerplate over kept pages.

An improved rule, a better extractor or a newly learned footer cleans the
archive without fetching anything again. Articles are read in id batches
(only one batch of pages in memory), extracted outside any transaction, and
each batch's changes are written in one short transaction; the articles_au
trigger keeps the full-text index in step.

``rebuild_article`` is the pure decision, kept consistent with what
``pipeline.build_article`` and ``choose_text`` decide at fetch time.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Callable

from newsd.config import DedupSettings, SiteLearningSettings
from newsd.config.rules import RuleSet, default_ruleset
from newsd.daemon.dates import clamp_future
from newsd.daemon.dedup import fingerprint_of
from newsd.daemon.extract import Document, extract
from newsd.daemon.pipeline import choose_text
from newsd.daemon.site_learning import without_learned
from newsd.daemon.text import content_hash, word_count
from newsd.storage import ArticleRecord, Store, StoredPage, unpack_page

log = logging.getLogger(__name__)

BATCH_SIZE = 50


@dataclass
class ReextractSummary:
    """What one re-extraction run did."""

    articles: int = 0  # articles the filters selected
    reextracted: int = 0  # of those, with a kept page that was extracted again
    changed: int = 0
    unchanged: int = 0
    failed: int = 0  # the extractor raised, or found no text where the article has page text: kept as they were
    without_html: int = 0  # no kept page: feed-only articles, failed pages, keep_html off, stored before schema 2
    duration_s: float = 0.0

    def as_dict(self) -> dict:
        return {
            "articles": self.articles,
            "reextracted": self.reextracted,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "without_html": self.without_html,
            "duration_s": round(self.duration_s, 3),
        }

    def line(self) -> str:
        """The one-line summary for logs."""
        return (
            f"{self.articles} articles: {self.reextracted} re-extracted ({self.changed} changed, "
            f"{self.unchanged} unchanged, {self.failed} failed), {self.without_html} without a kept page, "
            f"in {self.duration_s:.1f} s"
        )


def stored_article(row: dict) -> ArticleRecord:
    """An articles row as the record the store wrote."""
    return ArticleRecord(
        url=row["url"], title=row["title"], text=row["text"], authors=tuple(json.loads(row["authors"])),
        published_at=row["published_at"], fetched_at=row["fetched_at"], language=row["language"],
        site_name=row["site_name"], word_count=row["word_count"], content_hash=row["content_hash"],
        text_source=row["text_source"], page_error=row["page_error"],
    )


def rebuild_article(old: ArticleRecord, document: Document, problem: str | None = None) -> ArticleRecord | None:
    """The article as the current extraction makes it; None when it must stay as it is.

    The same choices as at fetch time, with what the store still knows:

    - an article whose text came from the feed keeps the feed's text unless
      the new page text wins under ``choose_text`` (the stored text is the
      feed's text, so the rule is the same);
    - an article with page text takes the new page text; when extraction now
      finds nothing, the stored text stays (None), since there is no feed
      text to fall back on;
    - the title and publication date came from the feed entry first, so they
      change only when the store has none; authors, language and site name
      come from the page first, so the page's new values win when it gives them.
    """
    page_text = document.text
    if old.text_source == "feed":
        text, source, reason = choose_text(page_text, old.text)
        page_error = reason or problem
    elif page_text:
        text, source, page_error = page_text, "page", None
    else:
        return None
    return ArticleRecord(
        url=old.url,
        title=old.title or document.title,
        text=text,
        authors=document.authors or old.authors,
        published_at=old.published_at or clamp_future(document.published_at, old.fetched_at),
        fetched_at=old.fetched_at,
        language=document.language or old.language,
        site_name=document.site_name or old.site_name,
        word_count=word_count(text),
        content_hash=content_hash(text),
        text_source=source,
        page_error=page_error,
    )


def extract_again(store: Store, stored: StoredPage, learning: SiteLearningSettings,
                  rules: RuleSet | None = None) -> tuple[Document | None, str | None]:
    """Extract a kept page with the current extractor, rules and site boilerplate: (document, problem)."""
    assert stored.page is not None
    rules = rules or default_ruleset()
    try:
        document = extract(unpack_page(stored.page), stored.page.url, rules.rules, rules.disabled)
    except Exception as exc:  # one broken page costs its own re-extraction only
        log.exception("article %s: extraction failed", stored.article["id"])
        return None, f"extraction failed: {exc!r}"
    if not document.text:
        return document, "no article text found in the page"
    return without_learned(store, document, stored.article["url"], learning), None


def reextract(store: Store, learning: SiteLearningSettings, feed_id: int | None = None, since: str | None = None,
              on_progress: Callable[[int], None] | None = None, batch_size: int = BATCH_SIZE,
              rules_for: Callable[[str | None, str | None], RuleSet] | None = None,
              dry_run: bool = False, dedup: DedupSettings = DedupSettings()) -> ReextractSummary:
    """Re-extract the selected articles' kept pages and write what changed (nothing when ``dry_run``).

    A changed text gets a new fingerprint, so later copies are compared with the text as it is now.

    ``rules_for(feed URL, page URL)`` gives the boilerplate rules of an
    article (the config's overrides); the shipped rules when None.
    """
    started = time.monotonic()
    summary = ReextractSummary()
    feed_urls = {row["id"]: row["url"] for row in store.feeds()}
    for batch in store.stored_pages(feed_id, since, batch_size):
        updates: dict[int, ArticleRecord] = {}
        for stored in batch:
            summary.articles += 1
            if stored.page is None:
                summary.without_html += 1
                continue
            summary.reextracted += 1
            old = stored_article(stored.article)
            rules = rules_for(feed_urls.get(stored.article["feed_id"]), stored.page.url) if rules_for else None
            document, problem = extract_again(store, stored, learning, rules)
            new = rebuild_article(old, document, problem) if document is not None else None
            if new is None:
                summary.failed += 1
            elif new == old:
                summary.unchanged += 1
            else:
                summary.changed += 1
                updates[stored.article["id"]] = new
        if not dry_run:
            fingerprints = {article_id: fingerprint_of(new.text, dedup) for article_id, new in updates.items()}
            store.update_articles(updates, fingerprints)  # one short transaction per batch
        if on_progress:
            on_progress(len(batch))
    summary.duration_s = time.monotonic() - started
    log.info("reextract: %s", summary.line())
    return summary
