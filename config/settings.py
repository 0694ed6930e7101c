"""The effective settings of one newsd process, as plain frozen values."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from newsd.config.rules import Overrides, RuleSet, default_ruleset

DEFAULT_USER_AGENT = "newsd/0.1 (+https://github.com/newsd/newsd)"


@dataclass(frozen=True)
class StorageSettings:
    """Where the SQLite store lives and what it keeps."""

    path: Path = Path("newsd.db")
    keep_html: bool = True  # keep each article's raw page (compressed) for newsd reextract


@dataclass(frozen=True)
class HttpSettings:
    """How newsd talks to web servers."""

    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 20.0  # seconds for a whole request, connect included
    max_bytes: int = 10 * 1024 * 1024  # body cap after decompression
    max_redirects: int = 5
    max_connections: int = 64  # in flight at once, all hosts together
    max_per_host: int = 4  # in flight at once to one host
    host_delay: float = 1.0  # seconds between the starts of two requests to one host
    allow_private: bool = False  # may feed links reach loopback, private and link-local addresses on other hosts?


@dataclass(frozen=True)
class PollSettings:
    """How often feeds are polled and what a poll downloads (see newsd.daemon.schedule)."""

    min_interval: int = 600  # seconds; never poll a feed more often, whatever it or its server says
    max_interval: int = 86400  # the longest normal interval, and the longest backoff after errors
    default_interval: int = 3600  # until a feed's publishing rate is known
    jitter: float = 0.1  # up to this share of each delay is added at random, to spread load
    disable_after: int = 7 * 86400  # a feed failing without a break this long is disabled
    fetch_pages: bool = True  # download each new entry's page; off stores the feed's own text
    batch: int = 500  # due feeds taken from the store per dispatch
    feeds_in_flight: int = 256  # feeds being polled at once: bounds the memory of a big dispatch
    workers: int | None = None  # processes that parse feeds and extract pages; None: one per core, 0: a thread


@dataclass(frozen=True)
class RetentionSettings:
    """What the daemon's maintenance deletes (0 keeps everything)."""

    articles_days: int = 0  # delete articles fetched longer ago than this
    fetch_log_days: int = 30  # delete poll log rows older than this


@dataclass(frozen=True)
class SiteLearningSettings:
    """When a paragraph that recurs across a site's articles counts as its boilerplate."""

    enabled: bool = True
    min_articles: int = 3  # seen in at least this many distinct articles of the site
    min_share: float = 0.5  # and in at least this share of the site's articles since first seen


@dataclass(frozen=True)
class DedupSettings:
    """How newsd decides that two articles are one story (see docs/architecture.md)."""

    tracking_params: tuple[str, ...] = ()  # query parameters to drop, added to the built-in list; "pk_*" is a prefix
    near_threshold: float = 0.5  # estimated word-shingle similarity at which a near copy is a candidate
    min_words: int = 50  # shorter texts are matched only exactly


@dataclass(frozen=True)
class FeedSettings:
    """One feed named in the config file."""

    url: str
    name: str | None = None
    tags: tuple[str, ...] = ()
    enabled: bool = True
    boilerplate: Overrides = Overrides()  # rules and disabled names for this feed's articles
    min_interval: int | None = None  # this feed's own polling limits, in seconds ([poll] when None)
    max_interval: int | None = None


@dataclass(frozen=True)
class BoilerplateSettings:
    """The user's additions to the shipped boilerplate rules: everywhere, and per site."""

    everywhere: Overrides = Overrides()
    sites: tuple[tuple[str, Overrides], ...] = ()  # (host without "www.", overrides)

    @cached_property
    def _everywhere(self) -> RuleSet:
        # Built once: for_site runs for every article a fetch stores.
        return default_ruleset().with_overrides(self.everywhere)

    def for_site(self, url: str | None) -> RuleSet:
        """The shipped rules with the global and the page's site's overrides applied."""
        ruleset = self._everywhere
        host = (urlsplit(url).hostname or "").lower().removeprefix("www.") if url else ""
        for site, overrides in self.sites:
            # A site covers its subdomains: "example.org" also means "news.example.org".
            if host == site or host.endswith("." + site):
                ruleset = ruleset.with_overrides(overrides)
        return ruleset


@dataclass(frozen=True)
class Settings:
    """Everything a newsd command needs to know, validated."""

    source: str  # the config file these came from, for messages
    storage: StorageSettings = field(default_factory=StorageSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    site_learning: SiteLearningSettings = field(default_factory=SiteLearningSettings)
    dedup: DedupSettings = field(default_factory=DedupSettings)
    boilerplate: BoilerplateSettings = field(default_factory=BoilerplateSettings)
    poll: PollSettings = field(default_factory=PollSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    feeds: tuple[FeedSettings, ...] = ()

    @cached_property
    def _feeds_by_url(self) -> dict[str, FeedSettings]:
        return {feed.url: feed for feed in self.feeds}

    def feed(self, url: str) -> FeedSettings | None:
        """The config's [[feeds]] table for this URL, if it names the feed."""
        return self._feeds_by_url.get(url)

    @cached_property
    def _feed_rules(self) -> dict[str, Overrides]:
        # A lookup per article, however many feeds the config names.
        return {feed.url: feed.boilerplate for feed in self.feeds if feed.boilerplate != Overrides()}

    def rules_for(self, feed_url: str | None, page_url: str | None) -> RuleSet:
        """The boilerplate rules for one article: shipped, global, its site's, its feed's."""
        ruleset = self.boilerplate.for_site(page_url)
        overrides = self._feed_rules.get(feed_url) if feed_url else None
        return ruleset.with_overrides(overrides) if overrides else ruleset

    def as_dict(self) -> dict:
        """Plain data for printing (``newsd config check``)."""
        return {
            "source": self.source,
            "storage": {"path": str(self.storage.path), "keep_html": self.storage.keep_html},
            "http": {
                "user_agent": self.http.user_agent,
                "timeout": self.http.timeout,
                "max_bytes": self.http.max_bytes,
                "max_redirects": self.http.max_redirects,
                "max_connections": self.http.max_connections,
                "max_per_host": self.http.max_per_host,
                "host_delay": self.http.host_delay,
                "allow_private": self.http.allow_private,
            },
            "poll": asdict(self.poll),
            "retention": asdict(self.retention),
            "site_learning": {
                "enabled": self.site_learning.enabled,
                "min_articles": self.site_learning.min_articles,
                "min_share": self.site_learning.min_share,
            },
            "dedup": {
                "tracking_params": list(self.dedup.tracking_params),
                "near_threshold": self.dedup.near_threshold,
                "min_words": self.dedup.min_words,
            },
            "boilerplate": {
                **_overrides_dict(self.boilerplate.everywhere),
                "sites": [{"site": site, **_overrides_dict(o)} for site, o in self.boilerplate.sites],
            },
            "feeds": [
                {"url": f.url, "name": f.name, "tags": list(f.tags), "enabled": f.enabled,
                 **{k: v for k, v in (("min_interval", f.min_interval), ("max_interval", f.max_interval)) if v},
                 **({"boilerplate": _overrides_dict(f.boilerplate)} if f.boilerplate != Overrides() else {})}
                for f in self.feeds
            ],
        }


def _overrides_dict(overrides: Overrides) -> dict:
    return {"rules": [rule.name for rule in overrides.rules], "disable": sorted(overrides.disable)}
