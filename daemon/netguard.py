"""Keep a feed from making newsd probe the local network (SSRF).

A feed names the pages newsd downloads, so a hostile or careless feed could
point it at 127.0.0.1, the router or a cloud metadata service. The rule: a
feed's links may reach a private address only on the feed's own host, unless
the config allows private addresses (``[http] allow_private``).

Which host is trusted is decided per request, from the feed being polled
(``trusting``, a context variable set for the poll's task and inherited by
the tasks it starts): a link from feed A never reaches feed B's intranet host.

Three checks, because aiohttp resolves names but never IP literals, and
reuses a kept-alive connection without resolving again:

- ``refusal_reason`` judges a URL without DNS: IP literals and "localhost" names;
- ``GuardedResolver`` wraps aiohttp's resolver and refuses a name that resolves
  to a private address, at connect time, so the address checked is the
  address connected to (no time-of-check/time-of-use gap);
- its ``middleware`` checks every request and redirect hop of a session: the
  literal check, and the name's addresses (from the resolver's cache), so a
  pooled connection opened for a trusted request is no way in for another.
"""

from __future__ import annotations

import errno
import functools
import ipaddress
import re
import socket
import time
from contextvars import ContextVar, Token
from urllib.parse import unquote, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

HINT = (
    "a feed's links may reach private addresses only on the feed's own host "
    "(set [http] allow_private = true to allow)"
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# NAT64's well-known prefix (RFC 6052) carries an IPv4 address in its last 32
# bits, which a NAT64 gateway connects to; ipaddress never looks inside it.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Legacy IPv4 spellings that inet_aton accepts: 127.1, 0x7f.0.0.1, 2130706433, 0177.0.0.1.
_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$", re.IGNORECASE)


# The one host the current request may find at a private address: the polled
# feed's own (the user configured it; it may live on the intranet). Per task.
_trusted_host: ContextVar[str | None] = ContextVar("newsd_trusted_host", default=None)

# Resolved names are kept this long (aiohttp's own cache is off: it would skip the check).
DNS_CACHE_S = 300.0
DNS_CACHE_SIZE = 10_000


# The common case, spelled so that urlsplit would read the same host: letters, digits, dots and
# dashes only, no user info, no brackets. Anything else takes the slow, general path.
# ASCII: with Unicode case folding, [a-z] would also match "ſ", "ı", "İ" and the Kelvin sign.
_PLAIN_HOST = re.compile(r"https?://([a-z0-9.-]+)(?::[0-9]*)?(?:[/?#]|\Z)", re.IGNORECASE | re.ASCII)


@functools.lru_cache(maxsize=DNS_CACHE_SIZE)
def _host_of(url: str) -> str | None:
    """A URL's host as ``normalize_host`` spells it; None when it has none (kept: the same feeds are polled all day)."""
    plain = _PLAIN_HOST.match(url)
    if plain:
        return plain.group(1).rstrip(".").lower() or None
    try:
        return normalize_host(urlsplit(url).hostname or "") or None
    except ValueError:
        return None


class trusting:  # noqa: N801 - used as a function: ``with trusting(url):``
    """Requests made inside (by this task and the tasks it starts) may reach ``url``'s host at a private address.

    A class rather than a generator context manager: it wraps every poll,
    and this costs a third as much.
    """

    __slots__ = ("host", "_token")

    def __init__(self, url: str | None) -> None:
        self.host = _host_of(url) if url else None
        self._token: Token[str | None] | None = None

    def __enter__(self) -> None:
        self._token = _trusted_host.set(self.host)

    def __exit__(self, *exc: object) -> None:
        assert self._token is not None
        _trusted_host.reset(self._token)
        self._token = None


class PrivateAddressRefused(aiohttp.ClientOSError):
    """A request refused because its host is, or resolves to, a private address.

    An OSError, so aiohttp's connector wraps it like any lookup failure
    (``ClientConnectorDNSError`` with this as ``os_error``), and a ClientError,
    so raised from a middleware it reaches the caller as it is.
    """

    def __init__(self, message: str, host: str = "", address: str = "") -> None:
        super().__init__(errno.EACCES, message)
        self.message = message
        self.host = host
        self.address = address

    def __str__(self) -> str:
        return self.message


def refused(exc: BaseException) -> PrivateAddressRefused | None:
    """The guard's refusal behind an aiohttp exception, or None when it is another failure."""
    if isinstance(exc, PrivateAddressRefused):
        return exc
    if isinstance(exc, aiohttp.ClientConnectorError) and isinstance(exc.os_error, PrivateAddressRefused):
        return exc.os_error
    return None


def parse_ip(host: str) -> IPAddress | None:
    """The address a URL host spells, IPv4 legacy forms included; None for a name.

    ``host`` as ``urlsplit(...).hostname`` gives it: no brackets, maybe a zone ("fe80::1%25eth0").
    """
    host = unquote(host).split("%", 1)[0].rstrip(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one reaches: mapped (::ffff:a.b.c.d), 6to4 (2002::/16), NAT64."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_private_address(ip: str | IPAddress) -> bool:
    """Whether an address is anything but globally routable unicast. ValueError for a non-address.

    ``not is_global`` alone misses multicast (224/4, ff00::/8 count as global),
    deprecated site-local fec0::/10, and IPv6 forms that carry a private IPv4
    address (::ffff:127.0.0.1, 2002:7f00:1::, 64:ff9b::a00:1).
    """
    if isinstance(ip, str):
        ip = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_private_address(embedded)
        if ip.is_site_local:
            return True
    # is_global excludes loopback, RFC 1918, link-local, CGNAT 100.64/10,
    # unique-local fc00::/7, documentation and benchmark ranges, 0.0.0.0/8, ::.
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified


def normalize_host(host: str) -> str:
    """A host name as compared here: lower case, no trailing dot, no IPv6 brackets, IDNA (punycode)."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")  # aiohttp hands the resolver the punycode spelling
        except UnicodeError:
            pass
    return host


def is_localhost_name(host: str) -> bool:
    """"localhost" and names under it, which resolve to loopback (RFC 6761 6.3) without DNS."""
    host = normalize_host(host)
    return host == "localhost" or host.endswith(".localhost")


def literal_problem(host: str) -> str | None:
    """What is wrong with a host without asking DNS (a private IP literal, a localhost name), or None."""
    if is_localhost_name(host):
        return f"host {normalize_host(host)} is a loopback name"
    ip = parse_ip(host)
    if ip is not None and is_private_address(ip):
        return f"host {normalize_host(host)} is private address {ip}"
    return None


def refusal_reason(article_url: str, feed_url: str, allow_private: bool) -> str | None:
    """Why newsd must not fetch ``article_url`` named by the feed at ``feed_url``; None = allowed.

    Judges what the URL says, without DNS: names that resolve to private
    addresses are ``GuardedResolver``'s to refuse. A file:// link is followed
    only from a file:// feed, whatever ``allow_private`` says.
    """
    try:
        article = urlsplit(article_url)
        feed = urlsplit(feed_url)
        host = normalize_host(article.hostname or "")
        feed_host = normalize_host(feed.hostname or "")
    except ValueError as exc:
        return f"refused: invalid URL {article_url!r}: {exc}"
    scheme = article.scheme.lower()
    if scheme == "file":
        return None if feed.scheme.lower() == "file" else f"refused: {article_url} is a local file named by a remote feed"
    if scheme not in ("http", "https"):
        return f"refused: unsupported URL scheme {scheme!r} in {article_url}"
    if not host:
        return f"refused: no host in {article_url}"
    if allow_private or host == feed_host:
        return None
    problem = literal_problem(host)
    return f"refused: {article_url}: {problem}; {HINT}" if problem else None


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing names that resolve to a private address.

    The host of the current ``trusting`` block may resolve anywhere;
    ``allow_private`` turns the guard off. A name with any private address is
    refused whole: with one public and one private address, the connection
    could land on either. Pass it as ``aiohttp.TCPConnector(resolver=...,
    use_dns_cache=False)``: it keeps its own cache, because aiohttp's would
    answer without asking it. The connector does not close it; ``close()`` does.
    """

    def __init__(self, inner: AbstractResolver | None = None, *, allow_private: bool = False) -> None:
        # DefaultResolver needs a running loop: made on first use when not given.
        self._inner = inner
        self._owns_inner = inner is None
        self.allow_private = allow_private
        self._cache: dict[tuple[str, int, int], tuple[float, list[ResolveResult]]] = {}

    def is_trusted(self, host: str) -> bool:
        """Whether ``host`` may be at a private address for the request being made now."""
        return self.allow_private or normalize_host(host) == _trusted_host.get()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._lookup(host, port, family)
        if not self.is_trusted(host):
            for result in results:
                if is_private_address(result["host"]):
                    raise PrivateAddressRefused(
                        f"refused: {normalize_host(host)} resolves to private address {result['host']}; {HINT}",
                        host, result["host"],
                    )
        return results

    async def _lookup(self, host: str, port: int, family: socket.AddressFamily) -> list[ResolveResult]:
        """The inner resolver's answer, kept DNS_CACHE_S (failures are not kept)."""
        key = (normalize_host(host), port, int(family))
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        if self._inner is None:
            self._inner = DefaultResolver()
        results = await self._inner.resolve(host, port, family)
        if len(self._cache) >= DNS_CACHE_SIZE:
            del self._cache[next(iter(self._cache))]  # the oldest entry
        self._cache[key] = (now + DNS_CACHE_S, results)
        return results

    async def close(self) -> None:
        if self._owns_inner and self._inner is not None:
            await self._inner.close()

    async def middleware(
        self, request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        """A client middleware (aiohttp >= 3.12) checking every request and redirect hop.

        The resolver never sees IP literals, nor a name whose kept-alive
        connection is reused; middlewares run for every hop.
        ``ClientSession(middlewares=(guard.middleware,))``.
        """
        host = request.url.raw_host or ""
        if not self.is_trusted(host):
            problem = literal_problem(host)
            if problem is not None:
                raise PrivateAddressRefused(f"refused: {request.url}: {problem}; {HINT}", normalize_host(host))
            if parse_ip(host) is None:
                await self.resolve(host, request.url.port or 0, socket.AF_UNSPEC)  # raises for a private address
        return await handler(request)
