"""Article text a page carries in its scripts rather than in its markup.

Client-rendered pages (Next.js, Nuxt and the like) send a shell whose
markup holds little or no story, and the article as data: HTML inside a
JSON string in a ``<script>`` ("\\u003cp\\u003eThe council..."). When
trafilatura finds (almost) nothing in the markup, ``extract`` looks here.
(JSON-LD's plain-text ``articleBody`` needs nothing of this: trafilatura's
own fallback reads it.) Pure: strings in, a fragment of HTML out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

MIN_PARAGRAPHS = 3  # a fragment with fewer <p> is a teaser or a caption, not an article
# A JSON string literal (the "unrolled loop" form: linear, no backtracking).
_JSON_STRING = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"', re.S)
# An opening paragraph tag, as JSON writes it ("\u003cp") or as it is.
_ESCAPED_PARAGRAPH = re.compile(r"(?:\\u003c|<)p[\s>\\]", re.I)
_PARAGRAPH_TAG = re.compile(r"<p[\s>]", re.I)


def embedded_article(scripts: Iterable[str]) -> str | None:
    """The longest HTML fragment of ``MIN_PARAGRAPHS`` paragraphs or more in a script's JSON strings, or None."""
    fragments = [fragment for script in scripts for fragment in _html_strings(script)]
    return max(fragments, key=len) if fragments else None


def _html_strings(script: str) -> Iterator[str]:
    if not _ESCAPED_PARAGRAPH.search(script):  # cheap test first: most scripts are code
        return
    # Walk string by string: a regex search from every quote would rescan the
    # rest of the script at each escaped quote of a JSON text inside a
    # single-quoted JavaScript string ('{\"k\": ...}'), quadratic in its size.
    position = script.find('"')
    while position != -1:
        found = _JSON_STRING.match(script, position)
        if found is None:  # an unclosed quote: no JSON string past here
            return
        if len(_ESCAPED_PARAGRAPH.findall(found[1], 0, 100_000)) >= MIN_PARAGRAPHS:  # enough to tell
            try:
                value = json.loads(f'"{found[1]}"')
            except ValueError:
                value = ""
            if len(_PARAGRAPH_TAG.findall(value)) >= MIN_PARAGRAPHS:
                yield value
        position = script.find('"', found.end())
