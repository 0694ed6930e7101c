"""One story, one row: copies across URLs, feeds and sites, updates at one URL, templated stories kept apart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conftest import OTHER_STORIES, SAMPLE, STORY, LocalServer, Response, article_html, rss
from newsd.daemon import pipeline

FEED = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html"}
# A wire story long enough to be matched near (over 50 words), as two sites print it.
WIRE = STORY + [
    "The first stretch is due to open next spring, the mayor said, and more districts could follow if the figures on injuries fall as promised.",
]
# Another site's copy: its own template and headline, one paragraph cut, one added, a word edited.
WIRE_COPY = [WIRE[0].replace("heated debate", "fierce debate"), WIRE[1], WIRE[3],
             "Our reporter will follow the works on the ground over the coming months."]


def rows(db: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def serve(server: LocalServer, feed_path: str, items: list[tuple[str, str, list[str]]], site: str = "Test Site") -> str:
    """A feed of (guid, page path, paragraphs) items, each page served with its story; returns the feed URL."""
    server.routes[feed_path] = Response(
        rss([{"title": f"Story {guid}", "guid": guid, "link": server.url(path)} for guid, path, _ in items]),
        headers=FEED)
    for guid, path, paragraphs in items:
        server.routes[path] = Response(article_html(f"Story {guid}", paragraphs, site=site), headers=HTML)
    return server.url(feed_path)


def fetch(run_cli, config: Path) -> None:
    result = run_cli("--config", str(config), "fetch")
    assert result.exit_code == 0, result.output


def test_the_same_text_under_another_url_in_another_feed_is_one_story(server, write_config, run_cli, tmp_path):
    one = serve(server, "/one.xml", [("a", "/news/bikes.html", WIRE)])
    two = serve(server, "/two.xml", [("b", "/syndicated/1234", WIRE)], site="Other Paper")
    fetch(run_cli, write_config(one, two))
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT count(*) FROM articles") == [(1,)]
    # the feeds are polled side by side: either page may be the first source
    assert rows(db, "SELECT count(*), count(similarity), max(similarity) FROM article_sources") == [(2, 1, 1.0)]


def test_a_near_copy_from_another_site_is_one_story_with_its_similarity(server, write_config, run_cli, tmp_path):
    fetch(run_cli, write_config(serve(server, "/one.xml", [("a", "/news/bikes.html", WIRE)])))
    two = serve(server, "/two.xml", [("b", "/other/bikes", WIRE_COPY)], site="Other Paper")
    fetch(run_cli, write_config(server.url("/one.xml"), two))
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT count(*) FROM articles") == [(1,)]
    (similarity,), = rows(db, "SELECT similarity FROM article_sources WHERE canonical_url LIKE '%other%'")
    assert 0.5 <= similarity < 1.0


def test_a_teaser_of_a_stored_story_is_another_appearance_of_it(server, write_config, run_cli, tmp_path):
    fetch(run_cli, write_config(serve(server, "/one.xml", [("a", "/news/bikes.html", WIRE + OTHER_STORIES[2])])))
    teaser = serve(server, "/two.xml", [("b", "/brief/bikes", WIRE[:2])], site="Other Paper")
    fetch(run_cli, write_config(server.url("/one.xml"), teaser))
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT count(*) FROM articles") == [(1,)]
    (similarity,), = rows(db, "SELECT similarity FROM article_sources WHERE canonical_url LIKE '%brief%'")
    assert similarity >= 0.5


def test_a_teaser_on_another_site_with_its_own_standfirst_is_the_same_story(server, other_site, write_config,
                                                                           run_cli, tmp_path):
    fetch(run_cli, write_config(serve(server, "/one.xml", [("a", "/news/bikes.html", WIRE + OTHER_STORIES[2])])))
    standfirst = "Bike lanes are coming to the old town whether drivers like it or not, and here is why."
    teaser = serve(other_site, "/two.xml", [("b", "/brief/bikes", [standfirst] + WIRE[:2])], site="Other Paper")
    fetch(run_cli, write_config(server.url("/one.xml"), teaser))
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT count(*) FROM articles") == [(1,)]
    assert len(rows(db, "SELECT id FROM article_sources")) == 2


def test_templated_stories_that_differ_in_their_facts_stay_apart(server, write_config, run_cli, tmp_path):
    def report(company: str, day: str, revenue: str, change: str, profit: str, eps: str, guide: str) -> list[str]:
        return [
            f"{company} reported third-quarter revenue of {revenue} billion dollars on {day}, up {change} percent from a "
            f"year earlier, ahead of analysts' estimates compiled by the research firm.",
            f"Net income for the quarter rose to {profit} million dollars, or {eps} dollars a share, the company said in "
            f"a statement released after the market closed.",
            f"The company said it expects full-year revenue of about {guide} billion dollars and will pay its regular "
            f"quarterly dividend to shareholders next month.",
        ]

    feed = serve(server, "/earnings.xml", [
        ("acme", "/acme.html", report("Acme", "Tuesday", "4.2", "5", "610", "1.12", "16.5")),
        ("globex", "/globex.html", report("Globex", "Wednesday", "2.9", "2", "310", "0.84", "11.2")),
    ])
    fetch(run_cli, write_config(feed))
    assert rows(tmp_path / "newsd.db", "SELECT count(*) FROM articles") == [(2,)]


def test_two_stories_on_the_same_event_stay_two(tmp_path, write_config, run_cli):
    """The two seed articles are both about Raqqa deserters: two stories, two rows."""
    config = write_config((SAMPLE / "feed.xml").as_uri())
    fetch(run_cli, config)
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT count(*) FROM articles") == [(2,)]
    assert rows(db, "SELECT count(*) FROM article_sources WHERE similarity IS NOT NULL") == [(0,)]


def test_an_update_at_the_same_url_replaces_the_text_and_keeps_the_old_one(server, write_config, run_cli, tmp_path,
                                                                            monkeypatch):
    monkeypatch.setattr(pipeline, "REVISIT_AFTER_S", 0)
    config = write_config(serve(server, "/feed.xml", [("v1", "/story.html", WIRE)]))
    fetch(run_cli, config)
    updated = WIRE + ["Update: the council later said the works would start in the quietest district, near the zoo."]
    serve(server, "/feed.xml", [("v2", "/story.html", updated)])  # the CMS gives the edited story a new GUID
    fetch(run_cli, config)
    db = tmp_path / "newsd.db"
    (text, revisions, updated_at), = rows(db, "SELECT text, revisions, updated_at FROM articles")
    assert "near the zoo" in text and revisions == 1 and updated_at
    (revision, old_text), = rows(db, "SELECT revision, text FROM article_revisions")
    assert revision == 0 and "zoo" not in old_text and WIRE[0] in old_text
    assert rows(db, "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'zoo'") == [(1,)]
    # the earlier text is there to read
    earlier = run_cli("--config", str(config), "show", "1", "--revision", "0")
    assert earlier.exit_code == 0 and WIRE[0] in earlier.output and "zoo" not in earlier.output
    missing = run_cli("--config", str(config), "show", "1", "--revision", "5")
    assert missing.exit_code == 2 and "no text number 5 (its earlier texts: 0;" in missing.output
    current = run_cli("--config", str(config), "show", "1", "--revision", "1")  # the number show calls current
    assert current.exit_code == 0 and "near the zoo" in current.output
    # the kept page is the update's, so a later reextract works on the current text
    assert run_cli("--config", str(config), "reextract").exit_code == 0
    assert "near the zoo" in rows(db, "SELECT text FROM articles")[0][0]
    assert rows(db, "SELECT count(*) FROM article_sources") == [(2,)]


def test_a_guid_change_with_the_same_url_and_text_adds_only_a_source(server, write_config, run_cli, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setattr(pipeline, "REVISIT_AFTER_S", 0)
    config = write_config(serve(server, "/feed.xml", [("v1", "/story.html", WIRE)]))
    fetch(run_cli, config)
    serve(server, "/feed.xml", [("v1-renamed", "/story.html", WIRE)])
    fetch(run_cli, config)
    assert len(server.requests_to("/story.html")) == 2  # the page was checked for an update
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT count(*), max(revisions) FROM articles") == [(1, 0)]
    assert rows(db, "SELECT count(*) FROM article_revisions") == [(0,)]
    assert sorted(rows(db, "SELECT guid FROM article_sources")) == [("v1",), ("v1-renamed",)]


def test_a_stored_url_is_not_fetched_again_while_its_text_is_young(server, write_config, run_cli, tmp_path):
    config = write_config(serve(server, "/feed.xml", [("v1", "/story.html", WIRE)]))
    fetch(run_cli, config)
    serve(server, "/feed.xml", [("v2", "/story.html", WIRE)])
    fetch(run_cli, config)
    assert len(server.requests_to("/story.html")) == 1


def test_an_unchanged_page_is_checked_once_an_hour_even_when_no_page_is_kept(server, write_config, run_cli, tmp_path):
    config = write_config(serve(server, "/feed.xml", [("v1", "/story.html", WIRE)]))
    config.write_text(config.read_text().replace("[storage]\n", "[storage]\nkeep_html = false\n"))
    fetch(run_cli, config)
    with sqlite3.connect(tmp_path / "newsd.db") as conn:  # the story was stored two hours ago
        conn.execute("UPDATE articles SET fetched_at = '2000-01-01T00:00:00Z'")
    serve(server, "/feed.xml", [("v2", "/story.html", WIRE)])
    fetch(run_cli, config)
    assert len(server.requests_to("/story.html")) == 2  # old enough: checked again, unchanged
    serve(server, "/feed.xml", [("v3", "/story.html", WIRE)])
    fetch(run_cli, config)
    assert len(server.requests_to("/story.html")) == 2  # checked a moment ago
    assert rows(tmp_path / "newsd.db", "SELECT count(*) FROM article_html") == [(0,)]


def test_short_texts_match_only_with_the_same_text_and_title(server, write_config, run_cli, tmp_path):
    teaser = "Read the full story on our website."
    server.routes["/feed.xml"] = Response(rss([
        {"title": "Storm warning", "guid": "s1", "description": teaser},
        {"title": "Election result", "guid": "s2", "description": teaser},
        {"title": "Storm warning", "guid": "s3", "description": teaser},
    ]), headers=FEED)
    fetch(run_cli, write_config(server.url("/feed.xml")))
    db = tmp_path / "newsd.db"
    assert sorted(rows(db, "SELECT title FROM articles")) == [("Election result",), ("Storm warning",)]


@pytest.mark.parametrize("declared, stored_as", [
    ("/news/bikes", "/news/bikes"),  # the page's own canonical URL wins over the link it was reached by
    # another site's claim is ignored: the link, canonicalised (its AMP marker gone), names the story
    ("https://elsewhere.example/news/bikes", "/bikes-12"),
    ("/", "/bikes-12"),  # a template that declares the home page on every article is ignored
])
def test_rel_canonical_names_the_story_only_on_its_own_site(server, write_config, run_cli, tmp_path, declared,
                                                           stored_as):
    feed = serve(server, "/feed.xml", [("a", "/amp/bikes-12", WIRE)])
    href = declared if declared.startswith("http") else server.url(declared)
    page = article_html("Story a", WIRE).replace("</head>", f'<link rel="canonical" href="{href}"></head>')
    server.routes["/amp/bikes-12"] = Response(page, headers=HTML)
    fetch(run_cli, write_config(feed))
    (url,), = rows(tmp_path / "newsd.db", "SELECT url FROM articles")
    assert url == server.url(stored_as)


def test_configured_tracking_parameters_do_not_make_a_new_story(server, write_config, run_cli, tmp_path):
    server.routes["/feed.xml"] = Response(rss([
        {"title": "Bikes", "guid": "a", "link": server.url("/story.html?ref=homepage")},
        {"title": "Bikes", "guid": "b", "link": server.url("/story.html?ref=newsletter")},
    ]), headers=FEED)
    server.routes["/story.html"] = Response(article_html("Bikes", OTHER_STORIES[1]), headers=HTML)
    fetch(run_cli, write_config(server.url("/feed.xml"), extra='[dedup]\ntracking_params = ["ref"]\n'))
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT url FROM articles") == [(server.url("/story.html"),)]
    assert len(server.requests_to("/story.html")) == 1


def test_show_lists_every_source_with_its_similarity_and_stats_counts_copies(server, write_config, run_cli, tmp_path):
    fetch(run_cli, write_config(serve(server, "/one.xml", [("a", "/news/bikes.html", WIRE)])))
    config = write_config(server.url("/one.xml"), serve(server, "/two.xml", [("b", "/other/bikes", WIRE_COPY)]))
    fetch(run_cli, config)
    shown = run_cli("--config", str(config), "show", "1").output
    assert "Sources (2):" in shown and "/news/bikes.html" in shown and "similarity 0." in shown
    stats = run_cli("--config", str(config), "stats").output
    assert "Articles: 1 stories" in stats and "Sources: 2 appearances" in stats
    assert "Stories seen more than once: 1" in stats and "Near copies merged: 1" in stats


def test_reextract_refreshes_the_fingerprint_of_a_changed_text(server, write_config, run_cli, tmp_path):
    from newsd.daemon import fingerprint as fp

    line = "Gazette readers met the mayor at the market hall on Friday morning."
    page = article_html("Story a", WIRE).replace("</p>\n<p>The first", f"</p>\n<p>{line}</p>\n<p>The first")
    server.routes["/feed.xml"] = Response(rss([{"title": "Story a", "guid": "a", "link": server.url("/a.html")}]),
                                          headers=FEED)
    server.routes["/a.html"] = Response(page, headers=HTML)
    config = write_config(server.url("/feed.xml"))
    fetch(run_cli, config)
    db = tmp_path / "newsd.db"
    (before,), = rows(db, "SELECT signature FROM article_fingerprints")
    rule = "[[boilerplate.rules]]\nname = \"gazette\"\npatterns = ['^Gazette readers met']\n"
    config = write_config(server.url("/feed.xml"), extra=rule)
    assert run_cli("--config", str(config), "reextract").exit_code == 0
    (text,), = rows(db, "SELECT text FROM articles")
    (after,), = rows(db, "SELECT signature FROM article_fingerprints")
    assert "Gazette" not in text
    assert after != before and fp.unpack(after) == fp.signature(text)


def test_dedup_rebuild_fingerprints_an_old_store_and_merges_its_copies(server, write_config, run_cli, tmp_path):
    one = serve(server, "/one.xml", [("a", "/news/bikes.html", WIRE), ("t", "/news/tram.html", OTHER_STORIES[0] * 2)])
    two = serve(server, "/two.xml", [("b", "/other/bikes", WIRE_COPY)], site="Other Paper")
    config = write_config(one, two, extra="[dedup]\nnear_threshold = 0.99\n")  # too strict to merge the copy
    fetch(run_cli, config)
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT count(*) FROM articles") == [(3,)]
    with sqlite3.connect(db) as conn:  # as a store made before deduplication left it
        conn.execute("DELETE FROM article_fingerprints")
        conn.execute("DELETE FROM lsh_bands")
    config = write_config(one, two)
    assert "3 articles have no fingerprint" in run_cli("--config", str(config), "stats").output
    result = run_cli("--config", str(config), "dedup", "--rebuild", "--json")
    assert result.exit_code == 0, result.output
    assert '"merged": 1' in result.output and '"stories": 3' in result.output
    assert rows(db, "SELECT count(*) FROM articles") == [(2,)]
    assert rows(db, "SELECT count(*) FROM article_fingerprints") == [(2,)]
    (bikes_id,), = rows(db, "SELECT id FROM articles WHERE url LIKE '%bikes%'")
    assert rows(db, "SELECT count(*) FROM article_sources WHERE article_id = ?", bikes_id) == [(2,)]
    assert rows(db, "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'bicycle'") == [(1,)]
    again = run_cli("--config", str(config), "dedup", "--rebuild", "--json")
    assert '"merged": 0' in again.output  # a second run finds nothing more


def test_dedup_without_rebuild_says_what_to_do(tmp_path, run_cli):
    result = run_cli("--db", str(tmp_path / "x.db"), "dedup")
    assert result.exit_code == 2 and "--rebuild" in result.output


def test_short_stories_that_share_only_a_site_block_stay_apart(server, write_config, run_cli, tmp_path):
    block = OTHER_STORIES[5]  # a site's recurring block, not yet learned as its boilerplate
    feed = serve(server, "/feed.xml", [(f"s{i}", f"/s{i}.html", [OTHER_STORIES[i][0]] + block) for i in range(4)])
    fetch(run_cli, write_config(feed))
    assert rows(tmp_path / "newsd.db", "SELECT count(*) FROM articles") == [(4,)]


def test_a_teaser_stored_first_gives_way_to_the_full_story(server, write_config, run_cli, tmp_path):
    full = WIRE + OTHER_STORIES[2]
    fetch(run_cli, write_config(serve(server, "/one.xml", [("b", "/brief/bikes", WIRE[:2])])))
    two = serve(server, "/two.xml", [("a", "/news/bikes.html", full)], site="Other Paper")
    fetch(run_cli, write_config(server.url("/one.xml"), two))
    db = tmp_path / "newsd.db"
    (text, revisions), = rows(db, "SELECT text, revisions FROM articles")
    assert OTHER_STORIES[2][0] in text and revisions == 1
    assert rows(db, "SELECT count(*) FROM article_revisions") == [(1,)]


def test_a_canonical_that_names_a_section_is_not_trusted(server, write_config, run_cli, tmp_path):
    items = [("s0", "/news/s0.html", OTHER_STORIES[0] * 2), ("s1", "/news/s1.html", OTHER_STORIES[1] * 2)]
    feed = serve(server, "/feed.xml", items)
    for _, path, paragraphs in items:
        html = article_html("S", paragraphs).replace("</head>", f'<link rel="canonical" href="{server.url("/news/")}"></head>')
        server.routes[path] = Response(html, headers=HTML)
    fetch(run_cli, write_config(feed))
    assert sorted(rows(tmp_path / "newsd.db", "SELECT url FROM articles")) == [
        (server.url("/news/s0.html"),), (server.url("/news/s1.html"),)]


def test_a_wrong_canonical_shared_by_two_stories_does_not_merge_them(server, write_config, run_cli, tmp_path):
    items = [("s0", "/a/s0.html", OTHER_STORIES[0] * 2), ("s1", "/b/s1.html", OTHER_STORIES[1] * 2)]
    feed = serve(server, "/feed.xml", items)
    for _, path, paragraphs in items:  # a template that declares one URL on every story
        html = article_html("S", paragraphs).replace("</head>", f'<link rel="canonical" href="{server.url("/latest")}"></head>')
        server.routes[path] = Response(html, headers=HTML)
    fetch(run_cli, write_config(feed))
    db = tmp_path / "newsd.db"
    texts = [text for text, in rows(db, "SELECT text FROM articles")]
    assert len(texts) == 2 and {OTHER_STORIES[0][0] in t for t in texts} == {True, False}
    assert server.url("/latest") in [url for url, in rows(db, "SELECT url FROM articles")]


def test_a_revisit_of_a_teaser_keeps_the_fuller_copy_it_gave_way_to(server, write_config, run_cli, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setattr(pipeline, "REVISIT_AFTER_S", 0)
    full = WIRE + OTHER_STORIES[2]
    fetch(run_cli, write_config(serve(server, "/one.xml", [("b", "/brief/bikes", WIRE[:2])])))
    two = serve(server, "/two.xml", [("a", "/news/bikes.html", full)], site="Other Paper")
    fetch(run_cli, write_config(server.url("/one.xml"), two))
    serve(server, "/one.xml", [("b2", "/brief/bikes", WIRE[:2])])  # the teaser's entry again, a new GUID
    fetch(run_cli, write_config(server.url("/one.xml"), two))
    assert len(server.requests_to("/brief/bikes")) == 2  # it was checked again
    (text, revisions), = rows(tmp_path / "newsd.db", "SELECT text, revisions FROM articles")
    assert OTHER_STORIES[2][0] in text and revisions == 1


def test_two_feeds_naming_one_stored_url_fetch_it_again_once(server, write_config, run_cli, tmp_path):
    config = write_config(serve(server, "/one.xml", [("v1", "/story.html", WIRE)]))
    fetch(run_cli, config)
    with sqlite3.connect(tmp_path / "newsd.db") as conn:  # stored two hours ago
        conn.execute("UPDATE articles SET fetched_at = '2000-01-01T00:00:00Z'")
    serve(server, "/one.xml", [("v2", "/story.html", WIRE)])
    serve(server, "/two.xml", [("w1", "/story.html", WIRE)])
    page = server.routes["/story.html"]
    server.routes["/story.html"] = Response(page.body, headers=HTML, delay=0.3)  # both entries meet while it loads
    fetch(run_cli, write_config(server.url("/one.xml"), server.url("/two.xml")))
    assert len(server.requests_to("/story.html")) == 2
    assert rows(tmp_path / "newsd.db", "SELECT count(*) FROM article_sources") == [(3,)]


def test_dedup_rebuild_keeps_the_fuller_text_when_the_teaser_was_stored_first(server, write_config, run_cli, tmp_path):
    full = WIRE + OTHER_STORIES[2]
    one = serve(server, "/one.xml", [("b", "/brief/bikes", WIRE[:2])])
    two = serve(server, "/two.xml", [("a", "/news/bikes.html", full)], site="Other Paper")
    fetch(run_cli, write_config(one, extra="[dedup]\nnear_threshold = 1.0\n"))
    fetch(run_cli, write_config(one, two, extra="[dedup]\nnear_threshold = 1.0\n"))  # too strict: two stories
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT count(*) FROM articles") == [(2,)]
    result = run_cli("--config", str(write_config(one, two)), "dedup", "--rebuild", "--json")
    assert '"merged": 1' in result.output, result.output
    (article_id, text, revisions, url), = rows(db, "SELECT id, text, revisions, url FROM articles")
    assert OTHER_STORIES[2][0] in text and revisions == 1 and url.endswith("/brief/bikes")
    (old_text,), = rows(db, "SELECT text FROM article_revisions WHERE article_id = ?", article_id)
    assert OTHER_STORIES[2][0] not in old_text and WIRE[0] in old_text
    assert rows(db, "SELECT count(*) FROM article_sources WHERE article_id = ?", article_id) == [(2,)]
    assert rows(db, "SELECT count(*) FROM article_html WHERE article_id = ?", article_id) == [(1,)]
    assert rows(db, "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", OTHER_STORIES[2][0].split()[1]) == [(1,)]


def test_a_tracking_url_of_a_stored_story_in_a_later_run_adds_only_a_source(server, write_config, run_cli, tmp_path):
    config = write_config(serve(server, "/feed.xml", [("a", "/story.html", WIRE)]))
    fetch(run_cli, config)
    server.routes["/feed.xml"] = Response(rss([{"title": "Story a", "guid": "a-again",
                                                "link": server.url("/story.html?utm_source=rss&utm_medium=feed&fbclid=x")}]),
                                          headers=FEED)
    fetch(run_cli, config)
    db = tmp_path / "newsd.db"
    assert rows(db, "SELECT count(*) FROM articles") == [(1,)]
    assert sorted(rows(db, "SELECT guid, canonical_url FROM article_sources")) == [
        ("a", server.url("/story.html")), ("a-again", server.url("/story.html"))]
    assert len(server.requests_to("/story.html")) == 1  # a young text is not fetched again
