"""The feed copies of bench/polling.py: real feed files, unique per copy.

Copy ``n`` (0, 1, 2, ...) of the polling benchmark is served as ``f/<n>.xml``
and is the ``n % 55``-th feed file of ``$NEWSD_SHARED/corpus/realfeeds``
(sorted by path; the HTML page ``unrecognized.rss``, the OPML lists and the
licences left out). Each copy is the file's own bytes with one change: the
identity of every entry is made unique to the copy, as the corpus README asks
(readers that deduplicate by GUID across feeds, newsboat among them, would
otherwise keep one copy of each item):

* an entry's ``<guid>``, Atom ``<id>``, RSS ``<link>``, Atom ``<link href>``
  (no ``rel`` or ``rel="alternate"``) and RDF ``rdf:about`` get a suffix:
  URLs a query parameter ``copy=<n>`` (before any fragment, with ``?`` or
  ``&amp;``/``&`` as the URL and its escaping need), other identifiers
  ``#c<n>``. A query parameter and not a fragment, because URL
  canonicalisation drops fragments: with ``#c<n>`` every copy of an entry
  would have one canonical URL, and newsd would store it once and skip the
  rest, which real distinct feeds do not allow;
* nothing else changes: encodings, declarations, whitespace, the entries'
  text and dates are the publisher's bytes.

A *changed* copy (version ``v >= 1``, the 10%-changed poll) has ``k`` new
entries in front of its first one: copies of its first ``k`` entries whose
identities carry ``copy=<n>v<v>e<j>`` instead, so they are new to any reader
(new GUID and new link) while the file stays a real feed. Its modification
time moves ``v`` hours past the base time, so the server gives it a new
ETag and Last-Modified.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

SKIP_NAMES = {"unrecognized.rss", "LICENSE", "README.md", "manifest.tsv"}
SKIP_SUFFIXES = (".opml",)
BASE_MTIME = 1709272800  # 2024-03-01 06:00:00 UTC: Last-Modified of version 0
NEW_ENTRIES = 3  # entries added to a changed copy

_ENTRY = re.compile(rb"<(item|entry)\b[^>]*>.*?</\1\s*>", re.S)
_TEXT_ELEMENTS = re.compile(rb"<(guid|id|link)(\s[^>]*)?(?<!/)>(.*?)</\1\s*>", re.S)
_LINK_TAG = re.compile(rb"<link\b([^>]*)/?>", re.S)
_HREF = re.compile(rb"""\bhref\s*=\s*(["'])(.*?)\1""", re.S)
_REL = re.compile(rb"""\brel\s*=\s*(["'])(.*?)\1""", re.S)
_ABOUT = re.compile(rb"""^<item\b[^>]*?\brdf:about\s*=\s*(["'])(.*?)\1""", re.S)
_URL = re.compile(rb"\s*https?://", re.I)
_CDATA = re.compile(rb"\s*<!\[CDATA\[(.*?)\]\]>\s*$", re.S)


@dataclass(frozen=True)
class Point:
    """Where a copy's token goes: ``prefix + token`` is inserted at ``offset``."""

    offset: int
    prefix: bytes  # b"?copy=", b"&amp;copy=", b"&copy=" or b"#c"


@dataclass(frozen=True)
class Template:
    """One feed file, with the insertion points of every entry's identity."""

    path: Path
    data: bytes
    points: tuple[Point, ...]
    entries: tuple[tuple[int, int], ...]  # (start, end) of each item/entry element

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    def render(self, token: bytes, start: int = 0, end: int | None = None) -> bytes:
        end = len(self.data) if end is None else end
        out, at = [], start
        for p in self.points:
            if p.offset < start or p.offset > end:
                continue
            out += [self.data[at:p.offset], p.prefix, token]
            at = p.offset
        out.append(self.data[at:end])
        return b"".join(out)

    def copy(self, n: int, version: int = 0) -> bytes:
        """The bytes of copy ``n`` at ``version`` (0: as captured; v >= 1: NEW_ENTRIES entries added)."""
        token = str(n).encode()
        if version == 0 or not self.entries:
            return self.render(token)
        first = self.entries[0][0]
        added = [self.render(f"{n}v{version}e{j}".encode(), s, e) + b"\n"
                 for j, (s, e) in enumerate(self.entries[:NEW_ENTRIES])]
        return self.render(token, 0, first) + b"".join(added) + self.render(token, first)


def _value_point(data: bytes, start: int, end: int, attribute: bool) -> Point | None:
    """The insertion point for an identity held in data[start:end]: an attribute value or an element's text."""
    value = data[start:end]
    escaped = True  # attribute values and element text are XML-escaped; CDATA is not
    cdata = None if attribute else _CDATA.match(value)
    if cdata:
        start, value, escaped = start + cdata.start(1), cdata.group(1), False
    stripped = value.rstrip()
    if not stripped.strip():
        return None
    lead = len(value) - len(value.lstrip())
    end = start + len(stripped)
    if _URL.match(value):
        hash_at = value.find(b"#", lead)
        point = start + hash_at if hash_at >= 0 else end
        amp = b"&amp;" if escaped else b"&"
        return Point(point, (amp if b"?" in data[start:point] else b"?") + b"copy=")
    return Point(end, b"#c")


def _entry_points(data: bytes, start: int, end: int) -> list[Point]:
    points: list[Point] = []
    element = data[start:end]
    about = _ABOUT.match(element)
    if about:
        p = _value_point(data, start + about.start(2), start + about.end(2), attribute=True)
        if p:
            points.append(p)
    for m in _TEXT_ELEMENTS.finditer(element):
        p = _value_point(data, start + m.start(3), start + m.end(3), attribute=False)
        if p:
            points.append(p)
    for m in _LINK_TAG.finditer(element):
        attrs = m.group(1)
        rel = _REL.search(attrs)
        href = _HREF.search(attrs)
        if href and (rel is None or rel.group(2).strip().lower() == b"alternate"):
            at = start + m.start(1) + href.start(2)
            p = _value_point(data, at, at + len(href.group(2)), attribute=True)
            if p:
                points.append(p)
    return points


def load_template(path: Path) -> Template:
    data = path.read_bytes()
    points: list[Point] = []
    entries: list[tuple[int, int]] = []
    for m in _ENTRY.finditer(data):
        entries.append((m.start(), m.end()))
        points += _entry_points(data, m.start(), m.end())
    points.sort(key=lambda p: p.offset)
    return Template(path, data, tuple(points), tuple(entries))


def corpus_files(shared: Path) -> list[Path]:
    root = shared / "corpus" / "realfeeds"
    files = sorted(p for p in root.glob("*/*")
                   if p.is_file() and p.name not in SKIP_NAMES and not p.name.endswith(SKIP_SUFFIXES))
    if not files:
        raise FileNotFoundError(f"no feed files under {root} (set NEWSD_SHARED)")
    return files


class FeedSet:
    """The copies on disk under ``root/f/``, with their current versions."""

    def __init__(self, shared: Path, root: Path) -> None:
        self.templates = [load_template(p) for p in corpus_files(shared)]
        self.root = root
        (root / "f").mkdir(parents=True, exist_ok=True)
        self.versions: dict[int, int] = {}

    def template(self, n: int) -> Template:
        return self.templates[n % len(self.templates)]

    def path(self, n: int) -> Path:
        return self.root / "f" / f"{n}.xml"

    def write(self, n: int, version: int = 0) -> int:
        """Write copy ``n`` at ``version`` (atomically: the server never sees half a file); its size."""
        data = self.template(n).copy(n, version)
        path = self.path(n)
        tmp = path.with_name(f".{n}.tmp")
        tmp.write_bytes(data)
        mtime = BASE_MTIME + 3600 * version
        os.utime(tmp, (mtime, mtime))
        os.replace(tmp, path)
        self.versions[n] = version
        return len(data)

    def ensure(self, count: int) -> int:
        """Copies 0..count-1 on disk at version 0; returns their total size in bytes."""
        total = 0
        for n in range(count):
            if self.versions.get(n) != 0:
                total += self.write(n, 0)
            else:
                total += self.path(n).stat().st_size
        return total

    def change(self, copies: list[int]) -> None:
        """Give each copy a new version: new entries, new bytes, new validators."""
        for n in copies:
            self.write(n, self.versions.get(n, 0) + 1)
