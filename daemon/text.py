"""Plain-text helpers: HTML fragments to paragraphs, normalisation, hashing. Pure."""

from __future__ import annotations

import functools
import hashlib
import html as htmllib
import re
import unicodedata

from lxml import etree
from lxml import html as lxml_html

# Elements that start a new paragraph when a fragment is turned into text.
BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table tbody td tfoot th thead tr ul".split()
)
# Elements whose content is code or fallback markup, never text a reader sees.
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object", "applet", "noembed", "noframes",
                       "title"})
_PARAGRAPH_BREAK = "\n\n"
_TAG = re.compile(r"<[^>]+>")
_WORD_RUN = re.compile(r"[^\W_]+")
_BLOCK_TAG = re.compile(r"</?(?:" + "|".join(sorted(BLOCK_TAGS)) + r")\b[^>]*>", re.IGNORECASE)
_SKIPPED_BLOCKS = re.compile(r"<(" + "|".join(sorted(SKIP_TAGS)) + r")\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# libxml2 stops nesting at about 255 levels; a fragment with fewer tags cannot reach it.
_DEPTH_LIMIT_TAGS = 255
# huge_tree lifts libxml2's nesting limit, which otherwise drops text below ~255 levels.
_PARSER = lxml_html.HTMLParser(huge_tree=True)


def join_paragraphs(paragraphs: list[str]) -> str:
    """The store's text layout: one paragraph per block, blank line between."""
    return _PARAGRAPH_BREAK.join(p for p in paragraphs if p)


def strip_bullet(paragraph: str) -> str:
    """A list item's text without the "- " trafilatura writes before it."""
    return paragraph.removeprefix("- ")


def composed(text: str) -> str:
    """``text`` with its letters composed (Unicode NFC): a page written in decomposed form
    ("e" + combining accent) reads the same to the rules, the model and site learning."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of a text, whitespace inside each collapsed."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n|\n", text) if p.strip()]


def html_to_text(fragment: str | None) -> str:
    """Text of an HTML fragment (a feed's summary or content), paragraphs kept apart."""
    if not fragment or not fragment.strip():
        return ""
    if "<" not in fragment:
        return join_paragraphs(split_paragraphs(htmllib.unescape(fragment)))
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div", parser=_PARSER)
    except (etree.ParserError, ValueError):
        return _strip_tags(fragment)
    parts: list[str] = []
    skipping = 0
    # iterwalk, not recursion: feed HTML can nest deeper than Python's stack allows.
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in SKIP_TAGS:
                skipping += 1
            if tag in BLOCK_TAGS:
                parts.append(_PARAGRAPH_BREAK)
            if not skipping and tag and element.text:
                parts.append(element.text)
        else:
            if tag in SKIP_TAGS:
                skipping -= 1
            if tag in BLOCK_TAGS:
                parts.append(_PARAGRAPH_BREAK)
            if not skipping and element is not root and element.tail:
                parts.append(element.tail)
    paragraphs = [" ".join(p.split()) for p in "".join(parts).split(_PARAGRAPH_BREAK)]
    text = join_paragraphs(paragraphs)
    # libxml2 drops text nested past its depth limit; never lose words to that.
    if fragment.count("<") < _DEPTH_LIMIT_TAGS:
        return text
    stripped = _strip_tags(fragment)
    if word_count(text) * 2 < word_count(stripped):
        return stripped
    return text


def _strip_tags(fragment: str) -> str:
    """The crude fallback: tags out, entities decoded, whitespace folded."""
    text = _BLOCK_TAG.sub("\n\n", _SKIPPED_BLOCKS.sub(" ", fragment))
    return join_paragraphs(split_paragraphs(htmllib.unescape(_TAG.sub(" ", text))))


def normalise_for_hash(text: str) -> str:
    """Fold case, punctuation and whitespace, so trivial re-formatting hashes the same."""
    # The runs of letters and digits, which is what replacing every other run by a space and
    # splitting gave (stored hashes depend on it), in one pass instead of three.
    return " ".join(_WORD_RUN.findall(text.casefold()))


def content_hash(text: str) -> str:
    """A stable fingerprint of a text's words."""
    return hashlib.sha256(normalise_for_hash(text).encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=8)  # few: a page's text can be megabytes
def word_count(text: str) -> int:
    """Whitespace-separated words. Kept for the last few texts: storing one entry asks
    several times about the same long text (its choice, its dedup, its record)."""
    return len(text.split())


_HTML_START = re.compile(rb"<(!doctype\s+html|html|head|body)\b", re.IGNORECASE)


def looks_like_html(body: bytes) -> bool:
    """Whether a body is an HTML page (or a fragment of one), whatever its Content-Type says."""
    return _HTML_START.search(body[:4096]) is not None


def primary_language(tag: str | None) -> str | None:
    """The primary subtag of a language tag or locale: 'en-GB' and 'en_GB' give 'en'."""
    return (tag or "").replace("_", "-").split("-")[0].strip().lower() or None
