"""The effective settings of one newsd process, as plain frozen values."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass(frozen=True)
class SiteLearningSettings:
    """When a paragraph that recurs across a site's articles counts as its boilerplate."""

    enabled: bool = True
    min_articles: int = 3  # seen in at least this many distinct articles of the site
    min_share: float = 0.5  # and in at least this share of the site's articles since first seen


@dataclass(frozen=True)
class FeedSettings:
    """One feed named in the config file."""

    url: str
    name: str | None = None
    tags: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True)
class Settings:
    """Everything a newsd command needs to know, validated."""

    source: str  # the config file these came from, for messages
    storage: StorageSettings = field(default_factory=StorageSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    site_learning: SiteLearningSettings = field(default_factory=SiteLearningSettings)
    feeds: tuple[FeedSettings, ...] = ()

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
            },
            "site_learning": {
                "enabled": self.site_learning.enabled,
                "min_articles": self.site_learning.min_articles,
                "min_share": self.site_learning.min_share,
            },
            "feeds": [
                {"url": f.url, "name": f.name, "tags": list(f.tags), "enabled": f.enabled}
                for f in self.feeds
            ],
        }
