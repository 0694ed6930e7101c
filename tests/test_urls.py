"""canonical_url: one spelling per page, so a story is stored once."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsd.daemon.urls import DEFAULT_TRACKING, canonical_url, same_site


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


def test_tracking_parameters_are_removed_and_the_others_sorted():
    url = (
        "https://example.com/a?utm_source=rss&page=2&UTM_Medium=feed&utm_campaign=x"
        "&fbclid=1&gclid=2&mc_cid=3&mc_eid=4&igshid=5&id=5"
    )
    assert canonical_url(url) == "https://example.com/a?id=5&page=2"


def test_query_order_does_not_make_another_page():
    assert canonical_url("https://example.com/a?b=2&a=1") == canonical_url("https://example.com/a?a=1&b=2")


def test_configured_tracking_parameters_extend_the_defaults():
    tracking = DEFAULT_TRACKING.extended(["ref", "pk_*"])
    url = "https://example.com/a?ref=rss&pk_campaign=x&PK_KWD=y&id=3&utm_source=z&refresh=1"
    assert canonical_url(url, tracking) == "https://example.com/a?id=3&refresh=1"
    assert canonical_url(url) == "https://example.com/a?PK_KWD=y&id=3&pk_campaign=x&ref=rss&refresh=1"


def test_percent_escapes_are_normalised():
    # unreserved characters need no escape; other escapes are upper-cased; bare non-ASCII is escaped
    assert canonical_url("https://example.com/%7euser/caf%c3%a9?q=%41%2f") == "https://example.com/~user/caf%C3%A9?q=A%2F"
    assert canonical_url("https://example.com/café") == "https://example.com/caf%C3%A9"


def test_trailing_slash_goes_but_the_root_stays():
    assert canonical_url("https://example.com/news/story/") == "https://example.com/news/story"
    assert canonical_url("https://example.com/news/story//?id=1") == "https://example.com/news/story?id=1"
    assert canonical_url("https://example.com/") == "https://example.com/"


@pytest.mark.parametrize("amp", [
    "https://example.com/news/story/amp",
    "https://example.com/news/story/amp/",
    "https://example.com/amp/news/story",
    "https://example.com/news/story.amp",
    "https://example.com/news/story?amp",
    "https://example.com/news/story?amp=1",
    "https://example.com/news/story?outputType=amp",
    "https://example-com.cdn.ampproject.org/c/s/example.com/news/story",
    "https://example-com.cdn.ampproject.org/c/s/example.com/news/story/amp?utm_source=x",
])
def test_amp_urls_map_to_their_page(amp):
    assert canonical_url(amp) == "https://example.com/news/story"


def test_amp_html_suffix_maps_to_html():
    assert canonical_url("https://example.com/news/story.amp.html") == "https://example.com/news/story.html"


@pytest.mark.parametrize("url", [
    "https://example.com/a?amp=%31", "https://example.com/a?outputType=%61mp", "https://example.com/=%a%45pp",
    "https://a-b.cdn.ampproject.org/c/s/a-b.cdn.ampproject.org/c/s/example.com/x",
])
def test_escaped_amp_markers_and_nested_caches_settle_in_one_call(url):
    once = canonical_url(url)
    assert canonical_url(once) == once


def test_a_path_that_is_only_amp_or_merely_contains_it_stays():
    assert canonical_url("https://example.com/amp") == "https://example.com/amp"
    assert canonical_url("https://example.com/news/camp") == "https://example.com/news/camp"
    assert canonical_url("https://example.com/news/story?amp=0") == "https://example.com/news/story?amp=0"


def test_same_site_ignores_www_and_case():
    assert same_site("https://www.Example.com/a", "http://example.com/b")
    assert not same_site("https://example.com/a", "https://example.org/a")
    assert not same_site("https://news.example.com/a", "https://example.com/a")
    assert not same_site("not a url", "not a url")


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
) | st.sampled_from(["amp", "AMP", "x.amp", "x.amp.html", "", "%7e", "%c3%a9"])
_param_name = st.sampled_from(["id", "q", "page", "utm_source", "UTM_Medium", "fbclid", "gclid", "ref", "a b", "x", "amp", "outputType"])
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


def test_an_amp_cache_url_wrapped_many_times_is_canonical_in_one_call():
    url = "https://" + "a-b.cdn.ampproject.org/c/s/" * 8 + "example.com/news/story/amp"
    once = canonical_url(url)
    assert once == "https://example.com/news/story" == canonical_url(once)
