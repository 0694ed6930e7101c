"""Turn the raw TOML data of a config file into ``Settings``, or explain why not.

Pure but for path arithmetic: takes the parsed TOML and the config file's
location; it resolves paths (expanduser, resolve) but reads no file.
Every problem names the file, the key and what to do; all problems of a file
are reported at once so a user fixes them in one go.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from newsd.config.settings import (
    BoilerplateSettings,
    DedupSettings,
    FeedSettings,
    HttpSettings,
    PollSettings,
    RetentionSettings,
    Settings,
    SiteLearningSettings,
    StorageSettings,
)
from newsd.config.rules import Overrides, Rule, compile_rules, default_vocabulary, known_names

SECTIONS = ("storage", "http", "poll", "retention", "site_learning", "dedup", "boilerplate", "feeds")
BOILERPLATE_KEYS = ("rules", "disable", "sites")
OVERRIDE_KEYS = ("rules", "disable")
SITE_KEYS = ("site", "rules", "disable")
STORAGE_KEYS = ("path", "keep_html")
SITE_LEARNING_KEYS = ("enabled", "min_articles", "min_share")
DEDUP_KEYS = ("tracking_params", "near_threshold", "min_words")
# A query parameter name as written in URLs; "pk_*" names every parameter starting with "pk_".
_PARAM_NAME = re.compile(r"^[^\s=&#*]+\*?$")
HTTP_KEYS = ("user_agent", "timeout", "max_bytes", "max_redirects", "max_connections", "max_per_host", "host_delay",
             "allow_private")
POLL_KEYS = ("min_interval", "max_interval", "default_interval", "jitter", "disable_after", "fetch_pages", "batch",
             "feeds_in_flight", "workers")
RETENTION_KEYS = ("articles_days", "fetch_log_days")
FEED_KEYS = ("url", "name", "tags", "enabled", "boilerplate", "min_interval", "max_interval")
# A duration: seconds as a number, or a string such as "90s", "10m", "2h", "7d".
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION_KIND = 'a duration: seconds, or a string such as "90s", "10m", "2h", "7d"'


def parse_duration(value: Any) -> int | None:
    """Seconds from 600 or "10m"; None when the value is no duration."""
    if _is_int(value) and value >= 0:
        return value
    if isinstance(value, str):
        match = _DURATION.match(value.lower())
        if match:
            return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    return None

# "example.com/rss" or "www.example.org": a web address someone forgot the scheme of.
# (A bare "feed.xml" is a file name, so a host needs a path after it or "www.".)
_HOSTLIKE = re.compile(r"^(www\.[a-z0-9.-]+|[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(:\d+)?/)", re.IGNORECASE)
# "https:/example.org/feed", "htp:/x", "https:example.org/rss": a scheme with its slashes
# mistyped is a typo, not a file name ("file:/home/me/feed.xml" is a file URI, see below).
_BROKEN_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]{1,9}:/(?!/)|https?:(?!/))", re.IGNORECASE)
# What no host name holds, in any script: white space, control characters and URL punctuation.
# (Letters of every script, their combining marks, digits, dots, hyphens and underscores pass.)
_NOT_IN_HOST = re.compile(r"[\s\x00-\x1f\x7f<>\"'`^{}|\\%*,;!$&()+=~]")


# A header value must not carry CR, LF or other control characters (RFC 9110 5.5).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Problems:
    """Collects the problems of one config file."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(f"{self.source}: {key}: {message}")


def _did_you_mean(key: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (known keys: {', '.join(allowed)})"


def _check_keys(table: dict, allowed: tuple[str, ...], prefix: str, problems: Problems) -> None:
    for key in table:
        if key not in allowed:
            problems.add(f"{prefix}{key}", "unknown key" + _hint(key, allowed))


def _hint(key: str, allowed: tuple[str, ...]) -> str:
    if "boilerplate" in allowed and key in OVERRIDE_KEYS:
        # The mistake the README warns of: boilerplate settings written as keys of the feed (or the file).
        where = "boilerplate = { %s = [...] } in the feed" % key if allowed == FEED_KEYS else "a [boilerplate] section"
        return f" (boilerplate settings go in {where})"
    return _did_you_mean(key, allowed)


def _table(raw: Any, name: str, keys: tuple[str, ...], problems: Problems) -> bool:
    """Whether the section [name] is a table; its unknown keys are recorded as problems."""
    if not isinstance(raw, dict):
        problems.add(name, f"expected a table [{name}]")
        return False
    _check_keys(raw, keys, f"{name}.", problems)
    return True


def _typed(
    table: dict, key: str, prefix: str, problems: Problems, kind: str, check: Callable[[Any], bool]
) -> Any:
    """Return table[key] when it passes ``check``; record a problem otherwise."""
    if key not in table:
        return None
    value = table[key]
    if not check(value):
        problems.add(f"{prefix}{key}", f"expected {kind}, got {type(value).__name__} {value!r}")
        return None
    return value


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _positive_int(v: Any) -> bool:
    return _is_int(v) and v > 0


def _positive_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0


def _duration(table: dict, key: str, prefix: str, problems: Problems, at_least: int = 1) -> int | None:
    """A duration key in seconds, at least ``at_least``; a problem recorded when it is not one."""
    if key not in table:
        return None
    seconds = parse_duration(table[key])
    if seconds is None:
        problems.add(f"{prefix}{key}", f"expected {DURATION_KIND}, got {table[key]!r}")
    elif seconds < at_least:
        problems.add(f"{prefix}{key}", f"{table[key]!r} is too short: at least {at_least} s")
        return None
    return seconds


def normalise_feed_url(value: str, base_dir: Path) -> str:
    """Return the feed's URL: http(s) as written, local paths as absolute file:// URLs.

    Raises ValueError with a user-facing reason when the value is no usable URL.
    """
    value = value.strip()
    if not value:
        raise ValueError("empty URL")
    if any(char < " " or char == "\x7f" for char in value):  # urlsplit would drop a tab and store it anyway
        raise ValueError(f"{value!r} holds a control character (a tab or line break): remove it")
    if value[:6].lower() == "file:/" and value[6:7] != "/":  # "file:/home/me/feed.xml" (RFC 8089)
        return Path(value[5:]).as_uri()
    if "://" in value:
        try:
            parts = urlsplit(value)
        except ValueError:  # "https://[bad": an unclosed IPv6 bracket
            raise ValueError(f"{value!r} is not a valid web address") from None
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            if not parts.hostname:
                raise ValueError(f"{value!r} has no host name")
            # an IPv6 address (urlsplit drops its brackets) may carry a zone: "fe80::1%25eth0"
            if ":" not in parts.hostname and _NOT_IN_HOST.search(parts.hostname):
                raise ValueError(f"{value!r} has an invalid host name {parts.hostname!r}: a host name has no "
                                 "spaces or punctuation other than dots and hyphens; check the address for a typo")
            try:
                parts.port  # noqa: B018 - raises on a bad port
            except ValueError:
                raise ValueError(f"{value!r} has an invalid port") from None
            return value
        if scheme == "file":
            return Path(parts.path).as_uri() if parts.path.startswith("/") else value
        raise ValueError(f"unsupported scheme '{parts.scheme}' in {value!r}: use http://, https:// or a file path")
    if _BROKEN_SCHEME.match(value):
        scheme, _, rest = value.partition(":")
        scheme = scheme.lower() if scheme.lower() in ("http", "https") else "https"  # keep the http someone wrote
        raise ValueError(f"{value!r} looks like a web address with a mistyped scheme: write "
                         f"'{scheme}://{rest.lstrip('/')}' (or './{value}' for a local file)")
    if _HOSTLIKE.match(value) and not value.startswith((".", "/", "~")):
        raise ValueError(
            f"{value!r} looks like a web address without its scheme: write 'https://{value}' "
            f"(or './{value}' for a local file)"
        )
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = base_dir / path  # relative paths are relative to the config file
    return path.resolve().as_uri()


def _storage(raw: Any, problems: Problems) -> StorageSettings:
    if not _table(raw, "storage", STORAGE_KEYS, problems):
        return StorageSettings()
    path = _typed(raw, "path", "storage.", problems, "a string", lambda v: isinstance(v, str) and v.strip() != "")
    keep_html = _typed(raw, "keep_html", "storage.", problems, "true or false", lambda v: isinstance(v, bool))
    values: dict[str, Any] = {}
    if path:
        # The store path is relative to the working directory, like any CLI's output file.
        values["path"] = Path(path).expanduser()
    if keep_html is not None:
        values["keep_html"] = keep_html
    return StorageSettings(**values)


def _site_learning(raw: Any, problems: Problems) -> SiteLearningSettings:
    if not _table(raw, "site_learning", SITE_LEARNING_KEYS, problems):
        return SiteLearningSettings()
    p = "site_learning."
    values = {
        "enabled": _typed(raw, "enabled", p, problems, "true or false", lambda v: isinstance(v, bool)),
        # Two is the least that can mean "recurs"; one would make every paragraph boilerplate.
        "min_articles": _typed(raw, "min_articles", p, problems, "an integer >= 2", lambda v: _is_int(v) and v >= 2),
        "min_share": _typed(raw, "min_share", p, problems, "a number above 0 and at most 1",
                            lambda v: _positive_number(v) and v <= 1),
    }
    if values["min_share"] is not None:
        values["min_share"] = float(values["min_share"])
    return SiteLearningSettings(**{k: v for k, v in values.items() if v is not None})


def _dedup(raw: Any, problems: Problems) -> DedupSettings:
    if not _table(raw, "dedup", DEDUP_KEYS, problems):
        return DedupSettings()
    p = "dedup."
    params = _typed(raw, "tracking_params", p, problems, 'a list of parameter names such as ["ref", "pk_*"]',
                    lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v))
    for name in params or ():
        if not _PARAM_NAME.match(name):
            problems.add(f"{p}tracking_params", f"{name!r} is not a query parameter name: write it as it appears "
                         "before '=' in a URL, with '*' at the end only to mean 'starts with'")
    values = {
        "tracking_params": tuple(params) if params else None,
        # Below 0.3 LSH candidates are mostly chance; 1 would only repeat the exact-text match.
        "near_threshold": _typed(raw, "near_threshold", p, problems, "a number from 0.3 to 1",
                                 lambda v: _positive_number(v) and 0.3 <= v <= 1),
        "min_words": _typed(raw, "min_words", p, problems, "an integer >= 10", lambda v: _is_int(v) and v >= 10),
    }
    if values["near_threshold"] is not None:
        values["near_threshold"] = float(values["near_threshold"])
    return DedupSettings(**{k: v for k, v in values.items() if v is not None})


def _overrides(raw: dict, prefix: str, problems: Problems, inherited: tuple[str, ...] = ()) -> Overrides:
    """Rules and disabled names of one [boilerplate]-like table; problems name the key and the rule."""
    rules: tuple[Rule, ...] = ()
    raw_rules = raw.get("rules", [])
    if not isinstance(raw_rules, list) or not all(isinstance(r, dict) for r in raw_rules):
        problems.add(f"{prefix}rules", "expected an array of tables: write each rule as [[...rules]] "
                                       "with name, patterns and optionally action, max_chars")
    else:
        try:
            rules = compile_rules({"rules": raw_rules}, "", default_vocabulary())
        except ValueError as exc:
            # compile_rules says ": rules[2] (name): problem"; put it under this table's key.
            key, _, message = str(exc).removeprefix(": ").partition(": ")
            problems.add(f"{prefix}{key}", message)
    disable = _typed(raw, "disable", prefix, problems, "a list of rule names",
                     lambda v: isinstance(v, list) and all(isinstance(n, str) for n in v)) or []
    allowed = tuple(dict.fromkeys([*known_names(rules), *inherited]))  # a site may disable a global rule
    for name in disable:
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (the names are: {', '.join(allowed)})"
            problems.add(f"{prefix}disable", f"no rule or check named {name!r}{hint}")
    return Overrides(rules=rules, disable=frozenset(disable))


def _boilerplate(raw: Any, problems: Problems) -> BoilerplateSettings:
    if not _table(raw, "boilerplate", BOILERPLATE_KEYS, problems):
        return BoilerplateSettings()
    everywhere = _overrides(raw, "boilerplate.", problems)
    sites: list[tuple[str, Overrides]] = []
    raw_sites = raw.get("sites", [])
    if not isinstance(raw_sites, list):
        problems.add("boilerplate.sites", "expected an array of tables: write each as [[boilerplate.sites]]")
        raw_sites = []
    for index, item in enumerate(raw_sites):
        prefix = f"boilerplate.sites[{index}]."
        if not isinstance(item, dict):
            problems.add(prefix.rstrip("."), "expected a table with site = \"example.org\"")
            continue
        _check_keys(item, SITE_KEYS, prefix, problems)
        site = _typed(item, "site", prefix, problems, "a host name such as \"example.org\"",
                      lambda v: isinstance(v, str) and v.strip() != "" and "/" not in v)
        if "site" not in item:
            problems.add(f"{prefix}site", "missing: say which site these rules are for, e.g. site = \"example.org\"")
        overrides = _overrides(item, prefix, problems, tuple(r.name for r in everywhere.rules))
        if site:
            sites.append((site.strip().lower().removeprefix("www."), overrides))
    return BoilerplateSettings(everywhere=everywhere, sites=tuple(sites))


def _http(raw: Any, problems: Problems) -> HttpSettings:
    if not _table(raw, "http", HTTP_KEYS, problems):
        return HttpSettings()
    p = "http."
    values = {
        "user_agent": _typed(raw, "user_agent", p, problems, "a non-empty string without control characters",
                             lambda v: isinstance(v, str) and v.strip() != "" and not _CONTROL.search(v)),
        "timeout": _typed(raw, "timeout", p, problems, "a positive number of seconds", _positive_number),
        "max_bytes": _typed(raw, "max_bytes", p, problems, "a positive integer", _positive_int),
        "max_redirects": _typed(raw, "max_redirects", p, problems, "an integer >= 0", lambda v: _is_int(v) and v >= 0),
        "max_connections": _typed(raw, "max_connections", p, problems, "a positive integer", _positive_int),
        "max_per_host": _typed(raw, "max_per_host", p, problems, "a positive integer", _positive_int),
        "host_delay": _typed(raw, "host_delay", p, problems, "a number of seconds >= 0",
                             lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0),
        "allow_private": _typed(raw, "allow_private", p, problems, "true or false", lambda v: isinstance(v, bool)),
    }
    for key in ("timeout", "host_delay"):
        if values[key] is not None:
            values[key] = float(values[key])
    return HttpSettings(**{k: v for k, v in values.items() if v is not None})


# Polling more often than once a minute is no news reader's business, and hammers servers.
MIN_POLL_INTERVAL = 60


def _poll(raw: Any, problems: Problems) -> PollSettings:
    if not _table(raw, "poll", POLL_KEYS, problems):
        return PollSettings()
    p = "poll."
    values: dict[str, Any] = {
        "min_interval": _duration(raw, "min_interval", p, problems, MIN_POLL_INTERVAL),
        "max_interval": _duration(raw, "max_interval", p, problems, MIN_POLL_INTERVAL),
        "default_interval": _duration(raw, "default_interval", p, problems, MIN_POLL_INTERVAL),
        "disable_after": _duration(raw, "disable_after", p, problems, 3600),
        "jitter": _typed(raw, "jitter", p, problems, "a number from 0 to 1",
                         lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1),
        "fetch_pages": _typed(raw, "fetch_pages", p, problems, "true or false", lambda v: isinstance(v, bool)),
        "batch": _typed(raw, "batch", p, problems, "a positive integer", _positive_int),
        "feeds_in_flight": _typed(raw, "feeds_in_flight", p, problems, "a positive integer", _positive_int),
        "workers": _typed(raw, "workers", p, problems, "an integer >= 0 (0: no worker processes)",
                          lambda v: _is_int(v) and v >= 0),
    }
    if values["jitter"] is not None:
        values["jitter"] = float(values["jitter"])
    settings = PollSettings(**{k: v for k, v in values.items() if v is not None})
    if settings.min_interval > settings.max_interval:
        problems.add(f"{p}min_interval", f"{settings.min_interval} s is above max_interval ({settings.max_interval} s)")
    return settings


def _retention(raw: Any, problems: Problems) -> RetentionSettings:
    if not _table(raw, "retention", RETENTION_KEYS, problems):
        return RetentionSettings()
    p = "retention."
    values = {key: _typed(raw, key, p, problems, "a number of days >= 0 (0 keeps everything)",
                          lambda v: _is_int(v) and v >= 0) for key in RETENTION_KEYS}
    return RetentionSettings(**{k: v for k, v in values.items() if v is not None})


def _feed(raw: Any, index: int, base_dir: Path, problems: Problems,
          rule_names: tuple[str, ...] = ()) -> FeedSettings | None:
    prefix = f"feeds[{index}]."
    if not isinstance(raw, dict):
        problems.add(f"feeds[{index}]", "expected a table [[feeds]] with at least url = \"...\"")
        return None
    _check_keys(raw, FEED_KEYS, prefix, problems)
    url = _typed(raw, "url", prefix, problems, "a string", lambda v: isinstance(v, str))
    if "url" not in raw:
        problems.add(f"{prefix}url", "missing: every [[feeds]] entry needs url = \"https://...\"")
    name = _typed(raw, "name", prefix, problems, "a string", lambda v: isinstance(v, str))
    tags = _typed(raw, "tags", prefix, problems, "a list of strings",
                  lambda v: isinstance(v, list) and all(isinstance(t, str) for t in v))
    enabled = _typed(raw, "enabled", prefix, problems, "true or false", lambda v: isinstance(v, bool))
    boilerplate = Overrides()
    if "boilerplate" in raw:
        if isinstance(raw["boilerplate"], dict):
            _check_keys(raw["boilerplate"], OVERRIDE_KEYS, f"{prefix}boilerplate.", problems)
            boilerplate = _overrides(raw["boilerplate"], f"{prefix}boilerplate.", problems, rule_names)
        else:
            problems.add(f"{prefix}boilerplate", "expected a table: boilerplate = { disable = [\"...\"] }")
    min_interval = _duration(raw, "min_interval", prefix, problems, MIN_POLL_INTERVAL)
    max_interval = _duration(raw, "max_interval", prefix, problems, MIN_POLL_INTERVAL)
    if min_interval and max_interval and min_interval > max_interval:
        problems.add(f"{prefix}min_interval", f"{min_interval} s is above max_interval ({max_interval} s)")
    if url is None:
        return None
    try:
        url = normalise_feed_url(url, base_dir)
    except ValueError as exc:
        problems.add(f"{prefix}url", str(exc))
        return None
    return FeedSettings(url=url, name=name, tags=tuple(tags or ()), enabled=True if enabled is None else enabled,
                        boilerplate=boilerplate, min_interval=min_interval, max_interval=max_interval)


def parse_settings(raw: dict, source: str, base_dir: Path) -> tuple[Settings, list[str]]:
    """Validate parsed TOML; return the settings and the list of problems (empty when valid)."""
    problems = Problems(source)
    _check_keys(raw, SECTIONS, "", problems)
    storage = _storage(raw.get("storage", {}), problems)
    http = _http(raw.get("http", {}), problems)
    poll = _poll(raw.get("poll", {}), problems)
    retention = _retention(raw.get("retention", {}), problems)
    site_learning = _site_learning(raw.get("site_learning", {}), problems)
    dedup = _dedup(raw.get("dedup", {}), problems)
    boilerplate = _boilerplate(raw.get("boilerplate", {}), problems)
    # A feed may disable the config's own rules too, global or any site's.
    user_rules = tuple(rule.name for overrides in (boilerplate.everywhere, *(o for _, o in boilerplate.sites))
                       for rule in overrides.rules)
    feeds: list[FeedSettings] = []
    raw_feeds = raw.get("feeds", [])
    if not isinstance(raw_feeds, list):
        problems.add("feeds", "expected an array of tables: write each feed as [[feeds]]")
        raw_feeds = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw_feeds):
        feed = _feed(item, index, base_dir, problems, user_rules)
        if feed is None:
            continue
        if feed.url in seen:
            problems.add(f"feeds[{index}].url", f"duplicate of feeds[{seen[feed.url]}].url ({feed.url})")
            continue
        seen[feed.url] = index
        if feed.max_interval and not feed.min_interval and feed.max_interval < poll.min_interval:
            problems.add(f"feeds[{index}].max_interval", f"{feed.max_interval} s is below [poll] min_interval "
                         f"({poll.min_interval} s); lower min_interval for this feed too, or raise max_interval")
        feeds.append(feed)
    settings = Settings(source=source, storage=storage, http=http, site_learning=site_learning, dedup=dedup,
                        boilerplate=boilerplate, poll=poll, retention=retention, feeds=tuple(feeds))
    return settings, problems.items
