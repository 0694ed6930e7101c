"""docs/schema.md is the contract: every table and column of the store is documented."""

from __future__ import annotations

import re

from conftest import REPO
from newsd.storage import open_store
from newsd.storage.migrations import LATEST_VERSION



def documented_columns(doc: str, table: str) -> set[str]:
    section = doc.split(f"## `{table}`", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE))


def test_every_column_is_documented_and_nothing_else(tmp_path):
    doc = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    with open_store(tmp_path / "s.db") as store:
        # Every table of the schema, but FTS5's own: a new table cannot go undocumented.
        tables = [t for t in store.db.table_names() if not t.startswith("articles_fts")]
        assert {"feeds", "articles", "article_sources", "fetch_log", "article_html", "sites", "site_paragraphs"} <= set(tables)
        for table in tables:
            actual = {c.name for c in store.db[table].columns}
            assert documented_columns(doc, table) == actual, table
    assert f"currently **{LATEST_VERSION}**" in doc
    assert f"| {LATEST_VERSION} |" in doc  # the migrations table lists the newest version
