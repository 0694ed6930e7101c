"""Authors from a page's byline markup, for pages that declare none.

trafilatura drops a ``<p class="byline">By Jane Miller</p>`` from the text
before the boilerplate pass (which would move it into the metadata) sees it.
Here the markup is read instead: the first element that says it names the
author (``rel="author"``, ``itemprop="author"``, a ``byline`` or ``author``
class) in the page's own furniture-free part, whose text reads like names.
Navigation, sidebars, related-story and comment sections, figures and
quotes carry other people's names: a commenter, a photographer, the author
of the next story or of a quotation.
"""

from __future__ import annotations

import re

from lxml.etree import XPath
from lxml.html import HtmlElement

from newsd.daemon.boilerplate import split_credit

# contains() runs in libxml2; the checks below only see what it finds.
_CANDIDATES = XPath("//*[@rel='author' or @itemprop='author' or contains(@class, 'yline') or contains(@class, 'uthor')]")
_BYLINE_CLASS = re.compile(r"(^|[\s_-])(byline|author)", re.I)
# Elements whose names are not the article's author.
_ELSEWHERE_TAGS = frozenset({"nav", "aside", "footer", "figure", "figcaption", "blockquote", "form", "menu", "q"})
_ELSEWHERE_CLASS = re.compile(
    r"(^|[\s_-])(comment|disqus|discussion|repl(y|ies)|forum|user|related|trending|popular|most-?read|sidebar|widget|"
    r"teaser|recommend|promo|menu|nav|login|signin|account)", re.I)
MAX_CHARS = 80  # longer is an author's bio or a whole header, not a byline
# What a byline puts before the names: "By", "Posted by", "Opinion by", "Von", "Par", ...
_PREFIX = re.compile(r"^((posted|written|reported|words|text|story|opinion|interview|analysis|commentary|reporting) by"
                     r"|by|von|par|por|di|door|av|af)\b\s*:?\s*", re.I)
# A credit for pictures is not the article's author.
_PICTURE_CREDIT = re.compile(r"^(photos?|pictures?|images?|illustrations?|graphics?|videos?|fotos?|bilder|grafik)"
                             r"\s*(by|von|:)", re.I)
# Where the names end: a separator, a bracket, a weekday or "Updated" starts what follows
# ("By Jane Miller | 3 March 2024", "Jane Miller (@jane)", "Jeff Foust Monday, March 4").
_AFTER_NAMES = re.compile(
    r"\s[|•·]\s|\s[–—-]\s|\s?\(|\s(monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch|"
    r"donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|updated|published|"
    r"aktualisiert|veröffentlicht|publié|mis à jour|actualizado|publicado)\b", re.I)
_LIST_OF_NAMES = re.compile(r"\s(and|und|et|y|e|&)\s", re.I)
# Words of a label or a link, not of a name: "Our Authors", "Contributor Login".
_NOT_NAME_WORDS = frozenset({"author", "authors", "autor", "autoren", "auteur", "auteurs", "autore", "autori",
                             "login", "logout", "register", "subscribe", "menu", "home", "profile"})


def _is_name(text: str) -> bool:
    """A few words, the first and last capitalised: "Jane Miller", "Ursula von der Leyen", not "Share this"."""
    words = text.split()
    return 1 <= len(words) <= 5 and words[0][:1].isupper() and words[-1][:1].isupper() and words[-1][-1:].isalpha() \
        and all(word[:1].isupper() or len(word) <= 3 for word in words) \
        and not any(word.casefold() in _NOT_NAME_WORDS for word in words)


def byline_names(text: str) -> list[str]:
    """The names in a byline's text ("By Jane Miller and John Roe | 3 March 2024"), or none
    when it does not read like names."""
    text = " ".join(text.split())
    if _PICTURE_CREDIT.match(text):
        return []
    text = _AFTER_NAMES.split(_PREFIX.sub("", text), maxsplit=1)[0].strip()
    if not text or len(text) > MAX_CHARS or any(ch in "@:/" for ch in text):
        return []
    # After a comma comes a role or an outlet ("Jane Miller, Staff Writer", "..., Reuters"),
    # unless the names go on there ("Jane Miller, Tom Okafor and Li Wei").
    parts = text.split(",")
    if not _LIST_OF_NAMES.search(parts[-1]) or len(parts) == 1:
        text = parts[0]
    names = [name.title() if name.isupper() else name for name in split_credit(text)]
    return names if names and all(map(_is_name, names)) else []


def _elsewhere(element: HtmlElement) -> bool:
    """Whether the element is in a part of the page whose names are not the author's (``_ELSEWHERE_*``)."""
    for node in (element, *element.iterancestors()):
        if node.tag in ("body", "html"):
            break  # a body's class lists the page's layout ("has-sidebar"), not a section
        if node.tag in _ELSEWHERE_TAGS or _ELSEWHERE_CLASS.search(f"{node.get('class', '')} {node.get('id', '')}"):
            return True
    return False


def _names_in(element: HtmlElement) -> list[str]:
    # microdata: the name is the itemprop="name" inside the author element, when there is one
    name = next((e for e in element.iter() if e.get("itemprop") == "name"), element)
    return byline_names(" ".join(name.itertext()))


def byline_authors(tree: HtmlElement) -> list[str]:
    """Authors from the first byline in the markup whose text reads like names (see the module's doc)."""
    candidates = [element for element in _CANDIDATES(tree)
                  if (element.get("rel") == "author" or element.get("itemprop") == "author"
                      or _BYLINE_CLASS.search(element.get("class", ""))) and not _elsewhere(element)]
    found = set(candidates)
    # A byline box around more specific author elements ("<div class=byline-section><span
    # class=author>Tom Davies</span> Associated Press ...") leaves the names to them.
    # (Found from each candidate's ancestors, a few apiece, not from every box's descendants.)
    boxes = {ancestor for element in candidates for ancestor in element.iterancestors() if ancestor in found}
    innermost = [element for element in candidates if element not in boxes]
    for element in innermost:
        names = _names_in(element)
        if not names:
            continue
        # The others in the same box: "By <span class=author>A</span> and <span class=author>B</span>".
        box = next((a for a in reversed(list(element.iterancestors())) if a in found), element)
        for other in innermost:
            if other is not element and box in other.iterancestors():
                names += [name for name in _names_in(other) if name not in names]
        return names
    return []
