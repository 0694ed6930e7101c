"""Site-learned boilerplate: the pure logic, then a small site learned through newsd fetch."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from newsd.config import SiteLearningSettings
from newsd.daemon.boilerplate import Removed
from newsd.daemon.extract import Document
from newsd.daemon.site_learning import (
    Learned,
    is_learned,
    learn_and_clean,
    learned_from,
    learned_paragraphs,
    paragraph_key,
    paragraph_keys,
    remove_site_boilerplate,
    site_of,
)
from newsd.storage import ParagraphStat, open_store
from synthetic_site import BACKGROUND, FOOTER, STORIES, WITHOUT_MODEL, SyntheticSite

SETTINGS = SiteLearningSettings()
STORY = "The council met on Tuesday and agreed a budget for the new tram line after a long debate."
OTHER = "Residents will be able to comment on the route at three public meetings over the summer."
DONATE = "Keep our reporting free: a small gift each month pays for the next story."


# -- pure logic -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.Example.org/news/a.html", "example.org"),
        ("https://news.example.org/a", "news.example.org"),
        ("http://127.0.0.1:8080/a", "127.0.0.1"),
        ("https://WWW.EXAMPLE.ORG./a", "example.org"),
        ("file:///srv/archive/a.html", None),
        (None, None),
    ],
)
def test_site_of(url, site):
    assert site_of(url) == site


def test_paragraph_key_folds_case_punctuation_and_spacing_but_keeps_digits():
    assert paragraph_key("Support us — donate TODAY!") == paragraph_key("support us,  donate today")
    assert paragraph_key("© 2024 Example News") != paragraph_key("© 2025 Example News")
    assert paragraph_key("***") is None and paragraph_key("") is None
    assert len(paragraph_key("x") or "") == 32


def test_paragraph_keys_counts_a_repeat_inside_one_text_once():
    keys = paragraph_keys(f"{STORY}\n\n{DONATE}\n\n{DONATE.upper()}\n\n---")
    assert list(keys.values()) == [STORY, DONATE]


@pytest.mark.parametrize(
    ("articles", "seen_in", "expected"),
    [
        (3, 3, True),  # the third article with the footer: learned at once
        (2, 2, False),  # two articles are not enough, whatever the share
        (3, 6, True),  # half of the articles since it appeared
        (3, 7, False),  # a background paragraph in 3 of 7 follow-ups
        (3, 40, False),
        (30, 40, True),
    ],
)
def test_is_learned_needs_both_a_count_and_a_share(articles, seen_in, expected):
    assert is_learned(articles, seen_in, min_articles=3, min_share=0.5) is expected


def test_learned_from_measures_the_share_since_a_paragraph_first_appeared():
    stats = [
        ParagraphStat("old-footer", articles=3, first_seq=1, sample="a"),  # 3 of 10
        ParagraphStat("new-footer", articles=3, first_seq=8, sample="b"),  # 3 of the last 3
        ParagraphStat("quote", articles=2, first_seq=9, sample="c"),
    ]
    learned = learned_from(10, stats, SETTINGS)
    assert learned == {"new-footer": Learned(articles=3, seen_in=3, sample="b")}
    assert learned["new-footer"].share == 1.0
    strict = learned_from(10, stats, SiteLearningSettings(min_articles=2, min_share=0.6))
    assert set(strict) == {"new-footer", "quote"}


def learned_for(*paragraphs: str, articles: int = 4, seen_in: int = 4) -> dict[str, Learned]:
    return {paragraph_key(p) or "": Learned(articles, seen_in, p[:200]) for p in paragraphs}


def test_remove_site_boilerplate_takes_the_learned_paragraphs_and_says_why():
    earlier = Removed("Share this article", "share")
    document = Document(text=f"{STORY}\n\n{DONATE.lower()}\n\n{OTHER}", title="Tram", removed=(earlier,))
    cleaned = remove_site_boilerplate(document, "e.com", learned_for(DONATE))
    assert cleaned.text == f"{STORY}\n\n{OTHER}"
    assert cleaned.removed == (earlier, Removed(DONATE.lower(), "site:e.com (in 4 of 4 articles)"))
    assert cleaned.title == "Tram"


def test_remove_site_boilerplate_leaves_a_document_without_learned_paragraphs_alone():
    document = Document(text=f"{STORY}\n\n{OTHER}")
    assert remove_site_boilerplate(document, "e.com", learned_for(DONATE)) is document
    assert remove_site_boilerplate(document, "e.com", {}) is document


def test_remove_site_boilerplate_removes_nothing_when_it_would_take_most_of_the_words():
    """A story that is mostly "recurring" text is a duplicate, not a story in boilerplate."""
    document = Document(text=f"{STORY}\n\n{OTHER}\n\nShort one.")
    assert remove_site_boilerplate(document, "e.com", learned_for(STORY, OTHER)) is document
    half = Document(text=f"{STORY}\n\n{STORY.replace('tram', 'metro')}")  # exactly half: still removed
    assert remove_site_boilerplate(half, "e.com", learned_for(STORY)).text == STORY.replace("tram", "metro")


# -- through a store --------------------------------------------------------------------------


def test_learn_and_clean_counts_first_so_the_third_article_already_loses_the_footer(tmp_path):
    with open_store(tmp_path / "s.db") as store:
        texts = [f"Story number {i} about the {word} works: {STORY}" for i, word in enumerate(["road", "rail", "port", "dam"])]
        results = []
        for text in texts:
            with store.transaction():
                results.append(learn_and_clean(store, "e.com", Document(text=f"{text}\n\n{DONATE}"), SETTINGS))
        assert [DONATE in r.text for r in results] == [True, True, False, False]
        assert results[2].removed[-1] == Removed(DONATE, "site:e.com (in 3 of 3 articles)")
        assert results[3].text == texts[3]
        learned = learned_paragraphs(store, "e.com", SETTINGS)
        assert list(learned.values()) == [Learned(4, 4, DONATE)]
        assert learned_paragraphs(store, "e.com", SiteLearningSettings(min_articles=5)) == {}
        assert learned_paragraphs(store, "unknown.org", SETTINGS) == {}


# -- a site learned through newsd fetch ---------------------------------------------------------


def texts(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT url, text FROM articles"))


def fetch_one_by_one(site: SyntheticSite, run_cli, config: Path) -> None:
    """Publish the articles one poll at a time, so they are learned in order."""
    for published in range(1, len(STORIES) + 1):
        site.published = published
        result = run_cli("--config", str(config), "fetch")
        assert result.exit_code == 0 and "1 new" in result.output, result.output


def test_a_recurring_paragraph_is_learned_from_the_third_article_on(server, write_config, run_cli, tmp_path):
    site = SyntheticSite(server)
    config = write_config(site.feed_url, extra=WITHOUT_MODEL)
    fetch_one_by_one(site, run_cli, config)
    stored = texts(tmp_path / "newsd.db")
    with_footer = [n for n in range(1, 6) if FOOTER in stored[site.page_url(n)]]
    assert with_footer == [1, 2]  # stored before the footer was known; 'newsd reextract' cleans them
    for number, (_, paragraphs) in enumerate(STORIES, start=1):
        assert all(p in stored[site.page_url(number)] for p in paragraphs), number  # no story text lost
    # The background paragraph two follow-ups share stays in both.
    assert [n for n in range(1, 6) if BACKGROUND in stored[site.page_url(n)]] == [2, 4]

    with sqlite3.connect(tmp_path / "newsd.db") as conn:
        assert conn.execute("SELECT site, articles FROM sites").fetchall() == [("127.0.0.1", 5)]
        footer = conn.execute("SELECT articles, first_seq, sample FROM site_paragraphs WHERE key = ?",
                              [paragraph_key(FOOTER)]).fetchone()
        background = conn.execute("SELECT articles, first_seq FROM site_paragraphs WHERE key = ?",
                                  [paragraph_key(BACKGROUND)]).fetchone()
    assert footer == (5, 1, FOOTER[:200])
    assert background == (2, 2)


def test_a_known_article_is_never_counted_again(server, write_config, run_cli, tmp_path):
    site = SyntheticSite(server, published=2)
    config = write_config(site.feed_url, extra=WITHOUT_MODEL)
    assert run_cli("--config", str(config), "fetch").exit_code == 0
    # The same feed again, and a second feed carrying a stored story: no new article, no new count.
    server.routes["/other.xml"] = server.routes["/feed.xml"]
    config = write_config(site.feed_url, server.url("/other.xml"), extra=WITHOUT_MODEL)
    result = run_cli("--config", str(config), "fetch", "--json")
    assert result.exit_code == 0 and '"articles_new": 0' in result.output
    with sqlite3.connect(tmp_path / "newsd.db") as conn:
        assert conn.execute("SELECT articles FROM sites").fetchall() == [(2,)]
        assert conn.execute("SELECT articles FROM site_paragraphs WHERE key = ?", [paragraph_key(FOOTER)]).fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM article_sources").fetchone()[0] == 4


def test_site_learning_can_be_switched_off(server, write_config, run_cli, tmp_path):
    site = SyntheticSite(server)
    config = write_config(site.feed_url, extra=WITHOUT_MODEL + "[site_learning]\nenabled = false\n")
    fetch_one_by_one(site, run_cli, config)
    stored = texts(tmp_path / "newsd.db")
    assert all(FOOTER in stored[site.page_url(n)] for n in range(1, 6))
    with sqlite3.connect(tmp_path / "newsd.db") as conn:
        assert conn.execute("SELECT count(*) FROM sites").fetchone()[0] == 0
