"""What the page's markup says about a block of text, kept for after extraction.

trafilatura returns plain paragraphs; the markup they came from is gone. Some
boilerplate is only recognisable by that markup: a "related stories" line is a
paragraph that is almost all link text, a photo credit is the text of a
``<figcaption>``. ``page_facts`` reads those facts from the page before
extraction, keyed by the block's whitespace-folded text, so the boilerplate
pass can look a paragraph up afterwards. Reading facts never changes the tree,
so trafilatura still sees the page exactly as published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

from lxml.html import HtmlElement

from newsd.daemon.text import composed, strip_bullet

# Blocks whose text trafilatura turns into one paragraph (or one list item).
_BLOCKS = frozenset(("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "td", "blockquote"))
_CAPTION_XPATH = "//figcaption | //figure//*[self::p or self::span or self::div or self::small or self::cite]"
# Link ratios are only worth keeping for blocks short enough to be a link
# line; a long paragraph is story text however many links it carries.
MAX_LINK_BLOCK_CHARS = 300


def fold(text: str) -> str:
    """The lookup key of a block: its text with whitespace folded, letters composed (as ``extract`` reads them)."""
    return composed(" ".join(text.split()))


@dataclass(frozen=True)
class PageFacts:
    """Markup facts about the page's short blocks, keyed by folded text."""

    link_ratio: dict[str, float] = field(default_factory=dict)  # share of the text inside <a>
    link_led: frozenset[str] = frozenset()  # list items whose text starts with a link
    # The blocks holding links, by text: their ratios are measured when asked
    # for (only extracted paragraphs are), then kept in link_ratio/link_led.
    linked_blocks: dict[str, list[HtmlElement]] = field(default_factory=dict, repr=False)
    captions: frozenset[str] = frozenset()  # text of figure captions and credits
    headings: frozenset[str] = frozenset()  # extracted text that was a heading
    # Which of the page's top-level <article> elements a block is in, when
    # there are several: sites that scroll on into the next story append it
    # as another <article>.
    article_of: dict[str, int] = field(default_factory=dict)
    url: str | None = None  # the page's address: links resolve against it

    def link_share(self, paragraph: str) -> float:
        key = fold(strip_bullet(paragraph))
        if key not in self.link_ratio and key in self.linked_blocks:
            # The same text can occur twice on a page (a menu and a teaser):
            # the larger ratio is the one that says "this is a link".
            self.link_ratio[key] = max(_link_ratio(block, len(key)) for block in self.linked_blocks[key])
        return self.link_ratio.get(key, 0.0)

    def leads_with_link(self, paragraph: str) -> bool:
        key = fold(strip_bullet(paragraph))
        return key in self.link_led or any(
            block.tag == "li" and _starts_with_link(block) for block in self.linked_blocks.get(key, ())
        )

    def ends_with_link(self, paragraph: str) -> bool:
        """Whether the block's text ends with the text of a link to another page."""
        key = fold(strip_bullet(paragraph))
        return any(_ends_with_link(block, key) for block in self.linked_blocks.get(key, ()))

    def is_caption(self, paragraph: str) -> bool:
        return fold(strip_bullet(paragraph)) in self.captions

    def article(self, paragraph: str) -> int | None:
        return self.article_of.get(fold(strip_bullet(paragraph)))

    def is_heading(self, paragraph: str) -> bool:
        return fold(paragraph) in self.headings

    def links_to_site_page(self, paragraph: str, segments: re.Pattern[str]) -> bool:
        """Whether the block ends with a link to a page of this site named by ``segments`` (``_is_site_page``)."""
        key = fold(strip_bullet(paragraph))
        return any(_ends_with_site_page_link(block, key, self.url, segments) for block in self.linked_blocks.get(key, ()))


def _is_link_out(anchor: HtmlElement) -> bool:
    """A link to another page; in-page jump marks and script links do not count."""
    href = (anchor.get("href") or "").strip()
    return bool(href) and not href.startswith(("#", "javascript:"))


MAX_SITE_PAGE_SEGMENTS = 3  # "/support-us", "/de/abo/digital"; an article's path is deeper or ends in a slug
_PAGE_SUFFIX = re.compile(r"\.(html?|php|aspx?|jsp)$")
_LANGUAGE_PREFIX = re.compile(r"[a-z]{2}(-[a-z]{2})?")  # "/de/spenden", "/pt-br/apoie"
# A segment that names an article, not a page of the site: a slug of four
# words or more ("/support-our-troops-rally-draws-thousands"), or a number
# (a date, an id).
_ARTICLE_SEGMENT = re.compile(r"[^/]*(-[^/-]+){3,}|\d+")
# Text after a call-to-action link that still leaves the link at the end.
_AFTER_LINK = ".!?»›→)…"


def _host(netloc: str) -> str:
    return netloc.lower().removeprefix("www.").rstrip(".").split(":")[0]


def _is_site_page(href: str, page_url: str | None, segments: re.Pattern[str]) -> bool:
    """Whether ``href`` points at one of the site's own pages named by ``segments`` ("/donate").

    The page is named by the path's first segment (after a language code), as
    sites file their donate and subscribe pages at the top: "/spenden",
    "/de/abo/digital". A tag or author page ("/tag/privacy") or an article
    whose slug holds the word is not such a page. A link to another site does
    not count: a story about a fund-raiser may link to the charity.
    """
    href = href.strip()  # a link out (_is_link_out): not empty, no jump mark, no script
    if href.startswith(("mailto:", "tel:")):
        return False
    try:
        target = urlsplit(urljoin(page_url or "", href))
        home = _host(urlsplit(page_url).netloc) if page_url else ""
    except ValueError:  # "http://[bad": not a link to anywhere
        return False
    if target.netloc:
        there = _host(target.netloc)
        if not home or not (there == home or there.endswith("." + home) or home.endswith("." + there)):
            return False
    parts = [_PAGE_SUFFIX.sub("", unquote(part)) for part in target.path.lower().split("/") if part]
    if parts and _LANGUAGE_PREFIX.fullmatch(parts[0]) and len(parts) > 1:
        parts = parts[1:]
    return 0 < len(parts) <= MAX_SITE_PAGE_SEGMENTS and segments.fullmatch(parts[0]) is not None \
        and not any(_ARTICLE_SEGMENT.fullmatch(part) for part in parts)


def _ends_with_site_page_link(block: HtmlElement, text: str, page_url: str | None, segments: re.Pattern[str]) -> bool:
    """Whether the block's last link goes to a site page and ends its text: the call to action closes it."""
    last = _last_link(block)
    if last is None or not _is_site_page(last.get("href") or "", page_url, segments):
        return False
    words = fold(last.text_content()).rstrip(_AFTER_LINK + " ")
    return bool(words) and text.rstrip(_AFTER_LINK + " ").endswith(words)


def _last_link(block: HtmlElement) -> HtmlElement | None:
    """The block's last link to another page."""
    anchors = [anchor for anchor in block.iter("a") if _is_link_out(anchor)]
    return anchors[-1] if anchors else None


def _ends_with_link(block: HtmlElement, text: str) -> bool:
    last = _last_link(block)
    words = fold(last.text_content()) if last is not None else ""
    return bool(words) and text.endswith(words)


def _starts_with_link(item: HtmlElement) -> bool:
    """Whether a list item's first words are link text (a teaser: "Headline - summary")."""
    first = item.xpath("(.//text()[normalize-space()])[1]")
    if not first:
        return False
    element = first[0].getparent()
    if first[0].is_tail:  # text after an element belongs to that element's parent
        element = element.getparent()
    while element is not None and element is not item:
        if element.tag == "a":
            return _is_link_out(element)
        element = element.getparent()
    return False


def page_facts(tree: HtmlElement, url: str | None = None) -> PageFacts:
    """Link ratios of short blocks and caption texts, read without changing ``tree``.

    ``url`` is the page's address: relative links resolve against it.
    """
    # Start from the links, not the blocks: only blocks holding a link need
    # their text measured, and most blocks hold none.
    blocks: dict[HtmlElement, None] = {}
    for anchor in tree.iter("a"):
        if _is_link_out(anchor):
            # The nearest block around the link (lxml filters the ancestors by tag in C).
            block = next(anchor.iterancestors(*_BLOCKS), None)
            if block is not None:
                blocks[block] = None
    linked_blocks: dict[str, list[HtmlElement]] = {}
    for block in blocks:
        text = fold(block.text_content())
        if text and len(text) <= MAX_LINK_BLOCK_CHARS:
            linked_blocks.setdefault(text, []).append(block)
    captions = frozenset(
        text for text in (fold(e.text_content()) for e in tree.xpath(_CAPTION_XPATH))
        if text and len(text) <= MAX_LINK_BLOCK_CHARS
    )
    return PageFacts(linked_blocks=linked_blocks, captions=captions, article_of=_articles_of_blocks(tree), url=url)


def _link_ratio(block: HtmlElement, text_length: int) -> float:
    linked = sum(len(fold(a.text_content())) for a in block.iter("a") if _is_link_out(a))
    return min(1.0, linked / text_length)


def _articles_of_blocks(tree: HtmlElement) -> dict[str, int]:
    """Block text -> index of the top-level <article> holding it.

    Empty unless the page has exactly two: a story and the next one a site
    scrolls on into. A live blog or a list page has many, each a part of
    the page's text, and none of them is "the other story".
    """
    articles = tree.xpath("//article[not(ancestor::article)]")
    if len(articles) != 2:
        return {}
    article_of: dict[str, int] = {}
    for index, article in enumerate(articles):
        for block in article.iter(*_BLOCKS):
            text = fold(block.text_content())
            if text:
                article_of.setdefault(text, index)
    return article_of
