"""MinHash fingerprints, the facts check for templated stories, and the store's LSH index."""

from __future__ import annotations

import dataclasses
import random

import pytest

from conftest import OTHER_STORIES, STORY
from newsd.config import DedupSettings
from newsd.daemon import fingerprint as fp
from newsd.daemon.dedup import find_story, fingerprint_of
from newsd.daemon.story_facts import same_story, swapped_facts
from newsd.storage import ArticleRecord, SourceRecord, open_store

LONG = " ".join(STORY + OTHER_STORIES[0] + OTHER_STORIES[1])


def jaccard(first: str, second: str) -> float:
    a, b = fp.shingle_hashes(first), fp.shingle_hashes(second)
    return len(a & b) / len(a | b)


def test_the_same_text_has_similarity_one_whatever_its_case_and_punctuation():
    assert fp.similarity(fp.signature(LONG), fp.signature(LONG.upper().replace(",", " ;"))) == 1.0


def test_unrelated_texts_have_similarity_near_zero():
    assert fp.similarity(fp.signature(" ".join(STORY)), fp.signature(" ".join(OTHER_STORIES[3]))) < 0.1


@pytest.mark.parametrize("seed", range(5))
def test_similarity_estimates_the_shingle_jaccard(seed):
    rng = random.Random(seed)
    words = LONG.split()
    edited = [w if rng.random() > 0.08 else "edited" for w in words][: len(words) - rng.randrange(40)]
    copy = " ".join(edited)
    assert abs(fp.similarity(fp.signature(LONG), fp.signature(copy)) - jaccard(LONG, copy)) < 0.12


def test_a_text_without_words_has_no_signature_and_matches_nothing():
    assert fp.signature(" ... ") == () and fp.band_keys(()) == [] and fp.similarity((), fp.signature(LONG)) == 0.0


def test_signatures_pack_to_512_bytes_and_back():
    sig = fp.signature(LONG)
    assert len(fp.pack(sig)) == 512 and fp.unpack(fp.pack(sig)) == sig


def test_band_keys_are_one_per_band_and_the_same_on_every_run():
    keys = fp.band_keys(fp.signature(LONG))
    assert len(keys) == fp.BANDS == 32 and keys == fp.band_keys(fp.signature(LONG))
    assert all(-(2 ** 63) <= k < 2 ** 63 for k in keys)


def test_a_teaser_lies_inside_its_story():
    full = fp.shingle_hashes(LONG)
    teaser = " ".join(LONG.split()[:60])
    jaccard = fp.similarity(fp.signature(LONG), fp.signature(teaser))
    assert jaccard < 0.5 < fp.containment(jaccard, len(fp.shingle_hashes(teaser)), len(full))


def test_a_teaser_shares_the_openings_of_its_stories_first_paragraphs():
    paragraphs = [" ".join(LONG.split()[i:i + 20]) for i in range(0, 120, 20)]
    story = "\n\n".join(["BERLIN (dpa)"] + paragraphs)
    teaser = "\n\n".join(paragraphs[1:3])  # no dateline, and the lead cut too
    assert len(fp.opening_keys(story)) == fp.OPENING_PARAGRAPHS
    assert set(fp.opening_keys(teaser)) & set(fp.opening_keys(story))
    assert not set(fp.opening_keys(teaser)) & set(fp.opening_keys("\n\n".join(paragraphs[3:])))
    assert fp.opening_keys("BERLIN (dpa)\n\nShort line only.") == []


def test_short_texts_get_no_fingerprint():
    assert fingerprint_of(" ".join(["word"] * 49), DedupSettings()) is None
    assert fingerprint_of(LONG, DedupSettings()) is not None


# -- the facts check --------------------------------------------------------------

MATCH = ("Bayern Munich beat Borussia Dortmund 3-1 on Saturday, with Harry Kane scoring twice before half-time "
         "in front of 75,000 fans at the Allianz Arena. Dortmund pulled one back through Karim Adeyemi in the "
         "62nd minute, but Leroy Sane sealed the win late on. The result leaves Bayern four points clear at the top.")
OTHER_MATCH = ("RB Leipzig beat Eintracht Frankfurt 2-0 on Saturday, with Lois Openda scoring twice before half-time "
               "in front of 47,000 fans at the Red Bull Arena. Frankfurt pulled one back through Omar Marmoush in "
               "the 71st minute, but Xavi Simons sealed the win late on. The result leaves Leipzig two points clear in third.")


def test_match_reports_from_one_template_are_different_stories():
    swapped, shared = swapped_facts(MATCH, OTHER_MATCH)
    assert swapped >= 8 and not same_story(MATCH, OTHER_MATCH)


def test_an_updated_figure_and_an_added_paragraph_keep_the_story():
    update = MATCH.replace("75,000", "75,024") + "\n\nCoach Vincent Kompany praised his side's pressing after the match."
    assert same_story(MATCH, update)


def test_two_of_few_facts_swapped_make_another_story_but_an_update_at_one_url_keeps_it():
    story = ("The council voted 31 to 12 to close the old bridge to cars from next spring, after a long debate "
             "about traffic in the town centre. Shops on both banks had asked for more time to adapt, and the "
             "vote was delayed twice before members finally agreed on the plan and its costs.")
    sibling = story.replace("31 to 12", "27 to 16")
    assert swapped_facts(story, sibling) == (2, 0)
    assert not same_story(story, sibling)
    assert same_story(story, sibling, compare_facts=False)


def test_a_fact_replaced_by_a_plain_word_is_an_edit_not_a_swap():
    assert swapped_facts(MATCH, MATCH.replace("on Saturday", "at the weekend").replace("Harry Kane", "their captain"))[0] == 0


def test_one_site_allows_less_of_the_shorter_text_to_differ():
    standfirst = "Tonight's match report, with the reactions of both coaches and the table after the weekend games."
    teaser = standfirst + "\n\n" + MATCH[: len(MATCH) * 3 // 4]
    assert same_story(MATCH, teaser)
    assert not same_story(MATCH, teaser, one_site=True)


def test_a_truncated_teaser_and_another_dateline_keep_the_story():
    assert same_story(MATCH, "MUNICH (dpa) - " + MATCH[: len(MATCH) // 2])


def test_a_story_with_no_figures_at_all_keeps_matching_its_copy():
    assert same_story(" ".join(STORY), " ".join(STORY).replace("heated", "fierce"))


# -- the store's index ----------------------------------------------------------------


def article(url: str, text: str) -> ArticleRecord:
    return ArticleRecord(url=url, title="T", text=text, authors=(), published_at=None, fetched_at="2025-06-10T06:00:00Z",
                         language="en", site_name=None, word_count=len(text.split()), content_hash=url,
                         text_source="page")


def source(feed_id: int, key: str) -> SourceRecord:
    return SourceRecord(feed_id=feed_id, entry_key=key, url=None, canonical_url=None, guid=key, title="T",
                        seen_at="2025-06-10T06:00:00Z")


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "s.db") as opened:
        opened.upsert_feed("https://e.com/rss", None, (), True, "cli")
        yield opened


def test_near_candidates_are_found_through_a_shared_band(store):
    settings = DedupSettings()
    stored, _ = store.add_article(article("https://e.com/a", LONG), source(1, "a"), None, fingerprint_of(LONG, settings))
    store.add_article(article("https://e.com/b", " ".join(OTHER_STORIES[4] * 2)), source(1, "b"), None,
                      fingerprint_of(" ".join(OTHER_STORIES[4] * 2), settings))
    copy = fingerprint_of(LONG.replace("heated debate", "fierce debate"), settings)
    assert copy is not None
    assert [article_id for article_id, _ in store.near_candidates(copy.band_keys)] == [stored]


def test_a_replaced_fingerprint_leaves_no_stale_band(store):
    settings = DedupSettings()
    first = fingerprint_of(LONG, settings)
    article_id, _ = store.add_article(article("https://e.com/a", LONG), source(1, "a"), None, first)
    second = fingerprint_of(" ".join(OTHER_STORIES[5] * 2), settings)
    store.set_fingerprint(article_id, second)
    assert store.near_candidates(first.band_keys) == []
    assert store.db.execute("SELECT count(*) FROM lsh_bands").fetchone()[0] == len(second.band_keys) == fp.BANDS + 1
    store.set_fingerprint(article_id, None)
    assert store.db.execute("SELECT count(*) FROM lsh_bands").fetchone()[0] == 0


def test_a_revision_keeps_the_earlier_text(store):
    article_id, _ = store.add_article(article("https://e.com/a", "First text."), source(1, "a"))
    assert store.revise_article(article_id, article("https://e.com/a", "Second text."), None, "2025-06-11T06:00:00Z") == 1
    assert store.revise_article(article_id, article("https://e.com/a", "Third text."), None, "2025-06-12T06:00:00Z") == 2
    assert [(r["revision"], r["text"], r["replaced_at"]) for r in store.revisions(article_id)] == [
        (0, "First text.", "2025-06-11T06:00:00Z"), (1, "Second text.", "2025-06-12T06:00:00Z")]
    assert store.db.execute("SELECT text, revisions FROM articles").fetchone() == ("Third text.", 2)


def test_an_update_keeps_the_first_publication_date(store):
    first = dataclasses.replace(article("https://e.com/a", "First text."), published_at="2025-06-10T05:00:00Z")
    article_id, _ = store.add_article(first, source(1, "a"))
    update = dataclasses.replace(article("https://e.com/a", "Second text."), published_at="2025-06-11T09:00:00Z")
    store.revise_article(article_id, update, None, "2025-06-11T10:00:00Z")
    assert store.db.execute("SELECT published_at, updated_at FROM articles").fetchone() == (
        "2025-06-10T05:00:00Z", "2025-06-11T10:00:00Z")


BRIEFS = [
    "The city council voted on Tuesday to close the old harbour bridge to cars from next spring, after engineers "
    "found cracks in two of its supporting piers during a routine inspection in the summer. Cyclists and people on "
    "foot will still be able to cross, and a ferry will run every twenty minutes while the repairs last, officials "
    "said. The works are expected to take two years and to cost about 40 million euros.",
    "A fire destroyed a warehouse full of paper and cardboard on the northern industrial estate overnight, sending a "
    "column of black smoke over the motorway and forcing police to close two lanes until the early morning. No one "
    "was hurt, the fire brigade said, but residents of the nearby villages were told to keep their windows shut, and "
    "the cause of the blaze is not yet known. Investigators will visit the site on Thursday.",
    "The regional orchestra named a new principal conductor on Wednesday, ending a search that lasted almost three "
    "years after her predecessor left for a post abroad. She will lead her first concert in the spring season and "
    "has promised more contemporary music and a series of free concerts in schools across the province, the "
    "orchestra's board said in a statement. Her contract runs for five seasons, with an option to extend it.",
]


def test_one_item_further_into_a_round_up_page_is_another_story_than_the_page():
    round_up = "\n\n".join(["Here is what you need to know this morning.", *BRIEFS, "That's all for today."])
    assert same_story(round_up, BRIEFS[0][: len(BRIEFS[0]) * 2 // 3])  # its opening: a teaser of the page
    assert not same_story(round_up, BRIEFS[1])
    assert not same_story(round_up, BRIEFS[2])
    assert not same_story(BRIEFS[2], round_up)  # whichever of them came first


def test_a_rebuild_never_finds_the_story_itself_among_its_near_copies(store):
    """A story the daemon stored during a rebuild has its fingerprint already; it must not hide its real copy."""
    settings = DedupSettings()
    first, _ = store.add_article(article("https://e.com/a", LONG), source(1, "a"), None, fingerprint_of(LONG, settings))
    copy = LONG.replace("heated debate", "fierce debate")
    second, _ = store.add_article(article("https://f.com/b", copy), source(1, "b"), None, fingerprint_of(copy, settings))
    match = find_story(store, "T", copy, "no-such-hash", fingerprint_of(copy, settings), settings, itself=second)
    assert match is not None and match.article_id == first


def test_a_rebuild_merge_keeps_the_duplicates_earlier_texts(store):
    story, _ = store.add_article(article("https://e.com/a", "Story text."), source(1, "a"))
    duplicate, _ = store.add_article(article("https://f.com/b", "Copy, first print."), source(1, "b"))
    store.revise_article(duplicate, article("https://f.com/b", "Copy, updated."), None, "2025-06-11T06:00:00Z")
    store.merge_story(duplicate, story, 0.9)
    assert [r["text"] for r in store.revisions(story)] == ["Copy, first print."]
    assert store.db.execute("SELECT id, text, revisions FROM articles").fetchall() == [(story, "Story text.", 1)]
