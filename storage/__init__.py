"""The newsd SQLite store: schema, migrations, writes and queries.

Imports nothing from ``newsd.daemon`` or ``newsd.config``: the store is the
contract with downstream users and stands on its own.
"""

from newsd.storage.errors import StoreError
from newsd.storage.records import ArticleRecord, PollRecord, SourceRecord
from newsd.storage.store import Store, is_store_failure, open_store

__all__ = ["ArticleRecord", "PollRecord", "SourceRecord", "Store", "StoreError", "is_store_failure", "open_store"]
