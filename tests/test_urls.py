"""canonical_url: one spelling per page, so a story is stored once."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsd.daemon.urls import canonical_url


def test_scheme_and_host_are_lowercased_but_path_is_not():
    assert canonical_url("HTTP://Example.COM/Some/Path") == "http://example.com/Some/Path"


def test_default_ports_are_dropped():
    assert canonical_url("http://example.com:80/a") == "http://example.com/a"
    assert canonical_url("https://example.com:443/a") == "https://example.com/a"


def test_non_default_ports_are_kept():
    assert canonical_url("http://example.com:8080/a") == "http://example.com:8080/a"
    assert canonical_url("https://example.com:80/a") == "https://example.com:80/a"


def test_fragment_is_dropped():
    assert canonical_url("https://example.com/story#comments") == "https://example.com/story"


def test_tracking_parameters_are_removed_and_others_kept_in_order():
    url = (
        "https://example.com/a?utm_source=rss&id=5&UTM_Medium=feed&utm_campaign=x"
        "&fbclid=1&gclid=2&mc_cid=3&mc_eid=4&igshid=5&page=2"
    )
    assert canonical_url(url) == "https://example.com/a?id=5&page=2"


def test_query_of_only_tracking_parameters_disappears():
    assert canonical_url("https://example.com/a?utm_source=x&fbclid=y") == "https://example.com/a"


def test_parameter_that_merely_contains_utm_is_kept():
    assert canonical_url("https://example.com/a?xutm_source=1") == "https://example.com/a?xutm_source=1"


def test_empty_path_becomes_slash():
    assert canonical_url("https://example.com") == "https://example.com/"
    assert canonical_url("https://example.com?x=1") == "https://example.com/?x=1"


def test_surrounding_whitespace_is_stripped():
    assert canonical_url("  https://example.com/a \n") == "https://example.com/a"


def test_non_http_urls_keep_their_form_without_fragment():
    assert canonical_url("mailto:editor@example.com") == "mailto:editor@example.com"
    assert canonical_url("file:///srv/feed.xml#x") == "file:///srv/feed.xml"


def test_credentials_are_kept_and_host_lowercased():
    assert canonical_url("http://user:pw@Host.Example/") == "http://user:pw@host.example/"


def test_ipv6_host_keeps_its_brackets():
    # Without brackets "http://::1/" is no longer a URL with a host.
    assert canonical_url("http://[::1]:80/feed") == "http://[::1]/feed"
    assert canonical_url("http://[2001:DB8::1]:8080/") == "http://[2001:db8::1]:8080/"


def test_whitespace_before_a_dropped_fragment_is_idempotent():
    # Found by the idempotence properties below: the first pass strips the
    # whole string, then drops the fragment and leaves the space before it.
    once = canonical_url("http://example.com/a #top")
    assert "#" not in once
    assert canonical_url(once) == once


@pytest.mark.parametrize(
    "text",
    ["HTTP:////", "http://A.AA?id=\x85&utm_source=", "http://:80/", "\x08\x850", "\x08\x85http://E.com/a", "http://e.com/a?x= #f", "HTTP:x", "http://", "file:////x", " \u00a0#x"],
)
def test_idempotent_on_inputs_properties_have_tripped_over(text):
    once = canonical_url(text)
    assert canonical_url(once) == once


def test_unparseable_input_comes_back_stripped():
    assert canonical_url(" http://[ ") == "http://["
    assert canonical_url("http://example.com:99999999/") == "http://example.com:99999999/"


# -- properties ---------------------------------------------------------------

_hosts = st.from_regex(r"\A[a-zA-Z][a-zA-Z0-9-]{0,10}(\.[a-zA-Z]{2,6}){1,2}\Z")
_segment = st.text(
    alphabet=st.characters(codec="ascii", categories=("L", "N")) | st.sampled_from("-._~%+ \t"), max_size=8
)
_param_name = st.sampled_from(["id", "q", "page", "utm_source", "UTM_Medium", "fbclid", "gclid", "ref", "a b", "x"])
_param_value = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)


@st.composite
def http_urls(draw) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = draw(_hosts)
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "".join("/" + s for s in draw(st.lists(_segment, max_size=4)))
    if path:
        path += draw(st.sampled_from(["", "", "", " ", "\u00a0"]))  # sloppy copy-pasted links
    params = draw(st.lists(st.tuples(_param_name, _param_value), max_size=4))
    query = ("?" + "&".join(f"{k}={v}" for k, v in params)) if params else ""
    fragment = draw(st.sampled_from(["", "#top", "#"]))
    return f"{scheme}://{host}{port}{path}{query}{fragment}"


# Arbitrary text behind a URL-like start reaches the parsing branches far more often than bare text.
_urlish_text = st.builds(
    lambda start, rest: start + rest,
    st.sampled_from(["http://", "https://Example.com", "HTTP://e.com:80/a", "mailto:", "a:b", "//", ""]),
    st.text(),
)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(), _urlish_text))
def test_never_raises_on_any_text(text):
    assert isinstance(canonical_url(text), str)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(), _urlish_text))
def test_idempotent_on_any_text(text):
    once = canonical_url(text)
    assert canonical_url(once) == once


@settings(max_examples=150, deadline=None)
@given(http_urls())
def test_idempotent_on_http_urls(url):
    once = canonical_url(url)
    assert canonical_url(once) == once


@settings(max_examples=150, deadline=None)
@given(http_urls())
def test_http_urls_lose_fragment_tracking_and_default_port(url):
    result = canonical_url(url)
    parts = urlsplit(result)
    assert parts.scheme in ("http", "https")
    assert parts.hostname == urlsplit(url).hostname.lower()
    assert "#" not in result
    assert parts.port not in (80, 443) or (parts.scheme, parts.port) in (("http", 443), ("https", 80))
    names = [k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)]
    assert not any(n.startswith("utm_") or n in ("fbclid", "gclid") for n in names)
    assert parts.path.startswith("/")
