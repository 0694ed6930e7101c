"""Layout tables: a story laid out in a <table> comes out paragraph by paragraph."""

from __future__ import annotations

from conftest import STORY
from lxml.html import fromstring

from newsd.daemon.extract import extract
from newsd.daemon.layout_tables import unwrap_layout_tables

DATA_TABLE = ("<table><tr><th>Driver</th><th>Points</th></tr><tr><td>Kyle Larson</td><td>2339</td></tr>"
              "<tr><td>Alex Bowman</td><td>2257</td></tr></table>")


def _layout_page(cell: str) -> str:
    return (f"<html><head><title>Rocket</title></head><body><table><tr><td class='nav'><a href='/'>Home</a></td>"
            f"<td class='story'>{cell}</td></tr></table></body></html>")


def test_a_table_whose_cells_hold_paragraphs_becomes_blocks():
    tree = fromstring(_layout_page("".join(f"<p>{p}</p>" for p in STORY[:3])))
    assert unwrap_layout_tables(tree) == 1
    assert not tree.xpath("//table|//tr|//td")
    assert len(tree.xpath("//p")) == 3


def test_a_data_table_stays_a_table_even_inside_a_layout_table():
    tree = fromstring(_layout_page("".join(f"<p>{p}</p>" for p in STORY[:2]) + DATA_TABLE))
    assert unwrap_layout_tables(tree) == 1
    assert len(tree.xpath("//table")) == 1 and tree.xpath("//table//td[text()='Kyle Larson']")
    assert unwrap_layout_tables(fromstring(f"<html><body>{DATA_TABLE}</body></html>")) == 0


def test_boilerplate_between_paragraphs_of_a_layout_table_is_removed():
    # Before: trafilatura wrote the whole cell as one table row, appeal included.
    appeal = "Please support our journalism: donate today to keep this site free for everyone."
    cell = "".join(f"<p>{p}</p>" for p in [STORY[0], STORY[1], appeal, STORY[2]])
    document = extract(_layout_page(cell), "https://example.org/rocket")
    assert appeal not in document.text
    assert document.text.split("\n\n")[:2] == [STORY[0], STORY[1]]
