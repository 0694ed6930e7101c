"""Plain-text helpers (HTML to paragraphs, hashing, counting) and date helpers."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, strategies as st

from newsd.daemon.dates import clamp_future, from_struct_time, iso_utc, parse_iso
from newsd.daemon.text import content_hash, html_to_text, normalise_for_hash, word_count

# -- html_to_text ---------------------------------------------------------------


def test_paragraphs_become_blocks_separated_by_a_blank_line():
    assert html_to_text("<p>One</p><p>Two <b>bold</b> here</p>") == "One\n\nTwo bold here"


def test_br_separates_paragraphs():
    assert html_to_text("line one<br>line two<br/>line three") == "line one\n\nline two\n\nline three"


def test_list_items_become_paragraphs():
    assert html_to_text("<ul><li>first</li><li>second</li></ul>") == "first\n\nsecond"


def test_inline_elements_do_not_split_words_apart():
    assert html_to_text("<p>an <a href='/x'>inline</a> <em>link</em>, then more</p>") == "an inline link, then more"


def test_scripts_and_styles_are_dropped():
    text = html_to_text("<p>kept</p><script>var secret = 1;</script><style>p { color: red }</style><p>also kept</p>")
    assert text == "kept\n\nalso kept"
    assert "secret" not in text and "color" not in text


def test_embeds_and_their_fallback_markup_are_dropped():
    """feedparser no longer sanitises the markup (newsd keeps only text), so the embeds are skipped here."""
    fragment = ('<p>kept</p><iframe src="https://ads.example/x">Your browser does not support frames</iframe>'
                '<object data="v.swf">Install Flash</object><embed src="a.swf"><title>page head</title><p>after</p>')
    assert html_to_text(fragment) == "kept\n\nafter"


def test_text_after_a_script_in_the_same_paragraph_is_kept():
    assert html_to_text("<p>before<script>x()</script> after</p>") == "before after"


def test_whitespace_inside_a_paragraph_is_collapsed():
    assert html_to_text("<p>  lots \n of\t  space </p>") == "lots of space"


def test_deeply_nested_html_does_not_crash_and_keeps_its_text():
    """Feed HTML can nest deeper than Python's recursion limit and libxml2's default depth."""
    nested = "<p>before</p>" + "<div>" * 5000 + "deep text" + "</div>" * 5000 + "<p>after</p>"
    started = time.perf_counter()
    text = html_to_text(nested)
    assert time.perf_counter() - started < 1.0
    assert text.split("\n\n") == ["before", "deep text", "after"]


def test_plain_text_is_unescaped_and_keeps_its_paragraphs():
    assert html_to_text("Fish &amp; chips &lt;3\n\nsecond   para") == "Fish & chips <3\n\nsecond para"


@pytest.mark.parametrize("empty", [None, "", "   \n\t "])
def test_empty_input_gives_empty_text(empty):
    assert html_to_text(empty) == ""


def test_entities_inside_html_are_decoded():
    assert html_to_text("<p>caf&eacute; &amp; bar &#8211; ok</p>") == "café & bar – ok"


# -- hashing and counting -----------------------------------------------------


def test_content_hash_ignores_case_punctuation_and_whitespace():
    a = "The Council voted, on Tuesday!  To expand bike lanes."
    b = "the council voted on tuesday to\nexpand bike lanes"
    assert normalise_for_hash(a) == normalise_for_hash(b)
    assert content_hash(a) == content_hash(b)


def test_content_hash_differs_for_different_words():
    assert content_hash("the council voted to expand bike lanes") != content_hash(
        "the council voted to close bike lanes"
    )


def test_content_hash_is_a_stable_hex_digest():
    digest = content_hash("hello world")
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest == content_hash("Hello, World!")


def test_word_count():
    assert word_count("one two  three\nfour\n\nfive") == 5
    assert word_count("") == 0
    assert word_count("   ") == 0


# -- dates --------------------------------------------------------------------


def test_from_struct_time_gives_utc_iso():
    value = time.strptime("2025-01-02 03:04:05", "%Y-%m-%d %H:%M:%S")
    assert from_struct_time(value) == "2025-01-02T03:04:05Z"


def test_from_struct_time_of_none_is_none():
    assert from_struct_time(None) is None


def test_from_struct_time_out_of_range_is_none_not_an_error():
    far = time.struct_time((99999, 1, 1, 0, 0, 0, 0, 1, 0))
    assert from_struct_time(far) is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2025-01-02T03:04:05+02:00", "2025-01-02T01:04:05Z"),
        ("2025-01-02T03:04:05-05:30", "2025-01-02T08:34:05Z"),
        ("2025-01-02T03:04:05Z", "2025-01-02T03:04:05Z"),
        ("2025-01-02T03:04:05.123456Z", "2025-01-02T03:04:05Z"),
        ("2025-01-02T03:04:05", "2025-01-02T03:04:05Z"),  # no zone: taken as UTC
        ("2025-01-02", "2025-01-02T00:00:00Z"),
        ("  2025-01-02T03:04:05Z \n", "2025-01-02T03:04:05Z"),
        ("2024-12-31T23:30:00-01:00", "2025-01-01T00:30:00Z"),  # crosses a year boundary
    ],
)
def test_parse_iso(given, expected):
    assert parse_iso(given) == expected


@pytest.mark.parametrize("unreadable", [None, "", "yesterday", "2025-13-45", "Mon, 06 Jan 2025 10:30:00 +0200"])
def test_parse_iso_of_unreadable_value_is_none(unreadable):
    assert parse_iso(unreadable) is None


def test_iso_utc_takes_naive_datetimes_as_utc():
    from datetime import datetime, timedelta, timezone

    assert iso_utc(datetime(2025, 5, 6, 7, 8, 9)) == "2025-05-06T07:08:09Z"
    assert iso_utc(datetime(2025, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=3)))) == "2025-05-06T04:08:09Z"


def test_iso_utc_drops_microseconds_and_pads_the_year():
    from datetime import datetime, timezone

    assert iso_utc(datetime(2025, 5, 6, 7, 8, 9, 999999, tzinfo=timezone.utc)) == "2025-05-06T07:08:09Z"
    assert iso_utc(datetime(1, 1, 1, tzinfo=timezone.utc)) == "0001-01-01T00:00:00Z"  # still sorts as a string


def test_clamp_future_replaces_dates_after_the_fetch_with_the_fetch_time():
    fetched = "2025-01-01T00:00:00Z"
    assert clamp_future("2030-01-01T00:00:00Z", fetched) == fetched
    assert clamp_future("2025-01-01T00:00:01Z", fetched) == fetched


def test_clamp_future_keeps_past_dates_and_none():
    fetched = "2025-01-01T00:00:00Z"
    assert clamp_future("2020-06-01T12:00:00Z", fetched) == "2020-06-01T12:00:00Z"
    assert clamp_future(fetched, fetched) == fetched
    assert clamp_future(None, fetched) is None


@given(st.text())
def test_normalise_for_hash_is_the_formula_stored_hashes_were_made_with(text):
    import re

    assert normalise_for_hash(text) == " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())
