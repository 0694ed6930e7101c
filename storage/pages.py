"""How raw pages are packed for the store: zlib from the standard library. Pure.

The bytes are kept exactly as received, not decoded: re-extraction must see
the same input as the fetch did, encoding detection included.
"""

from __future__ import annotations

import zlib

from newsd.storage.records import PageRecord

COMPRESSION = "zlib"


def pack_page(url: str, body: bytes, fetched_at: str) -> PageRecord:
    """A page ready to store. CPU work: the pipeline calls it off the event loop."""
    return PageRecord(url=url, compression=COMPRESSION, html=zlib.compress(body, 6), fetched_at=fetched_at)


def unpack_page(page: PageRecord) -> bytes:
    """The page's original bytes."""
    if page.compression == COMPRESSION:
        return zlib.decompress(page.html)
    raise ValueError(f"unknown page compression {page.compression!r}")
