"""The newsd SQLite store: schema, migrations, writes and queries.

Imports nothing from ``newsd.daemon`` or ``newsd.config``: the store is the
contract with downstream users and stands on its own.
"""

from newsd.storage.errors import StoreError
from newsd.storage.pages import pack_page, unpack_page
from newsd.storage.records import ArticleRecord, FingerprintRecord, PageRecord, ParagraphStat, PollRecord, SourceRecord, StoredPage, StoredStory
from newsd.storage.store import Store, is_store_failure, open_store

__all__ = [
    "ArticleRecord", "FingerprintRecord", "PageRecord", "ParagraphStat", "PollRecord", "SourceRecord", "Store", "StoreError",
    "StoredPage", "StoredStory", "is_store_failure", "open_store", "pack_page", "unpack_page",
]
