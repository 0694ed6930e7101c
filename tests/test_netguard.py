"""The network guard: private addresses, the URL check, the resolver, the middleware.

Only loopback is ever connected to; names other than "localhost" go to a fake resolver.
"""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from conftest import Response
from newsd.daemon.netguard import (
    HINT,
    GuardedResolver,
    PrivateAddressRefused,
    is_private_address,
    normalize_host,
    parse_ip,
    refusal_reason,
    refused,
    trusting,
)

FEED = "https://news.example.test/feed.xml"

PRIVATE = [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "100.127.255.254", "0.0.0.0", "0.1.2.3", "255.255.255.255", "240.0.0.1", "224.0.0.1",
    "239.255.255.250", "192.0.2.1", "198.18.0.1", "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1",
    "fec0::1", "ff02::1", "ff0e::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "2001:db8::1",
    "2002:7f00:1::", "64:ff9b::a00:1", "64:ff9b:1::1", "::7f00:1", "100::1",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "2a00:1450:4001:81d::200e",
          "::ffff:93.184.216.34", "2002:5db8:d822::1", "64:ff9b::5db8:d822"]


@pytest.mark.parametrize("ip", PRIVATE)
def test_private_addresses(ip):
    assert is_private_address(ip)


@pytest.mark.parametrize("ip", PUBLIC)
def test_global_addresses(ip):
    assert not is_private_address(ip)


def test_not_an_address_is_a_value_error():
    with pytest.raises(ValueError):
        is_private_address("example.com")


@pytest.mark.parametrize(
    "host, ip",
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("10.0.0.5.", "10.0.0.5"),
        ("::1", "::1"),
        ("fe80::1%25eth0", "fe80::1"),
        ("example.com", None),
        ("1.2.3.4.5", None),
        ("0x.example", None),
    ],
)
def test_url_hosts_that_spell_addresses(host, ip):
    got = parse_ip(host)
    assert (str(got) if got else None) == ip


# --- refusal_reason: the URL check, no DNS -------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x", "http://127.0.0.1:8080/x", "http://10.0.0.5/x", "http://192.168.1.1/admin",
        "http://169.254.169.254/latest/meta-data/", "http://[::1]/x", "http://[fe80::1%25eth0]/x",
        "http://[fc00::1]/x", "http://[::ffff:127.0.0.1]/x", "http://100.64.0.1/x", "http://0.0.0.0:9000/x",
        "http://127.1/x", "http://2130706433/x", "http://localhost/x", "http://LOCALHOST.:8000/x",
        "http://admin.localhost/x", "https://user:pw@10.0.0.5/x",
    ],
)
def test_private_literals_and_localhost_names_are_refused(url):
    reason = refusal_reason(url, FEED, allow_private=False)
    assert reason is not None and reason.startswith(f"refused: {url}: host ") and reason.endswith(HINT)
    assert refusal_reason(url, FEED, allow_private=True) is None


def test_the_refusal_names_the_address():
    assert refusal_reason("http://10.0.0.5/x", FEED, False) == f"refused: http://10.0.0.5/x: host 10.0.0.5 is private address 10.0.0.5; {HINT}"
    assert refusal_reason("http://127.1/x", FEED, False).startswith("refused: http://127.1/x: host 127.1 is private address 127.0.0.1;")
    assert "host localhost is a loopback name" in refusal_reason("http://localhost/x", FEED, False)


@pytest.mark.parametrize(
    "article, feed",
    [
        ("http://127.0.0.1:9000/a", "http://127.0.0.1:8000/feed"),  # any port of the feed's host
        ("https://10.0.0.5/a", "http://10.0.0.5/feed"),
        ("http://LOCALHOST/a", "http://localhost.:8080/feed"),
        ("http://[::1]/a", "http://[::1]:8080/feed"),
        ("http://192.168.1.10/a", "http://192.168.1.10/rss"),
    ],
)
def test_the_feeds_own_host_is_allowed(article, feed):
    assert refusal_reason(article, feed, allow_private=False) is None


def test_another_private_host_than_the_feeds_is_refused():
    assert refusal_reason("http://10.0.0.6/a", "http://10.0.0.5/feed", False) is not None
    assert refusal_reason("http://localhost/a", "http://127.0.0.1/feed", False) is not None


def test_global_literals_and_names_pass_without_dns():
    assert refusal_reason("http://93.184.216.34/a", FEED, False) is None
    assert refusal_reason("http://[2606:4700::1111]/a", FEED, False) is None
    # A name is the resolver's to judge: no lookup happens here.
    assert refusal_reason("https://www.example.test/a", FEED, False) is None
    assert refusal_reason("https://localhost.example.test/a", FEED, False) is None


def test_schemes_and_malformed_urls():
    assert "local file" in refusal_reason("file:///etc/passwd", FEED, False)
    assert "local file" in refusal_reason("file:///etc/passwd", FEED, True)
    assert refusal_reason("file:///archive/a.html", "file:///archive/feed.xml", False) is None
    assert "scheme 'gopher'" in refusal_reason("gopher://example.test/", FEED, False)
    assert "no host" in refusal_reason("http:///path", FEED, False)
    assert "invalid URL" in refusal_reason("http://[::1/oops", FEED, False)


# --- GuardedResolver, over a fake resolver -------------------------------------


class FakeResolver(AbstractResolver):
    """Answers every name with the given addresses; records the calls."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses
        self.calls: list[tuple[str, int, int]] = []
        self.closed = False

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append((host, port, family))
        return [
            ResolveResult(hostname=host, host=a, port=port, family=socket.AF_INET6 if ":" in a else socket.AF_INET,
                          proto=0, flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV)
            for a in self.addresses
        ]

    async def close(self) -> None:
        self.closed = True


def resolve(guard: GuardedResolver, host: str, trusted: str | None = None) -> list[ResolveResult]:
    async def run() -> list[ResolveResult]:
        with trusting(trusted):
            return await guard.resolve(host, 443, family=socket.AF_UNSPEC)

    return asyncio.run(run())


def test_a_name_resolving_to_a_private_address_is_refused():
    guard = GuardedResolver(FakeResolver("10.0.0.5"))
    with pytest.raises(PrivateAddressRefused) as caught:
        resolve(guard, "www.example.test")
    assert str(caught.value) == (
        "refused: www.example.test resolves to private address 10.0.0.5; a feed's links may reach private "
        "addresses only on the feed's own host (set [http] allow_private = true to allow)"
    )
    assert (caught.value.host, caught.value.address) == ("www.example.test", "10.0.0.5")
    assert isinstance(caught.value, OSError)


def test_a_public_answer_passes_through_unchanged():
    inner = FakeResolver("93.184.216.34", "2606:4700::1111")
    guard = GuardedResolver(inner)
    answer = resolve(guard, "www.example.test")
    assert [r["host"] for r in answer] == ["93.184.216.34", "2606:4700::1111"]
    assert inner.calls == [("www.example.test", 443, socket.AF_UNSPEC)]


def test_one_private_address_among_public_ones_refuses_the_name():
    guard = GuardedResolver(FakeResolver("93.184.216.34", "::ffff:192.168.0.1"))
    with pytest.raises(PrivateAddressRefused, match="::ffff:192.168.0.1"):
        resolve(guard, "rebind.example.test")


def test_the_trusted_host_of_the_request_may_resolve_anywhere_and_no_other():
    inner = FakeResolver("10.0.0.5")
    guard = GuardedResolver(inner)
    assert resolve(guard, "intranet.example.test.", trusted="https://Intranet.Example.TEST:8443/feed.xml")
    with pytest.raises(PrivateAddressRefused):  # the same cached answer, for a request that does not trust it
        resolve(guard, "intranet.example.test")
    with pytest.raises(PrivateAddressRefused):
        resolve(guard, "other.example.test", trusted="https://intranet.example.test/feed.xml")
    assert [call[0] for call in inner.calls] == ["intranet.example.test.", "other.example.test"]  # cached once


def test_trust_is_per_task_so_concurrent_polls_do_not_share_it():
    guard = GuardedResolver(FakeResolver("10.0.0.5"))

    async def poll(feed: str, link_host: str) -> str:
        with trusting(feed):
            await asyncio.sleep(0.01)  # the other poll runs meanwhile, with its own trust
            try:
                await guard.resolve(link_host, 443)
                return "reached"
            except PrivateAddressRefused:
                return "refused"

    async def both() -> list[str]:
        return await asyncio.gather(poll("https://a.example.test/feed", "b.example.test"),
                                    poll("https://b.example.test/feed", "b.example.test"))

    assert asyncio.run(both()) == ["refused", "reached"]


def test_allow_private_turns_the_resolver_check_off():
    guard = GuardedResolver(FakeResolver("127.0.0.1"), allow_private=True)
    assert resolve(guard, "www.example.test")[0]["host"] == "127.0.0.1"


def test_close_closes_only_a_resolver_it_made():
    inner = FakeResolver("93.184.216.34")
    asyncio.run(GuardedResolver(inner).close())
    assert not inner.closed


class FailingResolver(FakeResolver):
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        raise OSError("no such host")


def test_refused_tells_the_guards_refusal_from_other_failures(server):
    refusal = PrivateAddressRefused("refused: x", "x", "10.0.0.1")
    assert refused(refusal) is refusal
    assert refused(ValueError()) is None
    with pytest.raises(aiohttp.ClientConnectorDNSError) as caught:  # an ordinary lookup failure
        get_status(server.url("/a").replace("127.0.0.1", "nowhere.example.test"), GuardedResolver(FailingResolver()))
    assert refused(caught.value) is None


# --- a real aiohttp session on loopback ----------------------------------------


def get_status(url: str, guard: GuardedResolver, middleware: bool = False, trusted: str | None = None) -> int:
    async def run() -> int:
        connector = aiohttp.TCPConnector(resolver=guard, use_dns_cache=False)
        middlewares = (guard.middleware,) if middleware else ()
        try:
            async with aiohttp.ClientSession(connector=connector, middlewares=middlewares) as session:
                with trusting(trusted):
                    async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response:
                        return response.status
        finally:
            await guard.close()

    return asyncio.run(run())


def test_aiohttp_refuses_localhost_through_the_guarded_resolver(server):
    server.routes["/a"] = Response("ok")
    url = server.url("/a").replace("127.0.0.1", "localhost")
    with pytest.raises(aiohttp.ClientConnectorDNSError) as caught:
        get_status(url, GuardedResolver())
    assert isinstance(caught.value.os_error, PrivateAddressRefused)
    assert "refused: localhost resolves to private address" in str(refused(caught.value))
    assert server.requests == []


def test_aiohttp_reaches_localhost_when_it_is_an_allowed_host(server):
    server.routes["/a"] = Response("ok")
    url = server.url("/a").replace("127.0.0.1", "localhost")
    assert get_status(url, GuardedResolver(), trusted=url) == 200
    assert len(server.requests_to("/a")) == 1


def test_the_middleware_refuses_private_literals_the_resolver_never_sees(server):
    server.routes["/a"] = Response("ok")
    assert get_status(server.url("/a"), GuardedResolver()) == 200  # the resolver alone lets a literal through
    with pytest.raises(PrivateAddressRefused, match=r"host 127\.0\.0\.1 is private address 127\.0\.0\.1"):
        get_status(server.url("/a"), GuardedResolver(), middleware=True)
    assert get_status(server.url("/a"), GuardedResolver(), middleware=True, trusted=server.url("/")) == 200
    assert len(server.requests_to("/a")) == 2


def test_the_middleware_refuses_a_redirect_to_another_private_host(server, other_site):
    other_site.routes["/secret"] = Response("internal")
    server.routes["/go"] = Response(status=302, headers={"Location": other_site.url("/secret")})
    guard = GuardedResolver()
    with pytest.raises(PrivateAddressRefused, match="127.0.0.2"):
        get_status(server.url("/go"), guard, middleware=True, trusted=server.url("/"))  # the feed's host, not .2
    assert len(server.requests_to("/go")) == 1 and other_site.requests == []


def test_a_kept_alive_connection_opened_for_a_trusted_request_is_no_way_in_for_another(server):
    """aiohttp reuses a pooled connection without resolving again; the middleware still asks the guard."""
    server.routes["/a"] = Response("ok")
    url = server.url("/a").replace("127.0.0.1", "intranet.example.test")
    guard = GuardedResolver(FakeResolver("127.0.0.1"))

    async def run() -> tuple[int, str]:
        connector = aiohttp.TCPConnector(resolver=guard, use_dns_cache=False)
        async with aiohttp.ClientSession(connector=connector, middlewares=(guard.middleware,)) as session:
            with trusting(url):  # the feed on localhost: allowed, and its connection stays open
                async with session.get(url) as response:
                    first = response.status
            try:
                async with session.get(url) as response:  # another feed's link to the same host
                    return first, f"reached {response.status}"
            except PrivateAddressRefused as exc:
                return first, str(exc)

    first, second = asyncio.run(run())
    assert first == 200
    assert second.startswith("refused: intranet.example.test resolves to private address 127.0.0.1")
    assert len(server.requests_to("/a")) == 1


@pytest.mark.parametrize("url", [
    "http://Example.COM./x", "https://a.b:8080", "http://127.0.0.1:99/f/1.xml?x", "http://user@evil.com@127.0.0.1/",
    "http://[::1]:80/", "http://xn--bcher-kva.de/", "HTTP://münchen.de/", " http://a.com/", "http://a.com\\@b.com/",
    "http://./", "http://a.com#frag", "http://a.com:/p", "http://a.com\t.evil/",
    "http://ſx.com/", "http://ıx.com/", "http://İx.com/", "http://\u212ax.com/", "http://a.com:80@evil.test/",
])
def test_trusted_host_fast_path_reads_the_host_urlsplit_reads(url):
    from urllib.parse import urlsplit

    from newsd.daemon.netguard import _host_of

    assert _host_of(url) == (normalize_host(urlsplit(url).hostname or "") or None)
