"""The article a client-rendered page carries in its scripts (newsd.daemon.embedded)."""

from __future__ import annotations

import json

from newsd.daemon.embedded import embedded_article
from newsd.daemon.extract import extract

STORY = [
    "The city council voted on Tuesday to expand the network of protected bicycle lanes across the northern "
    "districts, after a year of public consultations and heated debate.",
    "Supporters said the plan would cut traffic injuries and make commuting cheaper for families, while shop "
    "owners worried about the loss of parking spaces on the main streets.",
    "The first stretch is due to open next spring, and the council said it would publish monthly figures on "
    "cycling traffic and accidents so residents can judge the results.",
]
BODY_HTML = "".join(f"<p>{p}</p>" for p in STORY)


def shell(scripts: str, body: str = "<div id='root'></div>") -> str:
    """A client-rendered page: a title, an empty root, and its data in scripts."""
    return (f"<!DOCTYPE html><html lang='en'><head><title>Council approves bike lanes</title></head>"
            f"<body>{body}{scripts}</body></html>")


def test_next_data_json_holding_the_article_html():
    data = {"props": {"pageProps": {"article": {"title": "Council approves bike lanes", "body": BODY_HTML}}}}
    page = shell(f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(data)}</script>')
    assert extract(page, "https://example.com/news/1").text.split("\n\n") == STORY


def test_a_streamed_payload_with_escaped_markup():
    # Next.js app router: the HTML is a JSON string inside a JavaScript call, "<" written as \u003c.
    escaped = json.dumps(BODY_HTML).replace("<", "\\u003c").replace(">", "\\u003e")
    page = shell(f"<script>self.__next_f.push([1,{escaped}])</script>")
    assert extract(page, "https://example.com/news/1").text.split("\n\n") == STORY


def test_embedded_text_goes_through_the_boilerplate_pass():
    appeal = "Please support our journalism with a donation today."
    data = {"body": BODY_HTML + f"<p>{appeal}</p>"}
    page = shell(f'<script type="application/json">{json.dumps(data)}</script>')
    document = extract(page, "https://example.com/news/1")
    assert appeal not in document.text and STORY[0] in document.text
    assert [r.text for r in document.removed] == [appeal]


def test_the_markups_own_story_wins_over_script_data():
    # A server-rendered page that also ships a teaser list as data keeps its own text.
    teasers = "".join(f"<p>Other story {n} about something else entirely.</p>" for n in range(20))
    page = shell(f'<script type="application/json">{json.dumps({"related": teasers})}</script>',
                 body=f"<article><h1>Council approves bike lanes</h1>{BODY_HTML}</article>")
    assert extract(page, "https://example.com/news/1").text.split("\n\n") == STORY


def test_fragments_with_too_few_paragraphs_or_broken_json_are_not_articles():
    assert embedded_article(['{"caption": "<p>One photo caption</p><p>and a credit</p>"}']) is None
    assert embedded_article(['var x = "<p>a</p><p>b</p><p>c</p>\\x";']) is None  # not a JSON string escape
    assert embedded_article(['{"body": "<p>a</p><p>b</p><p>c']) is None  # cut off
    assert embedded_article(["console.log('no data here')"]) is None


def test_the_longest_fragment_is_the_article():
    short = "<p>a</p><p>b</p><p>c</p>"
    assert embedded_article([json.dumps({"teaser": short, "body": BODY_HTML})]) == BODY_HTML


def test_a_short_brief_is_not_replaced_by_a_related_story_in_its_data():
    brief = "<p>The M4 is closed in both directions between junctions 4 and 5 after a lorry fire this morning.</p>"
    related = "".join(f"<p>Housing story paragraph {n} about rents in the capital rising again.</p>" for n in range(6))
    page = shell(f'<script type="application/json">{json.dumps({"related": related})}</script>',
                 body=f"<article><h1>M4 closed after lorry fire</h1>{brief}</article>")
    assert "Housing" not in extract(page, "https://example.com/news/2").text


def test_an_empty_shell_takes_only_data_about_its_own_title():
    data = json.dumps({"related": BODY_HTML})
    page = shell(f'<script type="application/json">{data}</script>').replace(
        "Council approves bike lanes", "Storm warning for the coast")
    assert extract(page, "https://example.com/news/3").text == ""


def test_upper_case_json_escapes_are_read():
    escaped = json.dumps(BODY_HTML).replace("<", "\\u003C").replace(">", "\\u003E")
    assert embedded_article([f"self.__next_f.push([1,{escaped}])"]) == BODY_HTML


def test_escaped_quotes_in_a_single_quoted_string_are_walked_once():
    # JSON inside a single-quoted JavaScript string: every quote escaped. A
    # search from every quote made this take minutes at this size; it must
    # simply come back empty.
    script = "JSON.parse('{" + '\\"k\\":\\"v\\",' * 20_000 + "\\u003cp')"
    assert embedded_article([script]) is None
