"""The newsd SQLite store: schema, migrations, writes and queries.

Imports nothing from ``newsd.daemon`` or ``newsd.config``: the store is the
contract with downstream users and stands on its own.
"""

from newsd.storage.errors import StoreError
from newsd.storage.records import ArticleRecord, PollRecord, SourceRecord
from newsd.storage.store import Store, open_store

__all__ = ["ArticleRecord", "PollRecord", "SourceRecord", "Store", "StoreError", "open_store"]
