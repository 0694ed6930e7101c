"""What a page declares about its article: JSON-LD and meta tags."""

from lxml.html import fromstring

from newsd.daemon.metadata import PageMetadata, page_metadata


def metadata(head: str) -> PageMetadata:
    return page_metadata(fromstring(f"<html><head>{head}</head><body></body></html>"), "https://example.org/a")


def test_json_ld_article_gives_title_authors_date_site_and_image():
    head = """<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
      {"@type": "WebSite", "name": "Not the article"},
      {"@type": "NewsArticle", "headline": "Bus lanes approved", "datePublished": "2025-03-04T10:00:00+01:00",
       "author": [{"@type": "Person", "name": "Jane Miller"}, "John Roe"],
       "publisher": {"@type": "Organization", "name": "The Courier"}, "image": {"url": "https://example.org/i.jpg"}}
    ]}</script>"""
    meta = metadata(head)
    assert (meta.title, meta.authors, meta.published_at, meta.site_name, meta.image) == (
        "Bus lanes approved", ("Jane Miller", "John Roe"), "2025-03-04T09:00:00Z", "The Courier", "https://example.org/i.jpg")


def test_a_broken_json_ld_block_is_skipped_for_the_meta_tags():
    head = """<script type="application/ld+json">{"@type": "NewsArticle", "author": </script>
    <meta property="og:title" content="From the tags"><meta name="author" content="Ann Lee; Bo Chen">"""
    meta = metadata(head)
    assert meta.title == "From the tags" and meta.authors == ("Ann Lee", "Bo Chen")
