"""The HTTP core: one aiohttp session, answers as ``FetchResult`` values.

Every network read in newsd goes through ``Fetcher.get``. It sends the user
agent, conditional-GET validators and an Accept header; follows a bounded
number of redirects; caps the body size after decompression; and never
raises for a network or HTTP failure: the result carries ``error_kind`` and a
message instead, so one bad host cannot stop a run. Only this module imports
aiohttp; tests and the pipeline see ``FetchResult``.

``file://`` URLs are read from disk with the same contract (status 200, or 304
when the file's modification time matches the stored Last-Modified), for
archives and offline use.
"""

from __future__ import annotations

import asyncio
import email.utils
import mimetypes
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from contextvars import ContextVar, Token
from typing import Awaitable, Callable, Literal, Mapping
from urllib.parse import unquote, urlsplit

import aiohttp

from newsd.config import HttpSettings
from newsd.daemon.netguard import GuardedResolver, PrivateAddressRefused, refused

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


# Why there is no usable response; the message in FetchResult.error says more.
ErrorKind = Literal["dns", "connect", "tls", "timeout", "http", "too_large", "redirects", "bad_url", "file", "protocol",
                    "refused", "robots"]

# What each request of the current task must pass, redirect hops included: a URL's
# problem, or None to go ahead (``checking_hops``; the poll sets robots.txt's verdict).
HopCheck = Callable[[str], Awaitable[str | None]]
_hop_check: ContextVar[HopCheck | None] = ContextVar("newsd_hop_check", default=None)


class checking_hops:  # noqa: N801 - used as a function: ``with checking_hops(check):``
    """Requests made inside (by this task and the tasks it starts) go to a URL only if ``check`` passes it.

    ``check(url)`` is asked before every request and every redirect hop; None
    (``checking_hops(None)``) checks nothing, for requests the check itself
    makes (robots.txt).
    """

    def __init__(self, check: HopCheck | None) -> None:
        self.check = check
        self._token: Token[HopCheck | None] | None = None

    def __enter__(self) -> None:
        self._token = _hop_check.set(self.check)

    def __exit__(self, *exc: object) -> None:
        assert self._token is not None
        _hop_check.reset(self._token)
        self._token = None


class HopRefused(aiohttp.ClientError):
    """A request or redirect hop that the current ``checking_hops`` check refused."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def _check_hop(request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType) -> aiohttp.ClientResponse:
    """A client middleware: the current task's hop check, on every request and redirect hop."""
    check = _hop_check.get()
    if check is not None:
        problem = await check(str(request.url))
        if problem is not None:
            raise HopRefused(problem)
    return await handler(request)


@dataclass(frozen=True)
class FetchResult:
    """What one GET came to: a response, or why there is none."""

    url: str
    final_url: str
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # keys lower-case
    body: bytes = b""
    elapsed_ms: int = 0
    error_kind: ErrorKind | None = None
    error: str | None = None
    # Where permanent redirects (301, 308) from ``url`` led, when they did:
    # the address to use from now on. Temporary ones (302, 303, 307) stop it.
    moved_to: str | None = None

    @property
    def ok(self) -> bool:
        """A usable response: 2xx with a body, or 304."""
        return self.error_kind is None

    @property
    def is_modified(self) -> bool:
        """False when the server answered 304 Not Modified (RFC 9110 15.4.5)."""
        return self.status != 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-case ('' when absent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def max_age(self) -> int | None:
        """Cache-Control max-age in seconds, when the server gave one (RFC 9111 5.2.2.1)."""
        for directive in self.headers.get("cache-control", "").split(","):
            name, _, value = directive.strip().partition("=")
            if name.lower() == "max-age" and value.strip('"').isdigit():
                return int(value.strip('"'))
        return None

    def expires_at(self) -> datetime | None:
        """The Expires header as a time (RFC 9111 5.3); None when absent or unreadable (an invalid date means 'already expired')."""
        value = self.headers.get("expires", "").strip()
        if not value:
            return None
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return when if when.tzinfo else when.replace(tzinfo=timezone.utc)

    def retry_after(self, now: datetime) -> int | None:
        """Seconds to wait from ``now`` per Retry-After: delay-seconds or an HTTP-date (RFC 9110 10.2.3)."""
        value = self.headers.get("retry-after", "").strip()
        if not value:
            return None
        if value.isdigit():
            return int(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return max(0, int((when - now).total_seconds()))


def _failure(url: str, kind: ErrorKind, message: str, started: float, status: int | None = None,
             headers: Mapping[str, str] | None = None, moved_to: str | None = None) -> FetchResult:
    elapsed = int((time.monotonic() - started) * 1000)
    return FetchResult(url=url, final_url=url, status=status, error_kind=kind, error=message, elapsed_ms=elapsed,
                       headers=headers or {}, moved_to=moved_to)


def _http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


def read_local(url: str, last_modified: str | None, max_bytes: int) -> FetchResult:
    """Read a file:// URL as if it were served: 304 when its mtime matches ``last_modified``."""
    started = time.monotonic()
    path = Path(unquote(urlsplit(url).path))
    try:
        stat = path.stat()
        if not path.is_file():
            return _failure(url, "file", f"{path} is not a file", started)
        modified = _http_date(stat.st_mtime)
        headers = {"last-modified": modified, "content-type": mimetypes.guess_type(path.name)[0] or ""}
        if last_modified == modified:
            return FetchResult(url=url, final_url=url, status=304, headers=headers)
        if stat.st_size > max_bytes:
            return _failure(url, "too_large", f"{path} is {stat.st_size} bytes, over max_bytes ({max_bytes})", started)
        body = path.read_bytes()
    except OSError as exc:
        return _failure(url, "file", f"cannot read {path}: {exc.strerror or exc}", started)
    elapsed = int((time.monotonic() - started) * 1000)
    return FetchResult(url=url, final_url=url, status=200, headers=headers, body=body, elapsed_ms=elapsed)


# The longest Crawl-delay honoured: a site asking for more would hold a feed's
# poll for hours (its pages are fetched one after another).
MAX_HOST_DELAY_S = 30.0
MAX_SLOW_HOSTS = 10_000  # hosts with a Crawl-delay remembered (as many as robots.txt files kept)


class Fetcher:
    """One HTTP session for a whole run: shared connection pool, global and per-host limits."""

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        # Our own limits, taken before a request starts, so the timeout covers
        # the request itself and never the wait for a free slot.
        self._slots = asyncio.Semaphore(settings.max_connections)
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        # When each host may see its next request start (event loop time).
        self._host_next_start: dict[str, float] = {}
        # Hosts that asked for more time between requests than host_delay (robots.txt Crawl-delay).
        self._host_delays: dict[str, float] = {}
        # Names resolving to private addresses are refused, but for the host of the
        # current netguard.trusting block (the polled feed's own).
        self._guard = GuardedResolver(allow_private=settings.allow_private)
        self._checked_middlewares = (self._guard.middleware, _check_hop)

    def _host_slot(self, host: str) -> asyncio.Semaphore:
        if host not in self._host_slots:
            self._host_slots[host] = asyncio.Semaphore(self.settings.max_per_host)
        return self._host_slots[host]

    def slow_down(self, url: str, seconds: float) -> float:
        """Space requests to ``url``'s host at least ``seconds`` apart from now on (a robots.txt
        Crawl-delay), never more than MAX_HOST_DELAY_S and never less than ``host_delay``; the delay used."""
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            return self.settings.host_delay
        delay = max(self.settings.host_delay, min(seconds, MAX_HOST_DELAY_S))
        if not host:
            return delay
        if delay > self.settings.host_delay:
            if host not in self._host_delays and len(self._host_delays) >= MAX_SLOW_HOSTS:
                del self._host_delays[next(iter(self._host_delays))]  # the oldest
            self._host_delays[host] = delay
        else:  # a robots.txt that no longer asks for more
            self._host_delays.pop(host, None)
        return delay

    async def _wait_for_host_turn(self, host: str) -> None:
        """Space the starts of requests to one host at least ``host_delay`` apart, first come first served.

        Each caller reserves the next free start time before it sleeps (no
        await in between), so waiting callers keep their order without a lock.
        """
        delay = self._host_delays.get(host, self.settings.host_delay)
        if delay <= 0:
            return
        now = asyncio.get_running_loop().time()
        start = max(now, self._host_next_start.get(host, now))
        self._host_next_start[host] = start + delay
        if start > now:
            await asyncio.sleep(start - now)

    async def __aenter__(self) -> "Fetcher":
        connector = aiohttp.TCPConnector(
            limit=self.settings.max_connections,
            limit_per_host=self.settings.max_per_host,
            use_dns_cache=False,  # the guard keeps its own: aiohttp's would answer without asking it
            resolver=self._guard,
        )
        # aiohttp's clock starts inside session.get, after our own slots are taken
        # (get()), so the total covers the request (name lookup included) and never the wait.
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout, sock_connect=min(self.settings.timeout, 10))
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            headers={"User-Agent": self.settings.user_agent},
            auto_decompress=True,
            # Validators are echoed verbatim; cookies would only make polls stateful.
            cookie_jar=aiohttp.DummyCookieJar(),
            # Checks every hop, redirects included, for private IP literals (the resolver never sees those).
            middlewares=(self._guard.middleware,),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
        await self._guard.close()

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = HTML_ACCEPT,
    ) -> FetchResult:
        """GET ``url``; conditional when validators are given. Never raises for I/O failures."""
        started = time.monotonic()
        try:
            parts = urlsplit(url)
            scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        except ValueError as exc:
            return _failure(url, "bad_url", f"invalid URL {url!r}: {exc}", started)
        if scheme == "file":
            return await asyncio.to_thread(read_local, url, last_modified, self.settings.max_bytes)
        if scheme not in ("http", "https"):
            return _failure(url, "bad_url", f"unsupported URL scheme in {url!r}", started)
        headers = {"Accept": accept}
        # Echo the validators exactly as the server sent them (RFC 9110 13.1).
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            # Per host first: a busy host must not hold global slots while it waits.
            async with self._host_slot(host):
                await self._wait_for_host_turn(host)
                async with self._slots:
                    started = time.monotonic()
                    return await self._get(url, headers, started)
        except PrivateAddressRefused as exc:
            return _failure(url, "refused", exc.message, started)
        except aiohttp.ConnectionTimeoutError:  # a TimeoutError too, so it comes first
            connect_limit = min(self.settings.timeout, 10)
            return _failure(url, "timeout", f"cannot connect to {urlsplit(url).hostname} within {connect_limit:g} s", started)
        except TimeoutError:
            return _failure(
                url, "timeout", f"no complete response within {self.settings.timeout:g} s (name lookup included)", started
            )
        except aiohttp.ClientConnectorDNSError as exc:
            refusal = refused(exc)
            if refusal is not None:
                return _failure(url, "refused", refusal.message, started)
            return _failure(url, "dns", f"cannot resolve host {urlsplit(url).hostname!r}", started)
        except aiohttp.ClientConnectorCertificateError as exc:
            return _failure(url, "tls", f"TLS certificate problem: {exc.certificate_error}", started)
        except aiohttp.ClientConnectorError as exc:
            return _failure(url, "connect", f"cannot connect to {exc.host}:{exc.port}: {exc.os_error.strerror or exc.os_error}", started)
        except aiohttp.TooManyRedirects:
            return _failure(url, "redirects", f"more than {self.settings.max_redirects} redirects", started)
        except aiohttp.InvalidURL as exc:
            return _failure(url, "bad_url", f"invalid URL {str(exc)!r}", started)
        except HopRefused as exc:
            return _failure(url, "robots", exc.message, started)
        except aiohttp.ClientError as exc:
            return _failure(url, "protocol", f"{type(exc).__name__}: {exc}", started)
        except ValueError as exc:  # yarl and urllib reject some malformed URLs this way
            return _failure(url, "bad_url", f"invalid URL {url!r}: {exc}", started)

    async def _get(self, url: str, headers: dict[str, str], started: float) -> FetchResult:
        assert self._session is not None, "use 'async with Fetcher(...)'"
        max_bytes = self.settings.max_bytes
        follow = self.settings.max_redirects > 0
        # The hop check (robots.txt, for article pages) likewise sees every hop; requests
        # made with no check set (feed polls) are spared a middleware that would do nothing.
        middlewares = None if _hop_check.get() is None else self._checked_middlewares
        async with self._session.get(
            url, headers=headers, allow_redirects=follow, max_redirects=max(self.settings.max_redirects, 1),
            middlewares=middlewares,
        ) as response:
            status = response.status
            final_url = str(response.url)
            response_headers = {k.lower(): v for k, v in response.headers.items()}
            moved_to = permanent_target([hop.status for hop in response.history],
                                        [str(hop.url) for hop in response.history[1:]] + [final_url])
            if 300 <= status < 400 and status != 304:
                why = "max_redirects = 0" if not follow else "no Location header"
                return _failure(url, "redirects", f"HTTP {status} redirect not followed ({why})", started, status)
            if status >= 400:
                reason = response.reason or ""
                # Headers kept: Retry-After on 429 and 503 says when to come back.
                return _failure(url, "http", f"HTTP {status} {reason}".strip(), started, status, response_headers,
                                moved_to)
            declared = response.content_length
            if declared is not None and declared > max_bytes and "content-encoding" not in response_headers:
                return _failure(url, "too_large", f"body of {declared} bytes is over max_bytes ({max_bytes})", started, status)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.content.iter_chunked(65536):
                size += len(chunk)
                if size > max_bytes:  # counted after decompression: a small gzip bomb stops here too
                    return _failure(url, "too_large", f"body is over max_bytes ({max_bytes})", started, status)
                chunks.append(chunk)
        elapsed = int((time.monotonic() - started) * 1000)
        return FetchResult(
            url=url, final_url=final_url, status=status, headers=response_headers,
            body=b"".join(chunks), elapsed_ms=elapsed, moved_to=moved_to,
        )


def permanent_target(statuses: list[int], targets: list[str]) -> str | None:
    """The URL the leading permanent redirects (301, 308) of a chain led to; None when the first hop was not one.

    ``statuses[i]`` is the status of hop i and ``targets[i]`` where it led.
    A temporary redirect ends the part of the chain a client may remember.
    """
    moved = None
    for status, target in zip(statuses, targets):
        if status not in (301, 308):
            break
        moved = target
    return moved
