"""Markup facts read before extraction: link ratios of short blocks, captions."""

from __future__ import annotations

from lxml.html import fromstring

from newsd.daemon.page_facts import fold, page_facts

PAGE = """<html><body><article>
<p>The council met on <a href="/x">Tuesday</a> and voted for the plan after a long debate.</p>
<p><a href="/related">Council approves budget</a></p>
<p>Read more: <a href="https://example.org/a">How the vote went</a></p>
<h2><a href="#section">Jump to the results</a></h2>
<figure><img src="x.jpg"><figcaption>The market square. Photo: Jane Doe</figcaption></figure>
</article></body></html>"""


def test_link_ratio_of_blocks_that_hold_links():
    facts = page_facts(fromstring(PAGE))
    assert facts.link_share("Council approves budget") == 1.0
    assert 0.6 < facts.link_share("Read more: How the vote went") < 0.7
    assert facts.link_share("The council met on Tuesday and voted for the plan after a long debate.") < 0.2


def test_jump_marks_are_not_links_out():
    assert page_facts(fromstring(PAGE)).link_share("Jump to the results") == 0.0


def test_list_items_are_looked_up_without_their_bullet():
    facts = page_facts(fromstring(PAGE))
    assert facts.link_share("- Council approves budget") == 1.0


def test_captions_are_known():
    facts = page_facts(fromstring(PAGE))
    assert facts.is_caption("The market square. Photo: Jane Doe")
    assert not facts.is_caption("Council approves budget")


def test_reading_facts_leaves_the_tree_alone():
    tree = fromstring(PAGE)
    before = fold(tree.text_content())
    page_facts(tree)
    assert fold(tree.text_content()) == before


def test_fold_collapses_whitespace():
    assert fold("  a \n b\tc ") == "a b c"


def test_a_list_item_that_opens_with_a_link_is_a_teaser():
    page = fromstring("""<html><body><ul>
    <li><a href="/a">Council approves budget</a> The vote came after a long night</li>
    <li>The vote came after a <a href="/b">long night</a></li></ul></body></html>""")
    facts = page_facts(page)
    assert facts.leads_with_link("- Council approves budget The vote came after a long night")
    assert not facts.leads_with_link("- The vote came after a long night")


def test_a_live_blog_of_many_articles_is_one_text():
    posts = "".join(f"<article><p>Update number {n} from the scene.</p></article>" for n in range(4))
    facts = page_facts(fromstring(f"<html><body>{posts}</body></html>"))
    assert facts.article("Update number 3 from the scene.") is None
