"""OPML subscription lists in and out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import SHARED

from newsd.daemon.errors import NewsdError
from newsd.daemon.opml import OpmlError, build_opml, parse_opml

REAL_OPML = SHARED / "corpus" / "realfeeds" / "rsparser" / "Subs.opml"

NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="Top level" title="Top level" type="rss" xmlUrl="https://top.example.com/feed"/>
    <outline text="News" title="News">
      <outline text="World desk" type="rss" xmlUrl=" https://world.example.com/rss "/>
      <outline title="Europe">
        <outline text="Berlin daily" xmlUrl="https://berlin.example.de/feed.xml"/>
      </outline>
    </outline>
    <outline text="Tech">
      <outline xmlUrl="https://tech.example.org/atom.xml"/>
    </outline>
    <outline text="Empty folder"/>
  </body>
</opml>
"""


def test_nested_outlines_give_tags_from_enclosing_titles():
    subs = parse_opml(NESTED)
    assert [(s.url, s.name, s.tags) for s in subs] == [
        ("https://top.example.com/feed", "Top level", ()),
        ("https://world.example.com/rss", "World desk", ("News",)),
        ("https://berlin.example.de/feed.xml", "Berlin daily", ("News", "Europe")),
        ("https://tech.example.org/atom.xml", None, ("Tech",)),
    ]


def test_title_is_preferred_over_text_for_the_name():
    data = b'<opml version="1.0"><body><outline text="short" title="Long title" xmlUrl="https://e.com/f"/></body></opml>'
    (sub,) = parse_opml(data)
    assert sub.name == "Long title"


@pytest.mark.parametrize("data", [b"", b"this is not xml", b"<opml><body><outline></body>", b"\x00\x01"])
def test_not_xml_raises_opml_error(data):
    with pytest.raises(OpmlError, match="XML"):
        parse_opml(data)


def test_xml_that_is_not_opml_raises_opml_error_naming_the_root():
    rss = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    with pytest.raises(OpmlError, match="rss"):
        parse_opml(rss)


def test_opml_without_body_raises_opml_error():
    with pytest.raises(OpmlError, match="body"):
        parse_opml(b'<opml version="2.0"><head><title>x</title></head></opml>')


def test_opml_error_is_a_newsd_error():
    assert issubclass(OpmlError, NewsdError)


def test_build_then_parse_roundtrip_keeps_urls_names_and_tags():
    feeds = [
        {"url": "https://a.example.com/feed", "name": "A & B News", "tags": ["world", "en"], "site_url": "https://a.example.com/"},
        {"url": "https://c.example.com/rss?x=1&y=2", "title": "Only a title", "tags": []},
        {"url": "file:///srv/sample/feed.xml", "name": "Grüße aus Köln", "tags": ["de"]},
    ]
    data = build_opml(feeds, title="test export")
    assert data.startswith(b"<?xml")
    subs = parse_opml(data)
    assert [s.url for s in subs] == [f["url"] for f in feeds]
    assert [s.name for s in subs] == ["A & B News", "Only a title", "Grüße aus Köln"]
    # Tags travel in the category attribute of each outline.
    assert b'category="world,en"' in data and b'category="de"' in data


def test_roundtrip_keeps_tags():
    feeds = [{"url": "https://a.example.com/feed", "name": "A", "tags": ["world", "en"]}]
    (sub,) = parse_opml(build_opml(feeds))
    assert sub.tags == ("world", "en")


def test_build_opml_of_no_feeds_is_a_valid_empty_list():
    assert parse_opml(build_opml([])) == []


def test_feed_without_name_stays_without_name_through_a_roundtrip():
    document = build_opml([{"url": "https://x.example.com/rss"}])
    assert b'text="https://x.example.com/rss"' in document  # readers need some text to show
    (sub,) = parse_opml(document)
    assert sub.name is None


@pytest.mark.skipif(not REAL_OPML.is_file(), reason=f"shared corpus not present ({REAL_OPML})")
def test_real_subscription_list():
    data = REAL_OPML.read_bytes()
    subs = parse_opml(data)
    assert len(subs) == len(re.findall(rb'xmlUrl="', data)) == 207
    assert all(s.url.startswith(("http://", "https://")) for s in subs)
    assert all(s.name for s in subs)
    assert {tag for s in subs for tag in s.tags} >= {"Programming", "Macintosh", "Weblogs", "Writers"}
    assert subs[0].url == "http://daringfireball.net/feeds/main" and subs[0].name == "Daring Fireball"
