"""URL canonicalisation: one spelling per page, so a story is stored once. Pure.

What changes, and why it is safe for news pages:

- scheme and host are lower-cased, a default port (``:80``, ``:443``) goes,
  and so does the fragment (it never reaches the server); userinfo stays;
- tracking parameters (``utm_*``, ``fbclid``... and the config's own) go, and
  the remaining query is sorted: servers do not care about its order;
- percent-escapes are normalised (``%7e`` is ``~``, ``%c3%a9`` is ``%C3%A9``),
  bare non-ASCII is escaped, and a trailing slash on a path goes;
- AMP spellings (``/amp``, ``.amp.html``, ``?amp=1``, the Google AMP cache)
  map to the page they render.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# Characters left as they are when quoting; "%" keeps existing escapes intact.
_PATH_SAFE = "/%:@!$&'()*+,;=~-._"
_QUERY_SAFE = _PATH_SAFE + "?"
_ESCAPE = re.compile(r"%([0-9a-fA-F]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# "?amp=1", "?outputType=amp": the AMP rendering of the same page.
_AMP_PARAMS = {"amp": {"", "1", "true"}, "outputtype": {"amp"}, "output": {"amp"}}
_AMP_CACHE_HOST = ".cdn.ampproject.org"


@dataclass(frozen=True)
class TrackingParams:
    """Query parameters that follow the reader and never change the page.

    ``names`` match exactly, ``prefixes`` match the start; both case-insensitive.
    """

    names: frozenset[str] = field(default_factory=lambda: frozenset({
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid",
        "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "twclid", "ttclid", "s_cid",
        "cmpid", "ocid", "wt.mc_id", "at_medium", "at_campaign", "xtor", "ns_mchannel", "ns_campaign", "ito",
    }))
    prefixes: tuple[str, ...] = ("utm_",)

    def matches(self, name: str) -> bool:
        lowered = name.lower()
        return lowered in self.names or lowered.startswith(self.prefixes)

    def extended(self, extra: list[str] | tuple[str, ...]) -> TrackingParams:
        """These parameters and ``extra`` ("ref" exactly, "pk_*" as a prefix)."""
        names = {e.lower() for e in extra if not e.endswith("*")}
        prefixes = tuple(e[:-1].lower() for e in extra if e.endswith("*") and len(e) > 1)
        return TrackingParams(self.names | names, self.prefixes + prefixes)


DEFAULT_TRACKING = TrackingParams()


def _normalise_escapes(part: str, safe: str) -> str:
    """Unreserved characters unescaped, other escapes upper-case, bare non-ASCII escaped."""
    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return quote(_ESCAPE.sub(one, part), safe=safe)


def _amp_path(path: str) -> str:
    """The path without its AMP markers ("/amp/x", "/x/amp", "/x.amp", "/x.amp.html") or trailing slash."""
    while True:  # each step shortens the path, so this ends
        trimmed = path.rstrip("/")
        segments = trimmed.split("/")
        last = segments[-1].lower()
        if len(segments) > 2 and last == "amp":
            path = "/".join(segments[:-1])
        elif len(segments) > 2 and segments[1].lower() == "amp":
            path = "/".join(segments[:1] + segments[2:])
        elif last.endswith(".amp.html"):
            path = trimmed[: -len(".amp.html")] + ".html"
        elif last.endswith(".amp") and len(last) > len(".amp"):
            path = trimmed[: -len(".amp")]
        else:
            return trimmed or "/"


def _is_amp_param(pair: str) -> bool:
    name, _, value = pair.partition("=")
    return value.lower() in _AMP_PARAMS.get(unquote_plus(name).lower(), ())


def _from_amp_cache(url: str) -> str | None:
    """The publisher's URL inside a Google AMP cache URL (".../c/s/example.com/x"), if it is one."""
    if _AMP_CACHE_HOST not in url.lower():  # nearly every URL: no need to parse it
        return None
    parts = urlsplit(url)
    if not (parts.hostname or "").lower().endswith(_AMP_CACHE_HOST):
        return None
    match = re.match(r"^/[cvi]/(s/)?([^/?#]+\.[^/?#]+)(/[^?#]*)?$", parts.path)
    if not match:
        return None
    scheme = "https" if match.group(1) else "http"
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{match.group(2)}{match.group(3) or '/'}{query}"


def canonical_url(url: str, tracking: TrackingParams = DEFAULT_TRACKING) -> str:
    """The one spelling of ``url`` that lookups compare (see the module docstring).

    Idempotent, and never raises: a string that is not a parseable http(s)
    URL comes back stripped of whitespace and fragment.
    """
    # One pass can reveal more to do ("?amp=%31" is "?amp=1" only once
    # unescaped; an AMP cache URL may wrap another): repeat to a fixed point.
    # Every pass after the first shortens the URL, so the bound is never reached.
    for _ in range(len(url) + 2):
        again = _canonical_once(url, tracking)
        if again == url:
            break
        url = again
    return url


def _canonical_once(url: str, tracking: TrackingParams) -> str:
    url = url.split("#", 1)[0].strip()  # the fragment never reaches the server
    scheme_match = _SCHEME.match(url)
    if not scheme_match or scheme_match.group(1).lower() not in DEFAULT_PORTS:
        return url  # file:, mailto:, a bare path...: nothing more to normalise
    try:
        url = _from_amp_cache(url) or url
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port
        if not host:
            return url  # "http:///x" names no server: nothing to normalise
        if ":" in host:
            host = f"[{host}]"  # an IPv6 literal keeps its brackets
        netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
        if parts.username:
            netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
        pairs = sorted(
            _normalise_escapes(p, _QUERY_SAFE)
            for p in parts.query.split("&")
            if p and not tracking.matches(unquote_plus(p.split("=", 1)[0])) and not _is_amp_param(p)
        )
        path = _amp_path(_normalise_escapes(parts.path, _PATH_SAFE))
    except (ValueError, UnicodeError):  # an unparseable port or host; a lone surrogate
        return url
    return urlunsplit((scheme, netloc, path, "&".join(pairs), ""))


def site_of(url: str | None) -> str | None:
    """The site a URL belongs to: its host, lower-cased, without "www."; None without a host."""
    if not url:
        return None
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:  # "http://[bad": no host to name
        return None
    return host.removeprefix("www.") or None  # file:// pages have no site


def same_site(first: str, second: str) -> bool:
    """Whether two URLs are on one site: the same host, "www." aside."""
    site = site_of(first)
    return site is not None and site == site_of(second)
