"""Tables used for page layout, turned back into plain blocks before extraction.

Old templates lay a whole article out in a ``<table>``: the story's
paragraphs are ``<p>`` elements inside one cell. trafilatura writes a table
row as one line ("| cell | cell |"), so the story and whatever boilerplate
sits between its paragraphs come out as a single paragraph of thousands of
characters that no boilerplate check can split. A table whose cells hold
paragraphs is layout, not data: its table elements become ``<div>``s, and
its paragraphs stay paragraphs.
"""

from __future__ import annotations

from lxml.html import HtmlElement

MIN_PARAGRAPHS = 2  # <p> elements of the table itself (not of a nested table)
_TABLE_PARTS = ("thead", "tbody", "tfoot", "tr", "td", "th")  # a nested <table> is judged on its own


def unwrap_layout_tables(tree: HtmlElement) -> int:
    """Rename the parts of every layout table in ``tree`` to ``div``; the number of tables unwrapped."""
    unwrapped = 0
    # Innermost first, so a nested layout table is judged before the one around it.
    for table in reversed(list(tree.iter("table"))):
        if _paragraphs_of(table) >= MIN_PARAGRAPHS:
            for part in [table, *_parts_of(table)]:
                part.tag = "div"
            unwrapped += 1
    return unwrapped


def _nearest_table(element: HtmlElement) -> HtmlElement | None:
    return next(element.iterancestors("table"), None)


def _paragraphs_of(table: HtmlElement) -> int:
    return sum(1 for paragraph in table.iter("p") if _nearest_table(paragraph) is table)


def _parts_of(table: HtmlElement) -> list[HtmlElement]:
    """Rows, cells and sections that belong to ``table`` itself, not to a table nested in it."""
    return [element for element in table.iter(*_TABLE_PARTS) if _nearest_table(element) is table]
