"""robots.txt for article pages: fetched once per origin, cached, answered per URL.

RFC 9309 decides what an answer means (section 2.3.1): a 2xx body is parsed;
a 4xx means there are no rules, so everything is allowed; a 5xx or a network
failure means everything is disallowed for now, and is asked again sooner
than a good answer. Parsing is Protego's (Scrapy's parser): longest match
between Allow and Disallow, ``*`` and ``$`` wildcards, Crawl-delay.

The cache is bounded (least recently used origins go first) and the fetch is
injected, so ``RobotsCache`` works with ``Fetcher.get`` or any function that
answers with a ``FetchResult``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Awaitable, Callable, Literal
from urllib.parse import urlsplit

from protego import Protego

from newsd.daemon.fetcher import FetchResult

DAY = 24 * 60 * 60.0
# RFC 9309 2.4: a cached robots.txt should not be used for more than 24 hours.
DEFAULT_TTL = DAY
# After a 5xx or a network failure: ask again soon, not after a full day.
DEFAULT_UNREACHABLE_TTL = 10 * 60.0
DEFAULT_MAX_ORIGINS = 10_000
# RFC 9309 2.5: crawlers must parse at least the first 500 KiB.
MAX_ROBOTS_BYTES = 500 * 1024

# RFC 9309 2.3.1 calls the three outcomes of fetching robots.txt these names.
Access = Literal["successful", "unavailable", "unreachable"]

_PRODUCT_TOKEN = re.compile(r"\s*([A-Za-z_-]+)")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def product_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched on: "newsd" from "newsd/0.1 (+https://...)".

    RFC 9309 2.2.1 allows only letters, "_" and "-" in it. A user agent that
    does not start with one gives "", and then only the ``*`` group applies.
    """
    match = _PRODUCT_TOKEN.match(user_agent)
    return match.group(1) if match else ""


def access_of(status: int | None, error_kind: str | None) -> Access:
    """What a robots.txt fetch came to, per RFC 9309 2.3.1.

    ``status`` and ``error_kind`` are a ``FetchResult``'s.
    """
    if error_kind is None and status is not None and 200 <= status < 300:
        return "successful"
    # 429 is a 4xx, but it means "too many requests", not "no rules here": read
    # as unavailable it would license crawling a server that asked us to slow
    # down. Treated like a 5xx, as the large crawlers do.
    if status == 429:
        return "unreachable"
    if status is not None and 400 <= status < 500:
        return "unavailable"
    # 2.3.1.2: too many redirects (or one we may not follow) may be read as unavailable.
    if error_kind == "redirects":
        return "unavailable"
    # 5xx, DNS, connect, TLS, timeout, a body over the size cap, a broken response.
    return "unreachable"


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, lower-cased, default port dropped; None otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def robots_url(origin: str) -> str:
    """Where an origin's robots.txt is: always at the root (RFC 9309 2.3)."""
    return f"{origin}/robots.txt"


@dataclass(frozen=True)
class RobotsRules:
    """One origin's rules: parsed ones, or everything allowed, or nothing."""

    access: Access
    parser: Protego | None = None  # set when access is "successful"

    def allowed(self, url: str, agent: str) -> bool:
        """Whether ``agent`` (a product token) may fetch ``url``."""
        if self.access == "unreachable":
            return False
        if self.parser is None:
            return True
        return self.parser.can_fetch(url, agent)

    def crawl_delay(self, agent: str) -> float | None:
        """Seconds between requests asked of ``agent``'s group, when the file names it."""
        return self.parser.crawl_delay(agent) if self.parser is not None else None


def parse_robots(body: bytes) -> Protego:
    """Parse a robots.txt body (UTF-8, RFC 9309 2.2), its first 500 KiB only."""
    # A cut in the middle of a character or a line only spoils the last rule.
    text = body[:MAX_ROBOTS_BYTES].decode("utf-8-sig", errors="replace")
    return Protego.parse(text)


def rules_from(result: FetchResult) -> RobotsRules:
    """The rules a robots.txt fetch gives."""
    access = access_of(result.status, result.error_kind)
    if access == "successful":
        return RobotsRules(access, parse_robots(result.body))
    return RobotsRules(access)


@dataclass(frozen=True)
class _Entry:
    rules: RobotsRules
    expires: float  # on the cache's clock


class RobotsCache:
    """robots.txt answers per origin, fetched once, kept for ``ttl`` seconds.

    ``fetch`` must answer with a ``FetchResult`` and not raise (``Fetcher.get``
    does not); an exception it raises reaches every caller waiting on that
    origin, and nothing is cached. ``user_agent`` is the configured User-Agent
    or its product token. ``clock`` is monotonic seconds.
    """

    def __init__(
        self,
        fetch: Callable[[str], Awaitable[FetchResult]],
        user_agent: str,
        *,
        ttl: float = DEFAULT_TTL,
        unreachable_ttl: float = DEFAULT_UNREACHABLE_TTL,
        max_origins: int = DEFAULT_MAX_ORIGINS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.agent = product_token(user_agent)
        self.ttl = ttl
        self.unreachable_ttl = unreachable_ttl
        self.max_origins = max_origins
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        # One fetch per origin at a time: later callers await the same task.
        self._loading: dict[str, asyncio.Task[RobotsRules]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    async def allowed(self, url: str) -> bool:
        """Whether robots.txt lets us fetch ``url``. Non-http(s) URLs have no robots.txt: True."""
        origin = origin_of(url)
        if origin is None:
            return True
        rules = await self._rules(origin)
        return rules.allowed(url, self.agent)

    def crawl_delay(self, url: str) -> float | None:
        """The Crawl-delay for ``url``'s host from the cached robots.txt, if it names one.

        Does not fetch: call it after ``allowed(url)``. None when unknown.
        """
        origin = origin_of(url)
        entry = self._entries.get(origin) if origin else None
        return entry.rules.crawl_delay(self.agent) if entry else None

    async def _rules(self, origin: str) -> RobotsRules:
        entry = self._entries.get(origin)
        if entry is not None and self._clock() < entry.expires:
            self._entries.move_to_end(origin)
            return entry.rules
        task = self._loading.get(origin)
        if task is None:
            task = asyncio.ensure_future(self._load(origin, entry))
            self._loading[origin] = task
        # Shielded: a caller that gives up does not cancel the others' fetch.
        return await asyncio.shield(task)

    async def _load(self, origin: str, previous: _Entry | None) -> RobotsRules:
        try:
            result = await self._fetch(robots_url(origin))
            rules = rules_from(result)
            if result.error_kind == "refused":
                # Refused for the feed that asked (a private host not its own): another
                # feed, whose own host it is, must still get the real file.
                return rules
            ttl = self.ttl
            if rules.access == "unreachable":
                ttl = self.unreachable_ttl
                # RFC 9309 2.4: while the file is unreachable, the last good
                # copy may be used beyond its 24 hours.
                if previous is not None and previous.rules.access == "successful":
                    rules = previous.rules
            self._store(origin, _Entry(rules, self._clock() + ttl))
            return rules
        finally:
            self._loading.pop(origin, None)

    def _store(self, origin: str, entry: _Entry) -> None:
        self._entries[origin] = entry
        self._entries.move_to_end(origin)
        while len(self._entries) > self.max_origins:
            self._entries.popitem(last=False)
