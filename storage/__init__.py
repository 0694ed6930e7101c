"""The newsd SQLite store: schema, migrations, writes and queries.

Imports nothing from ``newsd.daemon`` or ``newsd.config``: the store is the
contract with downstream users and stands on its own.

``Store`` and the functions that open one are imported on first use: a
worker process needs the records and page packing only, and sqlite-utils
would cost each worker several megabytes for nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsd.storage.errors import StoreError
from newsd.storage.pages import pack_page, unpack_page
from newsd.storage.records import ArticleRecord, FingerprintRecord, PageRecord, ParagraphStat, PollRecord, SourceRecord, StoredPage, StoredStory

if TYPE_CHECKING:
    from newsd.storage.store import Store, is_store_failure, open_store

__all__ = [
    "ArticleRecord", "FingerprintRecord", "PageRecord", "ParagraphStat", "PollRecord", "SourceRecord", "Store", "StoreError",
    "StoredPage", "StoredStory", "is_store_failure", "open_store", "pack_page", "unpack_page",
]

_FROM_STORE = {"Store", "is_store_failure", "open_store"}

if not TYPE_CHECKING:  # mypy reads the imports above, and still flags a misspelt name

    def __getattr__(name: str) -> object:
        if name in _FROM_STORE:
            from newsd.storage import store

            return getattr(store, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
