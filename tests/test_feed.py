"""parse_feed and entry_key: feed bytes to entries with identity. No network, no disk."""

from __future__ import annotations

import pytest

from newsd.daemon.errors import FeedError, MalformedFeed, NotAFeed
from newsd.daemon.feed import entry_key, parse_feed

BASE = "https://news.example.org/feeds/world.xml"
RSS_HEADERS = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM_HEADERS = {"Content-Type": "application/atom+xml; charset=utf-8"}


def rss(items: str, channel_extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<title>World  news</title><link>/world/</link><description>d</description><language>en-GB</language>"
        f"{channel_extra}{items}</channel></rss>"
    ).encode("utf-8")


RSS_ITEM = """
<item>
  <title>Council votes on bike lanes</title>
  <link>/world/2025/bike-lanes.html</link>
  <guid isPermaLink="false">story-1001</guid>
  <pubDate>Mon, 06 Jan 2025 10:30:00 +0200</pubDate>
  <dc:creator>Jane Doe</dc:creator>
  <description>&lt;p&gt;First paragraph.&lt;/p&gt;&lt;p&gt;Second &amp;amp; last.&lt;/p&gt;</description>
  <content:encoded><![CDATA[<p>Full text one.</p><script>track()</script><p>Full text <b>two</b>.</p>]]></content:encoded>
</item>
"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de">
  <title>Atom news</title>
  <link rel="alternate" href="https://atom.example.com/"/>
  <id>urn:example:feed</id>
  <updated>2025-03-04T12:00:00Z</updated>
  <entry>
    <title>Ein Titel</title>
    <id>urn:uuid:0b7d1d4e-1111-2222-3333-444455556666</id>
    <link rel="alternate" href="/posts/ein-titel"/>
    <published>2025-03-04T05:06:07+01:00</published>
    <updated>2025-03-05T00:00:00Z</updated>
    <author><name>Ann Author</name></author>
    <author><name>Bob Writer</name></author>
    <summary type="html">&lt;p&gt;Kurz eins.&lt;/p&gt;&lt;p&gt;Kurz zwei.&lt;/p&gt;</summary>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Lang eins.</p><p>Lang zwei.</p></div></content>
  </entry>
</feed>
"""


# -- RSS 2.0 and Atom 1.0 -----------------------------------------------------


def test_rss_entry_fields():
    feed = parse_feed(rss(RSS_ITEM), RSS_HEADERS, BASE)
    assert feed.version == "rss20"
    assert feed.title == "World news"
    assert feed.language == "en"
    assert feed.site_url == "https://news.example.org/world/"
    (entry,) = feed.entries
    assert entry.key == "story-1001"
    assert entry.guid == "story-1001"
    assert entry.link == "https://news.example.org/world/2025/bike-lanes.html"
    assert entry.title == "Council votes on bike lanes"
    assert entry.authors == ("Jane Doe",)
    assert entry.language == "en"


def test_rss_offset_date_becomes_utc():
    (entry,) = parse_feed(rss(RSS_ITEM), RSS_HEADERS, BASE).entries
    assert entry.published_at == "2025-01-06T08:30:00Z"


def test_rss_content_becomes_plain_text_paragraphs_and_the_summary_beside_it_is_left_out():
    """Only one of the two is ever stored: the summary is turned into text only for an entry without content."""
    (entry,) = parse_feed(rss(RSS_ITEM), RSS_HEADERS, BASE).entries
    assert entry.content == "Full text one.\n\nFull text two."
    assert entry.summary == ""


def test_rss_summary_becomes_plain_text_paragraphs_when_there_is_no_content():
    item = RSS_ITEM.replace("<content:encoded>", "<ignored>").replace("</content:encoded>", "</ignored>")
    (entry,) = parse_feed(rss(item), RSS_HEADERS, BASE).entries
    assert entry.content == ""
    assert entry.summary == "First paragraph.\n\nSecond & last."


def test_well_formed_feed_has_no_warning():
    assert parse_feed(rss(RSS_ITEM), RSS_HEADERS, BASE).warning is None


def test_well_formed_feed_without_response_headers_has_no_warning():
    """Nothing was recovered from, so there is nothing to warn about (file feeds, tests, caches)."""
    assert parse_feed(rss(RSS_ITEM), {}, BASE).warning is None


def test_atom_entry_fields():
    feed = parse_feed(ATOM, ATOM_HEADERS, "https://atom.example.com/feed.atom")
    assert feed.version == "atom10"
    assert feed.title == "Atom news"
    assert feed.site_url == "https://atom.example.com/"
    (entry,) = feed.entries
    assert entry.key == "urn:uuid:0b7d1d4e-1111-2222-3333-444455556666"
    assert entry.link == "https://atom.example.com/posts/ein-titel"
    assert entry.title == "Ein Titel"
    assert entry.authors == ("Ann Author", "Bob Writer")
    assert entry.published_at == "2025-03-04T04:06:07Z"  # published wins over updated
    assert entry.summary == ""  # the content is there
    assert entry.content == "Lang eins.\n\nLang zwei."
    assert entry.language == "de"
    assert feed.warning is None


def test_atom_updated_is_used_when_published_is_missing():
    body = ATOM.replace(b"<published>2025-03-04T05:06:07+01:00</published>", b"")
    (entry,) = parse_feed(body, ATOM_HEADERS, "https://atom.example.com/feed.atom").entries
    assert entry.published_at == "2025-03-05T00:00:00Z"


def test_entry_without_date_has_none():
    (entry,) = parse_feed(rss("<item><title>t</title><link>http://e.com/1</link></item>"), RSS_HEADERS, BASE).entries
    assert entry.published_at is None


# -- identity -----------------------------------------------------------------


def test_identity_is_guid_then_link_then_content_hash():
    items = (
        "<item><title>A</title><link>http://e.com/a</link><guid isPermaLink='false'>guid-a</guid></item>"
        "<item><title>B</title><link>http://e.com/b</link></item>"
        "<item><title>C</title><description>only text</description></item>"
    )
    a, b, c = parse_feed(rss(items), RSS_HEADERS, BASE).entries
    assert a.key == "guid-a"
    assert b.key == "http://e.com/b" and b.guid is None
    assert c.key.startswith("sha256:") and c.link is None
    assert c.key == entry_key(None, None, "C", "only text", False)


def test_content_hash_key_depends_on_title_and_text():
    key = entry_key(None, None, "Title", "Body text", False)
    assert key.startswith("sha256:") and len(key) > len("sha256:") + 16
    assert key == entry_key(None, None, "Title", "Body text", False)
    assert key != entry_key(None, None, "Title", "Other text", False)
    assert key != entry_key(None, None, "Other title", "Body text", False)


def test_entry_key_rules():
    assert entry_key("g", "http://e.com/x", "t", "x", False) == "g"
    assert entry_key("g", "http://e.com/x", "t", "x", True) == "g http://e.com/x"
    assert entry_key("g", None, "t", "x", True) == "g"  # nothing to tell it apart by
    assert entry_key(None, "http://e.com/x", "t", "x", False) == "http://e.com/x"


def test_guid_repeated_in_one_document_is_told_apart_by_link():
    items = (
        "<item><title>D</title><link>http://e.com/d1</link><guid isPermaLink='false'>same</guid></item>"
        "<item><title>E</title><link>http://e.com/d2</link><guid isPermaLink='false'>same</guid></item>"
        "<item><title>F</title><link>http://e.com/f</link><guid isPermaLink='false'>unique</guid></item>"
    )
    d, e, f = parse_feed(rss(items), RSS_HEADERS, BASE).entries
    assert d.key == "same http://e.com/d1"
    assert e.key == "same http://e.com/d2"
    assert f.key == "unique"


def test_entries_sharing_guid_and_link_but_not_content_still_get_distinct_keys():
    """Seen in real feeds (scripting.com, a podcast): copy-pasted GUID and link on different stories."""
    items = (
        "<item><title>Morning</title><link>http://e.com/day#a1</link><guid>http://e.com/day#a1</guid>"
        "<description>Good morning.</description></item>"
        "<item><title>Insurance</title><link>http://e.com/day#a1</link><guid>http://e.com/day#a1</guid>"
        "<description>A different story.</description></item>"
    )
    first, second = parse_feed(rss(items), RSS_HEADERS, BASE).entries
    assert first.key != second.key


# -- links --------------------------------------------------------------------


def test_relative_links_resolve_against_http_base_url():
    items = (
        "<item><title>1</title><link>/abs/path.html</link></item>"
        "<item><title>2</title><link>rel/path.html</link></item>"
        "<item><title>3</title><link>https://other.example.com/x</link></item>"
    )
    links = [e.link for e in parse_feed(rss(items), RSS_HEADERS, BASE).entries]
    assert links == [
        "https://news.example.org/abs/path.html",
        "https://news.example.org/feeds/rel/path.html",
        "https://other.example.com/x",
    ]


def test_relative_links_resolve_against_file_base_url():
    items = "<item><title>1</title><link>articles/one.html</link></item>"
    (entry,) = parse_feed(rss(items), {}, "file:///srv/newsd/sample/feed.xml").entries
    assert entry.link == "file:///srv/newsd/sample/articles/one.html"
    assert entry.key == entry.link


def test_absolute_file_links_keep_their_three_slashes():
    items = "<item><title>1</title><link>file:///srv/newsd/sample/one.html</link></item>"
    (entry,) = parse_feed(rss(items), {}, "file:///srv/newsd/sample/feed.xml").entries
    assert entry.link == "file:///srv/newsd/sample/one.html"


def test_blank_link_is_none():
    (entry,) = parse_feed(rss("<item><title>x</title><link>  </link><description>d</description></item>"), RSS_HEADERS, BASE).entries
    assert entry.link is None
    assert entry.key.startswith("sha256:")


# -- not a feed ---------------------------------------------------------------


def test_html_page_raises_not_a_feed_naming_the_advertised_feed():
    page = (
        b"<!DOCTYPE html><html><head><title>News</title>"
        b'<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss/world.xml">'
        b"</head><body><p>Welcome</p></body></html>"
    )
    with pytest.raises(NotAFeed) as caught:
        parse_feed(page, {"Content-Type": "text/html"}, "https://news.example.org/world/")
    assert "https://news.example.org/rss/world.xml" in str(caught.value)


def test_html_page_without_feed_link_raises_not_a_feed():
    page = b"<!DOCTYPE html><html><head><title>News</title></head><body><p>Welcome</p></body></html>"
    with pytest.raises(NotAFeed, match="HTML"):
        parse_feed(page, {"Content-Type": "text/html"}, BASE)


@pytest.mark.parametrize("body", [b"", b"   \n\t  "])
def test_empty_body_raises_not_a_feed(body):
    with pytest.raises(NotAFeed, match="empty"):
        parse_feed(body, RSS_HEADERS, BASE)


@pytest.mark.parametrize("body", [b"\x00\x01\x02 this is not xml {{{", b'{"items": [1, 2, 3]}', b"just words\n"])
def test_garbage_raises_a_feed_error_with_a_clear_message(body):
    with pytest.raises((MalformedFeed, NotAFeed)) as caught:
        parse_feed(body, RSS_HEADERS, BASE)
    message = str(caught.value).lower()
    assert "feed" in message
    assert any(word in message for word in ("malformed", "not a feed", "not well-formed", "xml"))


def test_feed_errors_share_one_base():
    assert issubclass(NotAFeed, FeedError) and issubclass(MalformedFeed, FeedError)


# -- recovery and encodings -----------------------------------------------------


def test_recoverable_ill_formed_feed_yields_entries_and_a_warning():
    body = rss(
        "<item><title>Fish & Chips</title><link>http://e.com/1</link></item>"
        "<item><title>Second</title><link>http://e.com/2</link></item>"
    )
    feed = parse_feed(body, RSS_HEADERS, BASE)
    assert [e.title for e in feed.entries] == ["Fish & Chips", "Second"]
    assert feed.warning


def test_iso_8859_1_declared_in_content_type_header_decodes():
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Caf\xe9 News</title>'
        "<item><title>R\xe9sum\xe9 of the d\xe9bat</title><link>http://e.com/1</link>"
        "<description>Cr\xe8me br\xfbl\xe9e</description></item></channel></rss>"
    ).encode("iso-8859-1")
    feed = parse_feed(body, {"content-type": "application/rss+xml; charset=ISO-8859-1"}, BASE)
    assert feed.title == "Café News"
    (entry,) = feed.entries
    assert entry.title == "Résumé of the débat"
    assert entry.summary == "Crème brûlée"


def test_header_names_are_case_insensitive():
    body = ('<?xml version="1.0"?><rss version="2.0"><channel><title>\xe9</title>'
            "<item><title>\xe9t\xe9</title><link>http://e.com/1</link></item></channel></rss>").encode("iso-8859-1")
    (entry,) = parse_feed(body, {"CONTENT-TYPE": "text/xml; charset=iso-8859-1"}, BASE).entries
    assert entry.title == "été"


def test_utf16_feed_with_bom_decodes():
    body = rss("<item><title>Grüße</title><link>http://e.com/1</link></item>").decode("utf-8")
    body = body.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    (entry,) = parse_feed(body, {"Content-Type": "application/rss+xml"}, BASE).entries
    assert entry.title == "Grüße"


def test_valid_feed_with_no_entries_is_not_an_error():
    feed = parse_feed(rss(""), RSS_HEADERS, BASE)
    assert feed.entries == ()
    assert feed.title == "World news"


def test_html_titles_lose_their_markup():
    """feedparser no longer sanitises: an Atom type="html" title must not carry tags into the store."""
    atom = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
            b'<title type="html">Site &lt;b&gt;News&lt;/b&gt;</title><entry><id>1</id>'
            b'<title type="html">T &lt;iframe src="//evil"&gt;frame&lt;/iframe&gt; '
            b'&lt;a href="javascript:x"&gt;ok&lt;/a&gt;</title><link href="http://e.com/a"/><summary>s</summary>'
            b'</entry></feed>')
    feed = parse_feed(atom, {"content-type": "application/atom+xml"}, "http://e.com/feed")
    assert (feed.title, feed.entries[0].title) == ("Site News", "T ok")


def test_the_buffered_sax_driver_parses_as_expat_does_and_is_the_one_used(monkeypatch):
    """Text cut by lines and entity references (expat's pieces) comes out the same with the pieces buffered."""
    import xml.sax

    import feedparser.api

    from newsd.daemon.sax_driver import BufferedExpatParser

    assert isinstance(xml.sax.make_parser(feedparser.api.PREFERRED_XML_PARSERS), BufferedExpatParser)
    escaped = "\n".join(f"&lt;p&gt;Line {n} &amp;amp; more &#8212; caf&#233; &lt;b&gt;bold&lt;/b&gt;&lt;/p&gt;" for n in range(40))
    item = (f"<item><title>A &amp; B\nC</title><link>/a</link><guid>g1</guid>"
            f"<description>{escaped}</description><content:encoded><![CDATA[<p>One</p>\n<p>Two &amp; three</p>]]>"
            "</content:encoded></item><item><title>Plain</title><link>/b</link><description>x\ny</description></item>")
    buffered = parse_feed(rss(item), RSS_HEADERS, BASE)
    monkeypatch.setattr(feedparser.api, "PREFERRED_XML_PARSERS", ["xml.sax.expatreader"])
    plain = parse_feed(rss(item), RSS_HEADERS, BASE)
    assert buffered == plain
    assert buffered.entries[0].title == "A & B C" and "Two & three" in buffered.entries[0].content
