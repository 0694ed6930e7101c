"""newsd parses pages into the same tree as trafilatura's load_html, with lxml's C-level class lookup."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html
from lxml.html import FormElement, HtmlElement
from trafilatura.utils import load_html

from newsd.daemon.extract import extract
from newsd.daemon.html_tree import parse_html

PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>A story</title></head><body>
<form action="/search"><input name="q"></form>
<article><h1>A story</h1><p>The first paragraph of the story, long enough to be kept as text.</p>
<!-- a comment --><p>The second paragraph, with a <a href="/x">link</a> in it.</p></article>
</body></html>"""


@pytest.mark.parametrize("page", [
    PAGE,
    PAGE.encode("utf-8"),
    "",
    "   ",
    "just words, no markup",
    "<p>one block</p>",
    "<div><p>a</p><p>b</p></div>",
    '<?xml version="1.0" encoding="utf-8"?><html><body><p>declared</p></body></html>',
    b'<?xml version="1.0" encoding="iso-8859-1"?><html><body><p>caf\xe9</p></body></html>',
    "\x00\x01<html><body><p>control characters</p></body></html>",
    "<html/>",
    "<<<>>>",
], ids=lambda page: repr(page)[:30])
def test_the_tree_is_trafilaturas(page: str | bytes) -> None:
    theirs, ours = load_html(page), parse_html(page)
    assert (ours is None) == (theirs is None)
    if ours is not None:
        assert lxml_html.tostring(ours) == lxml_html.tostring(theirs)


def test_every_element_is_a_plain_html_element() -> None:
    # The C-level lookup: lxml.html's Python lookup would make the form a FormElement.
    tree = parse_html(PAGE)
    assert tree is not None
    form = tree.find(".//form")
    assert type(form) is HtmlElement and not isinstance(form, FormElement)
    assert tree.find(".//a").text_content() == "link"  # lxml.html's methods are all there


def test_extract_gives_what_trafilaturas_tree_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    ours = extract(PAGE, "https://example.org/story")
    monkeypatch.setattr("newsd.daemon.extract.parse_html", load_html)
    assert ours.text and ours == extract(PAGE, "https://example.org/story")
