"""Parse a page into the lxml tree trafilatura reads, the way trafilatura does, only faster.

lxml.html's parser finds the Python class of each element through a Python
callback (``HtmlElementClassLookup.lookup``), run every time Python touches an
element: more than a million calls for the 300 pages of the dev set, most of
them from trafilatura's own walks over the tree and its copies (copies keep
their parser). lxml's C-level default lookup gives every element the same
``HtmlElement`` class without the callback, and extraction about 8% faster
(docs/benchmarks.md). The one thing lost is lxml.html's form classes
(``FormElement.fields`` and the like), which neither trafilatura nor newsd
uses.

The steps around the parse are trafilatura's ``load_html``: decode, repair,
parse, retry as bytes, refuse what is not HTML.
"""

from __future__ import annotations

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction, fromstring
from trafilatura.utils import decode_file, is_dubious_html, repair_faulty_html

# trafilatura's parser options (trafilatura.utils.HTML_PARSER), with the C-level class lookup.
_PARSER = etree.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                           remove_comments=True, remove_pis=True)
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))


def _parse_bytes(html: str) -> HtmlElement | None:
    try:
        return fromstring(html.encode("utf8", "surrogatepass"), parser=_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None


def parse_html(html: str | bytes) -> HtmlElement | None:
    """The page's tree as trafilatura's ``load_html`` builds it, or None when it is not HTML."""
    text = decode_file(html)
    beginning = text[:50].lower()
    text = repair_faulty_html(text, beginning)
    as_bytes = False
    tree: HtmlElement | None
    try:
        tree = fromstring(text, parser=_PARSER)
    except ValueError:  # a str that declares its encoding: lxml takes it as bytes only
        tree, as_bytes = _parse_bytes(text), True
    except (etree.ParserError, etree.XMLSyntaxError):  # empty or unparsable
        tree = None
    if (tree is None or len(tree) < 1) and not as_bytes:
        tree = _parse_bytes(text)
    # Text with no sign of HTML at its start that parses to a single block is not a page.
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree
