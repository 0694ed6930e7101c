"""robots.txt: RFC 9309 outcomes, group selection, one fetch per origin, TTL, bounds."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

import pytest

from conftest import Response
from newsd.config import HttpSettings
from newsd.daemon.fetcher import Fetcher, FetchResult
from newsd.daemon.robots import (
    DEFAULT_TTL,
    DEFAULT_UNREACHABLE_TTL,
    MAX_ROBOTS_BYTES,
    RobotsCache,
    access_of,
    origin_of,
    parse_robots,
    product_token,
)

UA = "newsd/0.1 (+https://github.com/newsd/newsd)"
TEXT = {"Content-Type": "text/plain"}
# host_delay 0: the politeness delay between requests to one host would only slow the tests.
SETTINGS = HttpSettings(timeout=5, user_agent=UA, host_delay=0, allow_private=True)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeFetch:
    """Answers robots.txt URLs from a dict (default 404) and records what was asked."""

    def __init__(self, answers: dict[str, FetchResult] | None = None) -> None:
        self.answers = answers or {}
        self.urls: list[str] = []
        self.gate: asyncio.Event | None = None

    async def __call__(self, url: str) -> FetchResult:
        self.urls.append(url)
        if self.gate is not None:
            await self.gate.wait()
        return self.answers.get(url) or FetchResult(url=url, final_url=url, status=404, error_kind="http")


def ok(body: str, url: str = "http://example.test/robots.txt") -> FetchResult:
    return FetchResult(url=url, final_url=url, status=200, body=body.encode())


def with_fetcher(test: Callable[[RobotsCache], Awaitable[object]], clock: Clock | None = None) -> object:
    """Run ``test`` with a RobotsCache over a real Fetcher (local server only)."""

    async def run() -> object:
        async with Fetcher(SETTINGS) as fetcher:
            cache = RobotsCache(fetcher.get, UA, clock=clock or Clock())
            return await test(cache)

    return asyncio.run(run())


# --- pure parts ---------------------------------------------------------------


@pytest.mark.parametrize(
    "user_agent, token",
    [
        (UA, "newsd"),
        ("newsd", "newsd"),
        ("  My_Bot-2/1.0", "My_Bot-"),
        ("Mozilla/5.0 (compatible; newsd/0.1)", "Mozilla"),
        ("123bot/1", ""),
        ("", ""),
    ],
)
def test_product_token_is_the_leading_letters_underscores_and_hyphens(user_agent, token):
    assert product_token(user_agent) == token


@pytest.mark.parametrize(
    "status, error_kind, access",
    [
        (200, None, "successful"),
        (204, None, "successful"),
        (404, "http", "unavailable"),
        (403, "http", "unavailable"),
        (410, "http", "unavailable"),
        (429, "http", "unreachable"),  # rate limited: not a licence to crawl
        (500, "http", "unreachable"),
        (503, "http", "unreachable"),
        (301, "redirects", "unavailable"),
        (None, "redirects", "unavailable"),
        (None, "connect", "unreachable"),
        (None, "dns", "unreachable"),
        (None, "timeout", "unreachable"),
        (200, "too_large", "unreachable"),
        (200, "protocol", "unreachable"),
    ],
)
def test_access_follows_rfc_9309(status, error_kind, access):
    assert access_of(status, error_kind) == access


def test_origin_is_scheme_host_and_port_other_than_the_default():
    assert origin_of("HTTP://Example.COM:80/a/b?c#d") == "http://example.com"
    assert origin_of("https://example.com.:443/") == "https://example.com"
    assert origin_of("https://example.com:8443/x") == "https://example.com:8443"
    assert origin_of("http://[::1]:8080/x") == "http://[::1]:8080"
    assert origin_of("file:///tmp/a.html") is None
    assert origin_of("http://example.com:99999/") is None
    assert origin_of("http:///nohost") is None


def test_longest_match_wins_and_wildcards_apply():
    rules = parse_robots(b"User-agent: *\nDisallow: /news/\nAllow: /news/public/\nDisallow: /*.pdf$\n")
    assert rules.can_fetch("http://h/news/public/1", "newsd")
    assert not rules.can_fetch("http://h/news/2", "newsd")
    assert not rules.can_fetch("http://h/files/a.pdf", "newsd")
    assert rules.can_fetch("http://h/files/a.pdf?x=1", "newsd")


def test_only_the_first_500_kib_are_parsed():
    padding = b"# " + b"x" * MAX_ROBOTS_BYTES + b"\n"
    rules = parse_robots(b"User-agent: *\nDisallow: /a/\n" + padding + b"Disallow: /b/\n")
    assert not rules.can_fetch("http://h/a/1", "newsd")
    assert rules.can_fetch("http://h/b/1", "newsd")


# --- against the local server -------------------------------------------------


def test_disallowed_path_is_refused_and_others_allowed(server):
    server.routes["/robots.txt"] = Response("User-agent: *\nDisallow: /private/\n", headers=TEXT)

    async def check(cache: RobotsCache) -> None:
        assert await cache.allowed(server.url("/private/x")) is False
        assert await cache.allowed(server.url("/news/x")) is True
        assert await cache.allowed(server.url("/private")) is True  # a prefix match, not a directory match

    with_fetcher(check)
    assert len(server.requests_to("/robots.txt")) == 1
    assert server.requests_to("/robots.txt")[0].headers["user-agent"] == UA


def test_missing_robots_txt_allows_everything(server):
    async def check(cache: RobotsCache) -> None:
        assert await cache.allowed(server.url("/private/x")) is True
        assert await cache.allowed(server.url("/")) is True

    with_fetcher(check)
    assert len(server.requests_to("/robots.txt")) == 1


def test_server_error_disallows_everything_and_is_asked_again_sooner(server):
    server.routes["/robots.txt"] = Response("oops", status=500, headers=TEXT)
    clock = Clock()

    async def check(cache: RobotsCache) -> None:
        assert await cache.allowed(server.url("/news/x")) is False
        clock.now += DEFAULT_UNREACHABLE_TTL - 1
        assert await cache.allowed(server.url("/news/y")) is False
        assert len(server.requests_to("/robots.txt")) == 1
        server.routes["/robots.txt"] = Response("User-agent: *\nDisallow: /private/\n", headers=TEXT)
        clock.now += 2  # 10 minutes on, not 24 hours
        assert await cache.allowed(server.url("/news/x")) is True
        assert len(server.requests_to("/robots.txt")) == 2

    with_fetcher(check, clock)


def test_fetched_once_per_origin_across_many_and_concurrent_calls(server):
    # Slow enough that the concurrent callers really wait on one fetch.
    server.routes["/robots.txt"] = Response("User-agent: *\nDisallow: /private/\n", headers=TEXT, delay=0.1)

    async def check(cache: RobotsCache) -> list[bool]:
        urls = [server.url(f"/news/{i}") for i in range(20)] + [server.url(f"/private/{i}") for i in range(20)]
        answers = list(await asyncio.gather(*(cache.allowed(u) for u in urls)))
        answers += [await cache.allowed(u) for u in urls]
        return answers

    answers = with_fetcher(check)
    assert answers == ([True] * 20 + [False] * 20) * 2
    assert len(server.requests_to("/robots.txt")) == 1


def test_expired_entry_is_fetched_again(server):
    server.routes["/robots.txt"] = Response("User-agent: *\nDisallow: /private/\n", headers=TEXT)
    clock = Clock()

    async def check(cache: RobotsCache) -> None:
        assert await cache.allowed(server.url("/private/x")) is False
        server.routes["/robots.txt"] = Response("User-agent: *\nDisallow:\n", headers=TEXT)
        clock.now += DEFAULT_TTL - 1
        assert await cache.allowed(server.url("/private/x")) is False  # still the cached rules
        clock.now += 2
        assert await cache.allowed(server.url("/private/x")) is True

    with_fetcher(check, clock)
    assert len(server.requests_to("/robots.txt")) == 2


def test_a_group_for_newsd_beats_the_star_group(server):
    server.routes["/robots.txt"] = Response(
        "User-agent: *\nDisallow: /\n\nUser-agent: newsd\nDisallow: /private/\nCrawl-delay: 2.5\n", headers=TEXT
    )

    async def run() -> None:
        async with Fetcher(SETTINGS) as fetcher:
            newsd = RobotsCache(fetcher.get, UA)
            assert await newsd.allowed(server.url("/news/x")) is True
            assert await newsd.allowed(server.url("/private/x")) is False
            assert newsd.crawl_delay(server.url("/news/x")) == 2.5
            other = RobotsCache(fetcher.get, "otherbot/1.0")
            assert await other.allowed(server.url("/news/x")) is False
            assert other.crawl_delay(server.url("/news/x")) is None

    asyncio.run(run())


def test_crawl_delay_of_the_star_group_and_unknown_hosts(server):
    server.routes["/robots.txt"] = Response("User-agent: *\nCrawl-delay: 7\nDisallow: /x/\n", headers=TEXT)

    async def check(cache: RobotsCache) -> None:
        assert cache.crawl_delay(server.url("/a")) is None  # not fetched yet: crawl_delay never fetches
        await cache.allowed(server.url("/a"))
        assert cache.crawl_delay(server.url("/a")) == 7.0
        assert cache.crawl_delay("http://elsewhere.test/a") is None

    with_fetcher(check)


# --- cache behaviour, with a fake fetch ---------------------------------------


def test_each_origin_has_its_own_robots_txt():
    fetch = FakeFetch()
    cache = RobotsCache(fetch, UA, clock=Clock())

    async def run() -> None:
        for url in ("http://a.test/1", "http://A.test:80/2", "https://a.test/3", "http://a.test:8080/4", "http://b.test/5"):
            assert await cache.allowed(url)

    asyncio.run(run())
    assert fetch.urls == [
        "http://a.test/robots.txt",
        "https://a.test/robots.txt",
        "http://a.test:8080/robots.txt",
        "http://b.test/robots.txt",
    ]


def test_urls_without_robots_txt_are_allowed_without_a_fetch():
    fetch = FakeFetch()
    cache = RobotsCache(fetch, UA)
    assert asyncio.run(cache.allowed("file:///tmp/page.html")) is True
    assert asyncio.run(cache.allowed("http://bad:port/")) is True
    assert fetch.urls == []


def test_network_failure_keeps_the_last_good_copy_and_retries_sooner():
    url = "http://example.test/robots.txt"
    fetch = FakeFetch({url: ok("User-agent: *\nDisallow: /private/\n")})
    clock = Clock()
    cache = RobotsCache(fetch, UA, clock=clock)

    async def run() -> None:
        assert await cache.allowed("http://example.test/news") is True
        fetch.answers[url] = FetchResult(url=url, final_url=url, error_kind="timeout", error="slow")
        clock.now += DEFAULT_TTL + 1
        # RFC 9309 2.4: the last good rules still apply while the file is unreachable.
        assert await cache.allowed("http://example.test/news") is True
        assert await cache.allowed("http://example.test/private/1") is False
        clock.now += DEFAULT_UNREACHABLE_TTL + 1
        await cache.allowed("http://example.test/news")

    asyncio.run(run())
    assert len(fetch.urls) == 3


def test_network_failure_without_a_good_copy_disallows_everything():
    url = "http://example.test/robots.txt"
    fetch = FakeFetch({url: FetchResult(url=url, final_url=url, error_kind="connect", error="refused")})
    cache = RobotsCache(fetch, UA, clock=Clock())
    assert asyncio.run(cache.allowed("http://example.test/news")) is False


def test_cache_size_is_bounded_least_recently_used_first():
    fetch = FakeFetch()
    cache = RobotsCache(fetch, UA, max_origins=2, clock=Clock())

    async def run() -> None:
        await cache.allowed("http://a.test/")
        await cache.allowed("http://b.test/")
        await cache.allowed("http://a.test/x")  # a is now the most recent
        await cache.allowed("http://c.test/")  # evicts b
        assert len(cache) == 2
        await cache.allowed("http://a.test/y")
        await cache.allowed("http://b.test/y")

    asyncio.run(run())
    assert [u.split("/")[2] for u in fetch.urls] == ["a.test", "b.test", "c.test", "b.test"]


def test_a_cancelled_caller_does_not_cancel_the_shared_fetch():
    fetch = FakeFetch({"http://example.test/robots.txt": ok("User-agent: *\nDisallow: /private/\n")})
    cache = RobotsCache(fetch, UA, clock=Clock())

    async def run() -> bool:
        fetch.gate = asyncio.Event()
        first = asyncio.ensure_future(cache.allowed("http://example.test/news"))
        second = asyncio.ensure_future(cache.allowed("http://example.test/private/1"))
        await asyncio.sleep(0)
        first.cancel()
        await asyncio.sleep(0)
        fetch.gate.set()
        answer = await second
        assert first.cancelled()
        return answer

    assert asyncio.run(run()) is False
    assert len(fetch.urls) == 1


def test_a_failing_fetch_reaches_the_callers_and_is_not_cached():
    calls = []

    async def broken(url: str) -> FetchResult:
        calls.append(url)
        raise RuntimeError("bug")

    cache = RobotsCache(broken, UA, clock=Clock())

    async def run() -> None:
        results = await asyncio.gather(
            cache.allowed("http://example.test/a"), cache.allowed("http://example.test/b"), return_exceptions=True
        )
        assert all(isinstance(r, RuntimeError) for r in results)
        with pytest.raises(RuntimeError):
            await cache.allowed("http://example.test/c")

    asyncio.run(run())
    assert len(calls) == 2 and len(cache) == 0


def test_a_refusal_by_the_guard_is_not_kept_for_other_feeds():
    """Feed B's link to feed A's intranet host is refused; A's own poll must still read the real file."""
    url = "http://wiki.corp.test/robots.txt"
    fetch = FakeFetch({url: FetchResult(url=url, final_url=url, error_kind="refused", error="refused: private")})
    cache = RobotsCache(fetch, UA, clock=Clock())

    async def run() -> tuple[bool, bool]:
        refused = await cache.allowed("http://wiki.corp.test/page")  # asked from feed B's poll
        fetch.answers[url] = ok("User-agent: *\nDisallow: /private/\n")  # feed A's poll may reach it
        return refused, await cache.allowed("http://wiki.corp.test/page")

    assert asyncio.run(run()) == (False, True)
    assert fetch.urls == [url, url]
