"""Benchmark newsd's deduplication: quality of "same story" decisions, and the cost of a lookup as the store grows.

    NEWSD_SHARED=../shared python bench/dedup.py                 # both parts
    python bench/dedup.py --part quality --stories 80           # labelled set only
    python bench/dedup.py --part cost --sizes 10000,100000      # index cost only

Part 1, quality. A labelled set is built from the dev pages of
../shared/eval/extraction (read from there, never copied). For each story
(a dev page with at least 150 words of expected text):

* the original page, at its own URL;
* copies, each as another site would print it (its own template, headline
  and boilerplate): the same text; a paragraph added; a paragraph cut; about
  5% of the words edited; a truncated teaser (the first 40%); and the
  original page again under a tracking-parameter URL;
* a templated sibling, a different story: the same text with every number,
  capitalised name, weekday and month replaced (what earnings reports,
  match results and weather stories from one template look like);
* distinct stories on the same topic: for each story, the other dev page
  whose text shares the most words with it.

All of it is served from local HTTP servers as feeds and pages, each site
on its own loopback address (127.0.0.1 to 127.0.0.9), and goes through newsd's real pipeline (`fetch_feeds`) into a fresh store.
Then every pair of pages is a "same story" decision: the store put them in
one article or not. Precision and recall are over the pairs; the templated
and same-topic pairs are reported apart (every one merged is an error).

Part 2, cost. A store is filled with N synthetic stories (random
fingerprints and LSH keys), then new stories are looked up and inserted as
newsd does it, in one transaction: `find_story`, the article row (with its
full-text entry), then its fingerprint and LSH keys. Each looked-up text is
a new story (dev-set words in random order, dev-set lengths), so it finds
no copy: the common case. Printed at each N: the median milliseconds of the
lookup plus the index insert (the commit counted with it), the growth from
the previous N, the same with the article row, then the cost of looking up
a copy of a story just stored (5% of its words edited; the facts check
runs), and the process's peak memory. The fingerprint itself (MinHash of
the text) is timed apart.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import itertools
import json
import os
import random
import re
import resource
import statistics
import struct
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MIN_WORDS = 150
VARIANTS = ("same-text", "paragraph-added", "paragraph-cut", "words-edited", "teaser", "tracking-url")
BOILERPLATE = [
    "Follow us on social media for the latest news and updates.",
    "Sign up for our morning newsletter and never miss a story.",
    "Support independent journalism: become a member today.",
    "Comments are closed for this article.",
]
FILLER = [
    "Officials said further details would be released later in the week, once the review had been completed.",
    "Local residents told reporters they had been following the developments closely for several months.",
    "The announcement came after a series of meetings between the parties involved, according to people familiar with the talks.",
]
NAMES = ["Halvorsen", "Okafor", "Lindqvist", "Moreau", "Castellano", "Novak", "Brennan", "Takahashi", "Ferreira",
         "Kowalczyk", "Whitfield", "Achterberg", "Delacroix", "Marchetti", "Szabo", "Oyelaran"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def eval_dir() -> Path:
    shared = os.environ.get("NEWSD_SHARED")
    return (Path(shared) if shared else REPO.parent / "shared") / "eval" / "extraction"


@dataclass(frozen=True)
class Item:
    """One page of the labelled set."""

    path: str  # where the local server serves it (query included)
    story: str  # the truth: pages with the same story id are one story
    kind: str  # original, a variant name, templated, same-topic
    html: str
    title: str


def page(title: str, paragraphs: list[str], site: str, rng: random.Random) -> str:
    """Another site's template around a story, with its own boilerplate inside the article."""
    body = list(paragraphs)
    body.insert(min(len(body), rng.randrange(2, 5)), rng.choice(BOILERPLATE))
    body.append(rng.choice(BOILERPLATE))
    inner = "\n".join(f"<p>{escape(p)}</p>" for p in body)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | {site}</title>'
            f'<meta property="og:site_name" content="{site}"></head><body><header><nav><a href="/">{site}</a> '
            f'<a href="/world">World</a></nav></header><main><article class="story-{rng.randrange(1000)}">'
            f"<h1>{escape(title)}</h1><div class=\"body\">{inner}</div></article></main>"
            f"<footer><p>© {site}</p></footer></body></html>")


def edit_words(paragraphs: list[str], rng: random.Random, share: float = 0.05) -> list[str]:
    out = []
    for paragraph in paragraphs:
        words = paragraph.split()
        out.append(" ".join(rng.choice(["however", "reportedly", "also", "still"]) if rng.random() < share else w
                            for w in words))
    return out


def templated(paragraphs: list[str], rng: random.Random) -> list[str]:
    """The same template with other facts: numbers, names, weekdays and months replaced throughout."""
    names: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        while True:  # another number, never the same one by chance
            value = "".join(str(rng.randrange(10)) if c.isdigit() else c for c in match.group())
            if value != match.group():
                return value

    def name(match: re.Match[str]) -> str:
        word = match.group()
        if word in WEEKDAYS:
            return rng.choice([d for d in WEEKDAYS if d != word])
        if word in MONTHS:
            return rng.choice([m for m in MONTHS if m != word])
        return names.setdefault(word, rng.choice(NAMES))

    def name_inside_sentence(match: re.Match[str]) -> str:
        word, before = match.group(), match.string[match.start() - 2]
        # capitalised words inside sentences (after a lowercase word or a comma), in any
        # script: names of people, places, companies
        if len(word) > 1 and word[0].isupper() and word[1:].islower() and (before.islower() or before in ",;"):
            return name(match)
        return word

    out = []
    for paragraph in paragraphs:
        paragraph = re.sub(r"\d[\d.,]*", number, paragraph)
        paragraph = re.sub(r"(?<=\S )[^\W\d_]+", name_inside_sentence, paragraph)
        out.append(paragraph)
    return out


def words_of(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.casefold()) if len(w) > 3}


def labelled_set(stories: int, seed: int) -> list[Item]:
    rng = random.Random(seed)
    pages = [json.loads(line) for line in (eval_dir() / "dev.jsonl").read_text(encoding="utf-8").splitlines() if line]
    usable = [p for p in pages if len(p["expected_text"].split()) >= MIN_WORDS and p.get("url")]
    rng.shuffle(usable)
    chosen = usable[:stories]
    vocab = {p["id"]: words_of(p["expected_text"]) for p in usable}
    items: list[Item] = []
    topic_used: set[str] = {p["id"] for p in chosen}
    for n, record in enumerate(chosen):
        html = gzip.open(eval_dir() / record["html_path"]).read().decode("utf-8", "replace")
        paragraphs = [" ".join(p.split()) for p in record["expected_text"].split("\n") if p.strip()]
        title = record.get("title") or paragraphs[0][:60]
        story = f"s{n}"
        items.append(Item(f"/site0/{n}/story.html", story, "original", html, title))
        variants = {
            "same-text": paragraphs,
            "paragraph-added": paragraphs[: len(paragraphs) // 2] + [rng.choice(FILLER)] + paragraphs[len(paragraphs) // 2:],
            "paragraph-cut": [p for i, p in enumerate(paragraphs) if i != len(paragraphs) // 2] if len(paragraphs) > 2 else paragraphs[:1],
            "words-edited": edit_words(paragraphs, rng),
            "teaser": paragraphs[: max(1, int(len(paragraphs) * 0.4))],
        }
        for k, (kind, body) in enumerate(variants.items(), start=1):
            headline = f"{title} ({kind})" if k % 2 else f"Update: {title}"
            items.append(Item(f"/site{k}/{n}/copy", story, kind, page(headline, body, f"Site {k}", rng), headline))
        items.append(Item(f"/site0/{n}/story.html?utm_source=rss&utm_medium=feed", story, "tracking-url", html, title))
        sibling = templated(paragraphs, rng)
        items.append(Item(f"/site7/{n}/templated", f"t{n}", "templated", page(title, sibling, "Site 7", rng), title))
        # the closest other dev page by shared words: another story on (nearly) the same topic
        others = [p for p in usable if p["id"] not in topic_used]
        if others:
            near = max(others, key=lambda p: len(vocab[p["id"]] & vocab[record["id"]]))
            topic_used.add(near["id"])
            near_html = gzip.open(eval_dir() / near["html_path"]).read().decode("utf-8", "replace")
            items.append(Item(f"/site8/{n}/topic.html", f"o{n}", "same-topic", near_html, near.get("title") or "Other"))
    return items


def rss(base: str, items: list[Item]) -> bytes:
    entries = "".join(f"<item><title>{escape(i.title)}</title><link>{escape(base + i.path)}</link>"
                      f"<guid>{escape(i.path)}</guid></item>" for i in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>bench</title>'
            f"<link>{base}/</link>{entries}</channel></rss>").encode("utf-8")


def site_host(path: str) -> str:
    """The loopback address that serves a page: one per site (/site3/... on 127.0.0.4), so sites are apart."""
    return f"127.0.0.{int(path.split('/')[1].removeprefix('site')) + 1}"


def serve(routes: dict[str, bytes], host: str = "127.0.0.1") -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            body = routes.get(self.path) or routes.get(self.path.split("?", 1)[0])
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml" if self.path.endswith(".xml") else "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}"


def run_quality(stories: int, seed: int, threshold: float | None) -> dict:
    from newsd.config.settings import DedupSettings, HttpSettings, PollSettings, Settings, StorageSettings
    from newsd.daemon.pipeline import fetch_feeds
    from newsd.daemon.urls import canonical_url
    from newsd.storage import open_store

    items = labelled_set(stories, seed)
    routes: dict[str, bytes] = {}
    # every site on its own loopback address: newsd treats two URLs of one site more strictly
    servers = {host: serve(routes, host) for host in sorted({site_host(item.path) for item in items})}
    base_of = {host: base for host, (_, base) in servers.items()}
    url_of = {item.path: base_of[site_host(item.path)] + item.path for item in items}
    by_site: dict[str, list[Item]] = {}
    for item in items:
        routes[item.path.split("?", 1)[0]] = item.html.encode("utf-8")
        by_site.setdefault(item.path.split("/")[1] + ("-tracking" if "utm_" in item.path else ""), []).append(item)
    for site, site_items in by_site.items():
        base = base_of[site_host(site_items[0].path)]
        routes[f"/{site}.xml"] = rss(base, site_items)
    dedup = DedupSettings() if threshold is None else DedupSettings(near_threshold=threshold)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(source="bench", storage=StorageSettings(path=Path(tmp) / "d.db"), dedup=dedup,
                            # every site is on loopback: no per-host delay, private addresses allowed
                            http=HttpSettings(max_connections=16, max_per_host=16, host_delay=0, allow_private=True),
                            poll=PollSettings(workers=0))
        store = open_store(settings.storage.path)
        # the originals first, as a collection usually meets a story's first print first
        for site in sorted(by_site, key=lambda s: (s != "site0", s)):
            store.upsert_feed(f"{base_of[site_host(by_site[site][0].path)]}/{site}.xml", site, (), True, "cli")
        started = time.monotonic()
        for feed in store.feeds(enabled_only=True):
            asyncio.run(fetch_feeds(store, settings, [feed]))
        elapsed = time.monotonic() - started
        article_of: dict[str, int] = {}
        for url, article_id in store.db.execute("SELECT canonical_url, article_id FROM article_sources"):
            article_of[url] = article_id
        for url, article_id in store.db.execute("SELECT url, id FROM articles"):
            article_of.setdefault(url, article_id)
        store.close()
    for server, _ in servers.values():
        server.shutdown()
    placed = [(item, article_of.get(canonical_url(url_of[item.path]))) for item in items]
    missing = [item.path for item, article in placed if article is None]
    placed = [(item, article) for item, article in placed if article is not None]
    tp = fp = fn = 0
    by_kind_fn: dict[str, list[int]] = {}
    negatives: dict[str, list[int]] = {"templated": [0, 0], "same-topic": [0, 0]}
    for (a, art_a), (b, art_b) in itertools.combinations(placed, 2):
        same_truth, same_pred = a.story == b.story, art_a == art_b
        if same_truth:
            kind = b.kind if a.kind == "original" else a.kind if b.kind == "original" else "variant-variant"
            counts = by_kind_fn.setdefault(kind, [0, 0])
            counts[1] += 1
            if same_pred:
                tp += 1
            else:
                fn += 1
                counts[0] += 1
        elif same_pred:
            fp += 1
        # a story's pages against its templated sibling, or against its same-topic story
        # (the sibling against the same-topic story counts in neither)
        kinds = {a.kind, b.kind} & set(negatives)
        if not same_truth and len(kinds) == 1 and a.story[1:] == b.story[1:]:
            kind = kinds.pop()
            negatives[kind][1] += 1
            negatives[kind][0] += same_pred
    return {
        "stories": stories, "pages": len(items), "not_stored": missing, "seconds": round(elapsed, 1),
        "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0,
        "pairs_true": tp + fn, "false_merges": fp, "missed_pairs": fn,
        "missed_by_kind": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_kind_fn.items())},
        "negatives_merged": {k: f"{v[0]}/{v[1]}" for k, v in negatives.items()},
        "near_threshold": dedup.near_threshold,
    }


def fill(store, count: int, start: int, rng: random.Random) -> None:
    """``count`` synthetic stories: rows, fingerprints and LSH keys, in bulk (not timed).

    Their rows carry a one-word text: what is measured is the dedup index, not
    the full-text index of a million texts (which `newsd search` owns). Their
    keys are random, as the band keys of distinct stories are, and go into
    the index in key order through a staging table: a million stories take
    minutes, not the hour that 35 million random B-tree inserts would.
    """
    from newsd.daemon import fingerprint as fp

    keys_per_story = fp.BANDS + fp.OPENING_PARAGRAPHS
    batch = 50_000
    conn = store.db.conn
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS staged_keys (key INTEGER, article_id INTEGER)")
    for first in range(start, start + count, batch):
        ids = range(first, min(first + batch, start + count))
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO articles (id, url, title, text, fetched_at, word_count, content_hash, text_source)"
                         " VALUES (?, ?, 't', 'x', '2025-01-01T00:00:00Z', 1, ?, 'page')",
                         [(i, f"https://s.example/{i}", f"h{i}") for i in ids])
        keys = {i: [rng.getrandbits(64) - 2**63 for _ in range(keys_per_story)] for i in ids}
        conn.executemany("INSERT INTO article_fingerprints (article_id, signature, band_keys) VALUES (?, ?, ?)",
                         [(i, rng.randbytes(4 * fp.SIGNATURE_SIZE), struct.pack(f"<{keys_per_story}q", *keys[i]))
                          for i in ids])
        conn.executemany("INSERT INTO staged_keys VALUES (?, ?)", [(k, i) for i in ids for k in keys[i]])
        conn.execute("COMMIT")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO lsh_bands (key, article_id) SELECT key, article_id FROM staged_keys ORDER BY key")
    conn.execute("DELETE FROM staged_keys")
    conn.execute("COMMIT")


def new_stories(count: int, rng: random.Random) -> list[str]:
    """``count`` texts that are each a new story: dev-set words in random order, dev-set lengths.

    Real dev texts would repeat after a few hundred lookups, and every later
    lookup would then find a near copy: the cost of a copy is measured apart.
    """
    pages = [json.loads(line) for line in (eval_dir() / "dev.jsonl").read_text(encoding="utf-8").splitlines() if line]
    texts = [p["expected_text"] for p in pages if len(p["expected_text"].split()) >= 50]
    vocabulary = sorted({w for t in texts for w in t.split()})
    lengths = [min(len(t.split()), 1500) for t in texts]
    out = []
    for _ in range(count):
        words = rng.choices(vocabulary, k=rng.choice(lengths))
        out.append("\n\n".join(" ".join(words[i:i + 60]) for i in range(0, len(words), 60)))
    return out


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def run_cost(sizes: list[int], lookups: int, seed: int) -> dict:
    from newsd.config.settings import DedupSettings
    from newsd.daemon.dedup import find_story, fingerprint_of
    from newsd.daemon.text import content_hash
    from newsd.storage import ArticleRecord, SourceRecord, open_store

    rng = random.Random(seed)
    settings = DedupSettings()
    texts = new_stories(lookups * len(sizes), rng)
    t0 = time.perf_counter()
    prints = [fingerprint_of(t, settings) for t in texts]
    fingerprint_ms = (time.perf_counter() - t0) * 1000 / len(texts)
    copies = min(200, lookups)
    results = []

    def record_of(text: str, key: str) -> tuple[ArticleRecord, SourceRecord]:
        record = ArticleRecord(url=f"https://new.example/{key}", title="t", text=text, authors=(),
                               published_at=None, fetched_at="2025-01-01T00:00:00Z", language="en",
                               site_name=None, word_count=len(text.split()), content_hash=content_hash(text),
                               text_source="page")
        source = SourceRecord(feed_id=1, entry_key=key, url=record.url, canonical_url=record.url,
                              guid=None, title="t", seen_at="2025-01-01T00:00:00Z")
        return record, source

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "cost.db")
        store.upsert_feed("https://s.example/rss", None, (), True, "cli")
        stored = 0
        for round_, size in enumerate(sorted(sizes)):
            next_id = (store.db.execute("SELECT max(id) FROM articles").fetchone()[0] or 0) + 1
            fill(store, size - stored, next_id, rng)
            stored = size
            store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            lookup_ms, index_ms, article_ms, total_ms, merged = [], [], [], [], 0
            for n in range(round_ * lookups, (round_ + 1) * lookups):
                record, source = record_of(texts[n], f"{size}-{n}")
                started = time.perf_counter()
                with store.transaction():
                    match = find_story(store, record.title, record.text, record.content_hash, prints[n], settings)
                    looked = time.perf_counter()
                    if match is not None:
                        merged += 1
                        continue
                    article_id, _ = store.add_article(record, source, None, None)
                    stored_at = time.perf_counter()
                    store.set_fingerprint(article_id, prints[n])
                done = time.perf_counter()  # the commit counts with the index: its pages are most of it
                lookup_ms.append((looked - started) * 1000)
                article_ms.append((stored_at - looked) * 1000)
                index_ms.append((done - stored_at) * 1000)
                total_ms.append((done - started) * 1000)
            # a copy of a story just stored (5% of its words edited): the facts check runs too
            copy_ms, found = [], 0
            for n in range(round_ * lookups, round_ * lookups + copies):
                edited = " ".join(w if rng.random() > 0.05 else "edited" for w in texts[n].split(" "))
                started = time.perf_counter()
                match = find_story(store, "t", edited, content_hash(edited), fingerprint_of(edited, settings), settings)
                copy_ms.append((time.perf_counter() - started) * 1000)
                found += match is not None
            stored += lookups
            dedup_ms = [a + b for a, b in zip(lookup_ms, index_ms)]
            results.append({"stored": size, "median_ms": _median(dedup_ms), "lookup_ms": _median(lookup_ms),
                            "index_insert_ms": _median(index_ms), "article_insert_ms": _median(article_ms),
                            "total_ms": _median(total_ms), "p95_ms": round(sorted(dedup_ms)[int(len(dedup_ms) * 0.95)], 3),
                            "new_merged": merged, "copy_lookup_ms": _median(copy_ms), "copies_found": f"{found}/{copies}"})
            r = results[-1]
            print(f"  {size:>9,} stored: lookup+index insert median {r['median_ms']:.3f} ms (lookup {r['lookup_ms']:.3f}, "
                  f"index insert and commit {r['index_insert_ms']:.3f}), p95 {r['p95_ms']:.3f} ms; "
                  f"with the article row and its full-text entry {r['total_ms']:.3f} ms; new stories merged {merged}; "
                  f"copy lookup {r['copy_lookup_ms']:.3f} ms, found {r['copies_found']}", file=sys.stderr, flush=True)
        db_mib = (Path(tmp) / "cost.db").stat().st_size / 2**20
        store.close()
    for previous, current in zip(results, results[1:]):
        current["growth"] = round(current["median_ms"] / previous["median_ms"], 2)
        current["total_growth"] = round(current["total_ms"] / previous["total_ms"], 2)
    return {"fingerprint_ms": round(fingerprint_ms, 3), "sizes": results, "db_mib_at_largest": round(db_mib, 1),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["quality", "cost", "both"], default="both")
    parser.add_argument("--stories", type=int, default=80, help="stories in the labelled set (default 80)")
    parser.add_argument("--threshold", type=float, action="append", help="near_threshold to try (repeatable)")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="stored articles for the cost part")
    parser.add_argument("--lookups", type=int, default=1000, help="timed insert+lookups per size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    out: dict = {}
    if args.part in ("quality", "both"):
        out["quality"] = [run_quality(args.stories, args.seed, t) for t in (args.threshold or [None])]
        for q in out["quality"]:
            print(f"quality at near_threshold {q['near_threshold']}: {q['pages']} pages, {q['pairs_true']} true pairs; "
                  f"precision {q['precision']:.4f}, recall {q['recall']:.4f} ({q['false_merges']} false merges, "
                  f"{q['missed_pairs']} missed); missed by kind {q['missed_by_kind']}; "
                  f"negatives merged {q['negatives_merged']}; not stored {len(q['not_stored'])}; {q['seconds']} s")
    if args.part in ("cost", "both"):
        sizes = [int(s) for s in args.sizes.split(",")]
        out["cost"] = run_cost(sizes, args.lookups, args.seed)
        c = out["cost"]
        print(f"cost: fingerprint {c['fingerprint_ms']} ms a text; "
              + "; ".join(f"{r['stored']:,} stored: lookup+index insert {r['median_ms']} ms median"
                          + (f" ({r['growth']}x the previous)" if "growth" in r else "")
                          + f", with the article {r['total_ms']} ms"
                          + (f" ({r['total_growth']}x)" if "total_growth" in r else "") for r in c["sizes"])
              + f"; store {c['db_mib_at_largest']} MiB; peak RSS {c['peak_rss_mib']} MiB")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
