"""Article HTML to clean text and metadata.

trafilatura makes the first cut (the main content); the boilerplate pass then
removes the paragraphs generic extraction keeps in, and moves bylines and
credits into metadata. Metadata comes from what the page declares
(newsd.daemon.metadata). CPU-bound and free of I/O: the pipeline
runs it off the event loop.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import trafilatura
from lxml.html import HtmlElement

from newsd.config.rules import Rule, default_rules
from newsd.daemon.boilerplate import apply_rules
from newsd.daemon.document import Document
from newsd.daemon.embedded import embedded_article
from newsd.daemon.html_tree import parse_html
from newsd.daemon.layout_tables import unwrap_layout_tables
from newsd.daemon.metadata import page_metadata
from newsd.daemon.page_facts import PageFacts, fold, page_facts
from newsd.daemon.paragraph_model import ParagraphModel, default_model
from newsd.daemon.text import composed, join_paragraphs, split_paragraphs


# With less text than this from the page's markup (about 50 words; counted in
# characters, as Chinese and Japanese put no spaces between words), look for
# the story in its scripts.
EMBEDDED_BELOW_CHARS = 300


def _main_content(tree: HtmlElement, url: str | None) -> Any:
    """trafilatura's cut of the page: ``.text`` and ``.body`` (its XML), or None."""
    return trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        # trafilatura's own cross-document dedup keeps state between calls and
        # would cut paragraphs from later articles of a long run.
        deduplicate=False,
    )


_WORD = re.compile(r"\w{2,}")


def _is_this_story(embedded: str, markup: str, title: str | None) -> bool:
    """Whether text found in the scripts is the page's own story, and more of it than the markup gave.

    Scripts also carry related stories: the embedded text must hold what
    the markup gave, or, when the markup gave nothing, most of the title's words.
    """
    if len(embedded) <= len(markup):
        return False
    if markup.strip():
        return " ".join(markup.split())[:80] in " ".join(embedded.split())
    words = set(_WORD.findall((title or "").casefold()))
    found = set(_WORD.findall(embedded.casefold()))
    return bool(words) and len(words & found) * 2 >= len(words)


def _from_scripts(scripts: list[str], url: str | None) -> tuple[Any, PageFacts] | None:
    """trafilatura's cut of the article the page carries in its scripts, and that fragment's facts."""
    fragment = embedded_article(scripts)
    tree = parse_html(f"<html><body><article>{fragment}</article></body></html>") if fragment else None
    if tree is None:
        return None
    facts = page_facts(tree, url)  # before trafilatura prunes the tree
    result = _main_content(tree, url)
    return None if result is None else (result, facts)


def extract(html: str | bytes, url: str | None = None, rules: tuple[Rule, ...] | None = None,
            disabled: frozenset[str] = frozenset(), model: ParagraphModel | None = None) -> Document:
    """Clean article text and metadata of one page; empty text when there is no article.

    ``rules`` replaces the default rules; ``disabled`` names rules and markup
    checks to skip (both come from the user's config); ``model`` replaces the
    shipped paragraph model (for training and its checks).
    """
    tree = parse_html(html)
    if tree is None:
        return Document(text="")
    # Read what the page declares and what its markup says before trafilatura
    # prunes the tree.
    meta = page_metadata(tree, url)
    facts = page_facts(tree, url)
    scripts = [script.text for script in tree.iter("script") if script.text]
    unwrap_layout_tables(tree)  # after page_facts: it reads <td> blocks as the page has them
    result = _main_content(tree, url)
    markup_text = (result.text or "") if result else ""
    if len(markup_text) < EMBEDDED_BELOW_CHARS:
        # A client-rendered page: the story may be data in a script.
        found = _from_scripts(scripts, url)
        if found is not None and _is_this_story(found[0].text or "", markup_text, meta.title):
            result, facts = found
    if result is None:
        return Document(text="", title=meta.title, language=meta.language, canonical_url=meta.canonical_url)
    paragraphs = [composed(paragraph) for paragraph in split_paragraphs(result.text or "")]
    if result.body is not None:
        facts = replace(facts, headings=frozenset(fold("".join(h.itertext())) for h in result.body.iter("head")))
    cleaned = apply_rules(paragraphs, default_rules() if rules is None else rules, facts, meta.title, disabled,
                          model or default_model())
    return Document(
        text=join_paragraphs(list(cleaned.paragraphs)),
        title=meta.title,
        authors=tuple(dict.fromkeys(meta.authors + cleaned.authors)),
        published_at=meta.published_at,
        language=meta.language,
        site_name=meta.site_name or cleaned.site_name,
        image=meta.image,
        tags=meta.tags,
        canonical_url=meta.canonical_url,
        removed=cleaned.removed,
    )
