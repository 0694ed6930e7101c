"""The seed articles, as realistic pages of the bundled sample site, come out clean.

Ground truth (../shared/seeds/expected): every keep line survives, no drop
line is stored, meta lines land in metadata and not in the text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO, SAMPLE, SHARED
from newsd.daemon.extract import extract

SEEDS = {"000_3aa5e5d8e23d73fd": "raqqa-revolt.html", "003_ceb1a624b519d35d": "tel-abyad-dissidence.html"}
SHARED_EXPECTED = SHARED / "seeds" / "expected"


def lines(seed: str, kind: str) -> list[str]:
    path = FIXTURES / "seeds" / f"{seed}.{kind}.txt"
    if not path.exists():
        return []
    return [norm(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def norm(text: str) -> str:
    return " ".join(text.split())


def paragraphs(text: str) -> list[str]:
    return [norm(p) for p in text.split("\n\n")]


@pytest.mark.skipif(not SHARED_EXPECTED.exists(), reason=f"no shared seeds at {SHARED_EXPECTED} (set $NEWSD_SHARED)")
def test_fixture_copies_match_the_shared_seeds():
    for original in SHARED_EXPECTED.glob("*.txt"):
        assert (FIXTURES / "seeds" / original.name).read_bytes() == original.read_bytes()


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_seed_page_extracts_clean(seed):
    html = (SAMPLE / SEEDS[seed]).read_text(encoding="utf-8")
    doc = extract(html, url=(SAMPLE / SEEDS[seed]).as_uri())
    keep = lines(seed, "keep")
    assert norm(doc.title or "") == keep[0]  # the first keep line is the headline
    body = paragraphs(doc.text)
    missing = [line for line in keep[1:] if line not in body]
    assert not missing, f"keep lines lost: {missing}"
    leaked = [line for line in lines(seed, "drop") + lines(seed, "meta") if any(line in p for p in body)]
    assert not leaked, f"boilerplate left in the text: {leaked}"
    # Keep lines stay in their original order.
    positions = [body.index(line) for line in keep[1:]]
    assert positions == sorted(positions)


def test_seed_meta_lines_become_metadata():
    html = (SAMPLE / SEEDS["003_ceb1a624b519d35d"]).read_text(encoding="utf-8")
    doc = extract(html)
    assert "Naima al-Khalil" in doc.authors
    assert doc.site_name == "ARA News"
    assert {r.rule for r in doc.removed} >= {"byline", "source-credit", "share-follow"}


def test_bundled_sample_end_to_end(tmp_path: Path, run_cli):
    """What `make run` does, on the sample feed only (the real feeds would touch the network)."""
    db = str(tmp_path / "sample.db")
    config = str(REPO / "config" / "newsd.example.toml")
    result = run_cli("--config", config, "--db", db, "fetch", "--feed", "newsd sample site", "--json")
    summary = json.loads(result.stdout)
    assert result.exit_code == 0
    assert summary["articles_new"] == 2
    sample, = summary["feeds"]
    assert sample["url"].endswith("sample/feed.xml")
    assert sample["status"] == "ok" and not sample["page_errors"]

    found = json.loads(run_cli("--db", db, "search", "raqqa", "--format", "json").stdout)
    assert len(found) == 2
    for row in found:
        shown = run_cli("--db", db, "show", str(row["id"])).output
        seed = next(s for s, page in SEEDS.items() if row["url"].endswith(page))
        text = norm(shown)
        assert all(line in text for line in lines(seed, "keep"))
        assert not any(line in text.split("Sources (")[1] for line in lines(seed, "drop"))
