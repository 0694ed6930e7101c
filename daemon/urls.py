"""URL canonicalisation: one spelling per page, so a story is stored once. Pure."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# Query parameters that track the reader and never change the page.
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_hsenc", "_hsmi"})
TRACKING_PREFIXES = ("utm_",)
# Characters left as they are when quoting a path; "%" keeps existing escapes intact.
_PATH_SAFE = "/%:@!$&'()*+,;=~-._"
_QUERY_SAFE = _PATH_SAFE + "?"


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters.

    Never raises: a string that is not a parseable URL comes back stripped.
    """
    url = url.split("#", 1)[0].strip()  # the fragment never reaches the server
    scheme_match = _SCHEME.match(url)
    if not scheme_match or scheme_match.group(1).lower() not in DEFAULT_PORTS:
        return url  # file:, mailto:, a bare path...: nothing more to normalise
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url
    if not host:
        return url  # "http:///x" names no server: nothing to normalise
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    # Drop tracking pairs; keep the others exactly as written ("?flag" stays "?flag").
    query = "&".join(
        quote(p, safe=_QUERY_SAFE)
        for p in parts.query.split("&")
        if p and not is_tracking_param(unquote_plus(p.split("=", 1)[0]))
    )
    path = quote(parts.path, safe=_PATH_SAFE) or "/"
    return urlunsplit((scheme, netloc, path, query, ""))
