"""Benchmark: newsd's one-shot fetch vs a bare aiohttp loop, on loopback.

What it measures
----------------
What newsd's pipeline (``newsd.daemon.pipeline.fetch_feeds``: feed parsing,
store lookups, article extraction, SQLite writes, the fetch log) costs on
top of the HTTP and extraction work any fetcher has to do. Two scenarios:

A. *Unchanged feeds* (the steady state of polling). After a warm-up fetch
   into a temp store, one poll of all ``--feeds`` feeds where every feed
   answers ``304 Not Modified``. newsd vs a bare aiohttp loop that sends the
   same conditional GETs (same ETags, same concurrency) and does nothing
   else. Figure: feeds/s.
B. *First fetch* (every entry new). A fresh temp store and ``--new-feeds``
   feeds of ``--entries`` items each: newsd downloads every page, extracts
   it and stores it. The baseline downloads the same feeds and pages with
   aiohttp and runs ``trafilatura.extract(html)`` on each page in a thread
   (``asyncio.to_thread``), storing nothing. Figure: articles/s.

How
---
* A local aiohttp.web server runs on 127.0.0.1 (ephemeral port) in a
  separate *process* (bench/_loopback.py). ``/feed/<i>.xml`` is an
  RSS 2.0 document of ``--entries`` items with an ETag, answered 304 when
  ``If-None-Match`` matches; ``/a/<i>/<j>.html`` is a ~5-8 KB news page
  (header and navigation, an article of 6-10 paragraphs of prose generated
  from a fixed word list with a seeded RNG, a related-links box, a footer),
  different text on every page.
* Every measurement runs in its own fresh *subprocess*, so that peak RSS
  (``ru_maxrss``) is per scenario and per contender, and neither contender
  inherits the other's caches. Each process imports what it needs (and, in
  scenario B, runs ``trafilatura.extract`` once on a page outside the
  measured set) before its clock starts.
* Both contenders use one aiohttp session per poll with at most 64 requests
  in flight: newsd through ``HttpSettings(max_connections=64,
  max_per_host=64)``, the baseline through ``TCPConnector(limit=64,
  limit_per_host=64)``. All feeds are on one host here, so the per-host limit
  is raised from newsd's default of 4 to 64 to match.
* The timed window covers ``asyncio.run(...)`` of one whole poll: opening the
  session, every request, closing it. For newsd it also covers reading the
  feed list from the store (``store.feeds(enabled_only=True)``).
* Scenario A: newsd's warm store (every feed polled once, every article
  stored) is built once per run by an untimed preparation process; each
  measuring process copies it, polls once untimed, then times ``--polls``
  polls and keeps their median. The baseline learns the ETags with one
  round of GETs, polls once untimed, then times ``--polls`` polls.
* Each figure is the median over ``--repeats`` repeats; within a repeat the
  contender that goes first alternates. CPU used by the measuring process
  (all its threads) and by the server during the timed window is recorded.

Run
---
    python bench/fetch.py
    python bench/fetch.py --feeds 500 --new-feeds 50 --repeats 5 --json out.json

Only ratios are meaningful; absolute numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import multiprocessing as mp
import os
import random
import resource
import shlex
import shutil
import signal
import statistics
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from xml.etree import ElementTree

import aiohttp
from aiohttp import web

# This file runs as a script (python bench/fetch.py) from any directory, so
# bench/ is not a package: put this file's folder on sys.path to import the
# shared `_loopback` module that sits next to it.
sys.path.insert(0, str(Path(__file__).parent))
from _loopback import (HOST, exit_on_sigterm, fmt, server_cpu_seconds,  # noqa: E402
                       start_server, stop_process, versions, write_json)

# newsd and trafilatura are imported inside the measuring processes only, so
# that each process (and the server) carries just what it uses.

CONCURRENCY = 64
CHILD_TIMEOUT_S = 300.0
# A page outside every measured feed: extracted once before the clock starts.
WARMUP_PAGE = (999_999, 0)


# --------------------------------------------------------------------------
# Content: deterministic feeds and article pages
# --------------------------------------------------------------------------

WORDS = """
the a of to and in on for with by from at as after before over under about
against between during since while city council government minister mayor
officials residents workers police court judge report plan budget project
school hospital river bridge road station railway airport harbour market
company union strike vote election campaign party parliament committee law
tax water power energy climate storm flood drought harvest farmers prices
inflation wages jobs housing rent families children teachers doctors nurses
patients visitors tourists museum festival season weekend morning evening
night week month year decade century north south east west central regional
national local public private new old large small early late first last
major minor several many few most some every other said announced confirmed
denied warned expected approved rejected delayed opened closed reported
agreed promised argued questioned described reached began ended continued
increased reduced rose fell doubled halved moved built repaired planned
funded cut raised hired visited met called asked answered decided because
although however meanwhile instead still already again also only nearly
almost about around roughly according spokesperson statement interview data
figures survey study analysis record level rate share number percent million
billion thousand hundred dozen streets districts neighbourhoods villages
towns borders coast valley mountains island province capital office building
""".split()

SECTIONS = ["World", "Politics", "Business", "Climate", "Science", "Health",
            "Culture", "Sport", "Opinion", "Local"]
FIRST_NAMES = ["Ana", "Tom", "Leila", "Jonas", "Mei", "Samuel", "Ines", "Ravi",
               "Clara", "Omar", "Hanna", "Diego"]
LAST_NAMES = ["Berg", "Okafor", "Silva", "Novak", "Haddad", "Lindqvist", "Moreau",
              "Tanaka", "Kowalski", "Reyes", "Fischer", "Osei"]
SITE = "The Loopback Courier"
EPOCH = datetime(2024, 3, 1, 6, 0, tzinfo=timezone.utc)


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    if rng.random() < 0.3:  # a figure or a name now and then, as in real copy
        words.insert(rng.randrange(len(words)), str(rng.randint(2, 950)))
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words)), rng.choice(LAST_NAMES))
    text = " ".join(words)
    if rng.random() < 0.25:
        cut = rng.randrange(3, len(words))
        text = " ".join(words[:cut]) + ", " + " ".join(words[cut:])
    return text[0].upper() + text[1:]


@dataclass(frozen=True)
class Article:
    feed: int
    entry: int
    title: str
    author: str
    section: str
    published: datetime
    paragraphs: tuple[str, ...]


@functools.lru_cache(maxsize=None)
def article(feed: int, entry: int) -> Article:
    """The story at /a/<feed>/<entry>.html; the same on every call and in every process."""
    rng = random.Random(feed * 1_000_003 + entry)
    paragraphs = []
    for _ in range(rng.randint(6, 10)):
        sentences = [_sentence(rng, 10, 22) + "." for _ in range(rng.randint(3, 4))]
        if rng.random() < 0.2:
            sentences.append(f'"{_sentence(rng, 6, 14)}," said {rng.choice(FIRST_NAMES)} '
                             f"{rng.choice(LAST_NAMES)}, a {rng.choice(WORDS)} spokesperson.")
        paragraphs.append(" ".join(sentences))
    return Article(
        feed=feed,
        entry=entry,
        title=_sentence(rng, 5, 9),
        author=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        section=rng.choice(SECTIONS),
        published=EPOCH + timedelta(minutes=feed * 97 + entry * 13),
        paragraphs=tuple(paragraphs),
    )


def page_path(feed: int, entry: int) -> str:
    return f"/a/{feed}/{entry}.html"


def feed_path(feed: int) -> str:
    return f"/feed/{feed}.xml"


def etag_for(feed: int) -> str:
    return f'"feed-{feed}-v1"'


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@functools.lru_cache(maxsize=None)
def page_html(feed: int, entry: int) -> bytes:
    """A realistic news page: site header and navigation, the article, related links, footer."""
    a = article(feed, entry)
    nav = "".join(f'<li><a href="/{s.lower()}/">{s}</a></li>' for s in SECTIONS)
    body: list[str] = []
    for k, paragraph in enumerate(a.paragraphs):
        body.append(f"<p>{_esc(paragraph)}</p>")
        if k == len(a.paragraphs) // 2:
            body.append(f"<h2>{_esc(a.paragraphs[0].split(',')[0].split('.')[0][:60])}</h2>")
    related = "".join(
        f'<li><a href="{page_path(feed, k)}">{_esc(article(feed, k).title)}</a></li>'
        for k in range(entry + 1, entry + 5)
    )
    iso = a.published.strftime("%Y-%m-%dT%H:%M:%SZ")
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{_esc(a.title)} | {SITE}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{_esc(a.paragraphs[0][:150])}">
<meta property="og:type" content="article">
<meta property="og:title" content="{_esc(a.title)}">
<meta property="og:site_name" content="{SITE}">
<meta property="article:published_time" content="{iso}">
<meta name="author" content="{a.author}">
<link rel="stylesheet" href="/static/site.css">
<link rel="alternate" type="application/rss+xml" href="{feed_path(feed)}">
</head>
<body class="article-page">
<header class="site-header">
<a class="logo" href="/">{SITE}</a>
<nav class="main-nav" aria-label="Sections"><ul>{nav}</ul></nav>
<form class="search" action="/search"><input name="q" placeholder="Search"><button>Search</button></form>
<a class="subscribe" href="/subscribe">Subscribe</a>
</header>
<main>
<article class="story">
<p class="kicker"><a href="/{a.section.lower()}/">{a.section}</a></p>
<h1>{_esc(a.title)}</h1>
<p class="byline">By <a rel="author" href="/authors/{a.author.lower().replace(' ', '-')}">{a.author}</a></p>
<time datetime="{iso}">{a.published.strftime("%d %B %Y, %H:%M")}</time>
<div class="story-body">
{chr(10).join(body)}
</div>
<ul class="share"><li><a href="/share/mail">Email</a></li><li><a href="/share/print">Print</a></li></ul>
</article>
<aside class="related"><h2>More in {a.section}</h2><ul>{related}</ul></aside>
</main>
<footer class="site-footer">
<nav><ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li><li><a href="/privacy">Privacy</a></li><li><a href="/terms">Terms of use</a></li></ul></nav>
<p>&copy; 2024 {SITE}. All rights reserved.</p>
</footer>
<script src="/static/site.js" defer></script>
</body>
</html>
"""
    return html.encode("utf-8")


@functools.lru_cache(maxsize=None)
def feed_xml(feed: int, entries: int, base_url: str) -> bytes:
    """An RSS 2.0 document whose items link to this feed's article pages."""
    items = []
    for j in range(entries):
        a = article(feed, j)
        link = base_url + page_path(feed, j)
        items.append(
            "<item>"
            f"<title>{_esc(a.title)}</title>"
            f"<link>{link}</link>"
            f'<guid isPermaLink="false">courier-{feed}-{j}</guid>'
            f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>"
            f"<author>{a.author.lower().replace(' ', '.')}@courier.example ({a.author})</author>"
            f"<category>{a.section}</category>"
            f"<description>{_esc(a.paragraphs[0].split('. ')[0])}.</description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{SITE}: feed {feed}</title><link>{base_url}/</link>"
        f"<description>Stories of feed {feed}</description><language>en</language>"
        + "".join(items)
        + "</channel></rss>\n"
    ).encode("utf-8")


# --------------------------------------------------------------------------
# Server app (served in a child process by _loopback.start_server)
# --------------------------------------------------------------------------

def make_app(entries: int) -> web.Application:
    async def handle_feed(request: web.Request) -> web.Response:
        feed = int(request.match_info["i"])
        etag = etag_for(feed)
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        body = feed_xml(feed, entries, f"http://{request.host}")
        return web.Response(body=body, headers={"ETag": etag,
                                                "Content-Type": "application/rss+xml; charset=utf-8"})

    async def handle_page(request: web.Request) -> web.Response:
        body = page_html(int(request.match_info["i"]), int(request.match_info["j"]))
        return web.Response(body=body, headers={"Content-Type": "text/html; charset=utf-8"})

    app = web.Application()
    app.router.add_get(r"/feed/{i:\d+}.xml", handle_feed)
    app.router.add_get(r"/a/{i:\d+}/{j:\d+}.html", handle_page)
    return app


# --------------------------------------------------------------------------
# Measuring processes: each runs one job in a fresh subprocess
# --------------------------------------------------------------------------

@dataclass
class Timed:
    seconds: float
    client_cpu_s: float
    server_cpu_s: float


def timed(base_url: str, run: Callable[[], Any]) -> tuple[Any, Timed]:
    """Run ``run()`` (a blocking call) and time it, with client and server CPU."""
    gc.collect()
    server0 = asyncio.run(server_cpu_seconds(base_url))
    cpu0, t0 = time.process_time(), time.perf_counter()
    value = run()
    cpu1, t1 = time.process_time(), time.perf_counter()
    server1 = asyncio.run(server_cpu_seconds(base_url))
    return value, Timed(t1 - t0, cpu1 - cpu0, server1 - server0)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def newsd_settings(db: Path):
    from newsd.config.settings import HttpSettings, Settings, StorageSettings

    return Settings(
        source="bench",
        storage=StorageSettings(path=db),
        # one loopback host: no per-host delay
        http=HttpSettings(max_connections=CONCURRENCY, max_per_host=CONCURRENCY, host_delay=0, allow_private=True),
        feeds=(),
    )


def newsd_store_with_feeds(db: Path, base_url: str, feeds: int):
    from newsd.storage import open_store

    store = open_store(db)
    for i in range(feeds):
        store.upsert_feed(base_url + feed_path(i), f"feed {i}", (), True, "cli")
    return store


def newsd_poll(store, settings):
    """One one-shot fetch, as `newsd fetch` makes it; returns the RunSummary."""
    from newsd.daemon.pipeline import fetch_feeds

    return asyncio.run(fetch_feeds(store, settings, store.feeds(enabled_only=True)))


def counts(summary) -> dict:
    """The totals of a RunSummary (computed outside the timed window)."""
    return {"feeds_polled": len(summary.outcomes), "feeds_not_modified": summary.count("not_modified"),
            "feeds_failed": summary.count("failed"),
            "articles_new": sum(o.articles_new for o in summary.outcomes),
            "pages_failed": sum(len(o.page_errors) for o in summary.outcomes)}


def job_prepare_warm_store(base_url: str, args: dict, workdir: str) -> dict:
    """Untimed: the store scenario A starts from (every feed fetched once, every article stored)."""
    db = Path(workdir) / "warm.db"
    store = newsd_store_with_feeds(db, base_url, args["feeds"])
    started = time.perf_counter()
    summary = counts(newsd_poll(store, newsd_settings(db)))
    seconds = time.perf_counter() - started
    store.close()
    return {"path": str(db), "seconds": seconds, "articles_new": summary["articles_new"],
            "feeds_failed": summary["feeds_failed"], "pages_failed": summary["pages_failed"]}


def job_a_newsd(base_url: str, args: dict, workdir: str) -> dict:
    from newsd.daemon import pipeline  # noqa: F401  (imported before the clock starts)

    db = Path(workdir) / f"a-newsd-{os.getpid()}.db"
    shutil.copyfile(args["warm_store"], db)
    from newsd.storage import open_store

    store = open_store(db)
    settings = newsd_settings(db)
    newsd_poll(store, settings)  # untimed: first poll in this process
    runs, problems = [], 0
    for _ in range(args["polls"]):
        summary, t = timed(base_url, lambda: newsd_poll(store, settings))
        summary = counts(summary)
        problems += summary["feeds_polled"] - summary["feeds_not_modified"]
        runs.append(t)
    store.close()
    return {"runs": [asdict(r) for r in runs], "units": args["feeds"], "problems": problems,
            "peak_rss_mib": peak_rss_mib()}


async def bare_conditional_poll(base_url: str, etags: dict[int, str]) -> list[int]:
    """One poll of every feed: a conditional GET each, nothing else."""
    connector = aiohttp.TCPConnector(limit=CONCURRENCY, limit_per_host=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(feed: int, etag: str) -> int:
            async with session.get(base_url + feed_path(feed), headers={"If-None-Match": etag}) as resp:
                await resp.read()
                return resp.status

        return await asyncio.gather(*(one(f, e) for f, e in etags.items()))


async def learn_etags(base_url: str, feeds: int) -> dict[int, str]:
    connector = aiohttp.TCPConnector(limit=CONCURRENCY, limit_per_host=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(feed: int) -> tuple[int, str]:
            async with session.get(base_url + feed_path(feed)) as resp:
                await resp.read()
                return feed, resp.headers["ETag"]

        return dict(await asyncio.gather(*(one(f) for f in range(feeds))))


def job_a_baseline(base_url: str, args: dict, workdir: str) -> dict:
    etags = asyncio.run(learn_etags(base_url, args["feeds"]))
    asyncio.run(bare_conditional_poll(base_url, etags))  # untimed: first poll in this process
    runs, problems = [], 0
    for _ in range(args["polls"]):
        statuses, t = timed(base_url, lambda: asyncio.run(bare_conditional_poll(base_url, etags)))
        problems += sum(1 for s in statuses if s != 304)
        runs.append(t)
    return {"runs": [asdict(r) for r in runs], "units": args["feeds"], "problems": problems,
            "peak_rss_mib": peak_rss_mib()}


async def warm_up_extraction(base_url: str) -> None:
    """Fetch and extract one page outside the measured set, so first-call costs are paid."""
    import trafilatura

    async with aiohttp.ClientSession() as session:
        async with session.get(base_url + page_path(*WARMUP_PAGE)) as resp:
            html = await resp.read()
    trafilatura.extract(html)


def job_b_newsd(base_url: str, args: dict, workdir: str) -> dict:
    from newsd.daemon import pipeline  # noqa: F401

    asyncio.run(warm_up_extraction(base_url))
    db = Path(workdir) / f"b-newsd-{os.getpid()}.db"
    store = newsd_store_with_feeds(db, base_url, args["new_feeds"])
    settings = newsd_settings(db)
    summary, t = timed(base_url, lambda: newsd_poll(store, settings))
    summary = counts(summary)
    text_sources = dict(store.db.execute("SELECT text_source, count(*) FROM articles GROUP BY 1").fetchall())
    store.close()
    expected = args["new_feeds"] * args["entries"]
    return {"runs": [asdict(t)], "units": summary["articles_new"],
            "problems": (expected - text_sources.get("page", 0)) + summary["pages_failed"] + summary["feeds_failed"],
            "peak_rss_mib": peak_rss_mib()}


async def bare_first_fetch(base_url: str, feeds: int) -> int:
    """Download every feed and every page it links to; extract each page in a thread."""
    import trafilatura

    connector = aiohttp.TCPConnector(limit=CONCURRENCY, limit_per_host=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def page(url: str) -> bool:
            async with session.get(url) as resp:
                html = await resp.read()
            text = await asyncio.to_thread(trafilatura.extract, html)
            return bool(text)

        async def feed(i: int) -> int:
            async with session.get(base_url + feed_path(i)) as resp:
                body = await resp.read()
            links = [el.text for el in ElementTree.fromstring(body).iter("link") if el.text and "/a/" in el.text]
            return sum(await asyncio.gather(*(page(link) for link in links)))

        return sum(await asyncio.gather(*(feed(i) for i in range(feeds))))


def job_b_baseline(base_url: str, args: dict, workdir: str) -> dict:
    import trafilatura  # noqa: F401

    asyncio.run(warm_up_extraction(base_url))
    extracted, t = timed(base_url, lambda: asyncio.run(bare_first_fetch(base_url, args["new_feeds"])))
    expected = args["new_feeds"] * args["entries"]
    return {"runs": [asdict(t)], "units": extracted, "problems": expected - extracted,
            "peak_rss_mib": peak_rss_mib()}


JOBS: dict[str, Callable[[str, dict, str], dict]] = {
    "prepare": job_prepare_warm_store,
    "A/newsd": job_a_newsd,
    "A/baseline": job_a_baseline,
    "B/newsd": job_b_newsd,
    "B/baseline": job_b_baseline,
}


def child_main(conn: Any, job: str, base_url: str, args: dict, workdir: str) -> None:
    try:
        result = JOBS[job](base_url, args, workdir)
        conn.send({"ok": True, "result": result})
    except BaseException:
        conn.send({"ok": False, "error": traceback.format_exc()})
    finally:
        conn.close()


def run_job(job: str, base_url: str, args: dict, workdir: str) -> dict:
    """Run one job in a fresh process and return what it reported."""
    ctx = mp.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=child_main, args=(child_conn, job, base_url, args, workdir), daemon=True)
    proc.start()
    child_conn.close()
    try:
        if not parent_conn.poll(CHILD_TIMEOUT_S):
            raise RuntimeError(f"{job}: no result within {CHILD_TIMEOUT_S:.0f} s")
        reply = parent_conn.recv()
    except EOFError:
        raise RuntimeError(f"{job}: the measuring process died (exit code {proc.exitcode})") from None
    finally:
        proc.join(10)
        if proc.is_alive():
            stop_process(proc)
    if not reply["ok"]:
        raise RuntimeError(f"{job} failed:\n{reply['error']}")
    return reply["result"]


# --------------------------------------------------------------------------
# Orchestration and reporting
# --------------------------------------------------------------------------

@dataclass
class Measurement:
    scenario: str  # A or B
    contender: str  # newsd or baseline
    repeat: int
    units: int  # feeds polled (A) or articles (B) per timed run
    seconds: float  # median over the timed runs of this process
    rate: float  # units per second
    client_cpu_pct: float
    server_cpu_pct: float
    peak_rss_mib: float
    problems: int  # non-304 answers (A); articles missing or not from the page (B)
    runs: list[dict] = field(default_factory=list)


def to_measurement(scenario: str, contender: str, repeat: int, result: dict) -> Measurement:
    runs = result["runs"]
    seconds = statistics.median(r["seconds"] for r in runs)
    return Measurement(
        scenario=scenario,
        contender=contender,
        repeat=repeat,
        units=result["units"],
        seconds=seconds,
        rate=result["units"] / seconds,
        client_cpu_pct=statistics.median(100 * r["client_cpu_s"] / r["seconds"] for r in runs),
        server_cpu_pct=statistics.median(100 * r["server_cpu_s"] / r["seconds"] for r in runs),
        peak_rss_mib=result["peak_rss_mib"],
        problems=result["problems"],
        runs=runs,
    )


def run_all(base_url: str, args: argparse.Namespace, workdir: str) -> tuple[dict, list[Measurement]]:
    job_args = {"feeds": args.feeds, "new_feeds": args.new_feeds, "entries": args.entries,
                "polls": args.polls}
    warm: dict = {"seconds": 0.0}
    if "A" in args.scenarios:
        print(f"  preparing scenario A's warm store: {args.feeds} feeds, "
              f"{args.feeds * args.entries} articles (untimed) ...", file=sys.stderr, flush=True)
        warm = run_job("prepare", base_url, job_args, workdir)
        print(f"  warm store ready in {warm['seconds']:.1f} s ({warm['articles_new']} articles)",
              file=sys.stderr, flush=True)
        if warm["articles_new"] != args.feeds * args.entries or warm["feeds_failed"]:
            raise RuntimeError(f"warm-up fetch incomplete: {warm}")
        job_args["warm_store"] = warm["path"]

    results: list[Measurement] = []
    for repeat in range(args.repeats):
        for scenario in args.scenarios:
            order = ["newsd", "baseline"] if repeat % 2 == 0 else ["baseline", "newsd"]
            for contender in order:
                reply = run_job(f"{scenario}/{contender}", base_url, job_args, workdir)
                m = to_measurement(scenario, contender, repeat, reply)
                results.append(m)
                unit = "feeds/s" if scenario == "A" else "articles/s"
                print(f"  repeat {repeat + 1}/{args.repeats}  {scenario} {contender:<8} "
                      f"{m.rate:8.0f} {unit:<10} ({m.seconds * 1000:7.1f} ms)  "
                      f"client CPU {m.client_cpu_pct:3.0f}%  server CPU {m.server_cpu_pct:3.0f}%  "
                      f"peak RSS {m.peak_rss_mib:5.0f} MiB"
                      + (f"  PROBLEMS: {m.problems}" if m.problems else ""),
                      file=sys.stderr, flush=True)
    return warm, results


def median_of(results: list[Measurement], scenario: str, contender: str, attr: str) -> float | None:
    values = [getattr(m, attr) for m in results if m.scenario == scenario and m.contender == contender]
    return statistics.median(values) if values else None


def summarize(results: list[Measurement], args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for scenario in args.scenarios:
        row: dict[str, Any] = {"scenario": scenario}
        if scenario == "A":
            row["label"] = f"A: unchanged feeds ({args.feeds} feeds, all 304)"
            row["unit"] = "feeds/s"
        else:
            row["label"] = (f"B: first fetch ({args.new_feeds} feeds, "
                            f"{args.new_feeds * args.entries} new articles)")
            row["unit"] = "articles/s"
        for contender in ("newsd", "baseline"):
            for attr in ("rate", "seconds", "client_cpu_pct", "server_cpu_pct", "peak_rss_mib"):
                row[f"{contender}_{attr}"] = median_of(results, scenario, contender, attr)
        n, b = row["newsd_rate"], row["baseline_rate"]
        row["ratio_newsd_over_baseline"] = n / b if n and b else None
        rows.append(row)
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    print("| scenario | unit | newsd | bare aiohttp | newsd/bare | newsd peak RSS | bare peak RSS |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['label']} | {r['unit']} | {fmt(r['newsd_rate'], '.0f')} | "
              f"{fmt(r['baseline_rate'], '.0f')} | {fmt(r['ratio_newsd_over_baseline'], '.2f', 'x')} | "
              f"{fmt(r['newsd_peak_rss_mib'], '.0f', ' MiB')} | {fmt(r['baseline_peak_rss_mib'], '.0f', ' MiB')} |")
    print()
    print("Median wall time of one poll, and CPU over it (100% = one core), measuring process / server:")
    for r in rows:
        print(f"  {r['scenario']}: newsd {fmt(r['newsd_seconds'] and r['newsd_seconds'] * 1000, '.0f', ' ms')}, "
              f"CPU {fmt(r['newsd_client_cpu_pct'], '.0f', '%')} / {fmt(r['newsd_server_cpu_pct'], '.0f', '%')};   "
              f"bare {fmt(r['baseline_seconds'] and r['baseline_seconds'] * 1000, '.0f', ' ms')}, "
              f"CPU {fmt(r['baseline_client_cpu_pct'], '.0f', '%')} / {fmt(r['baseline_server_cpu_pct'], '.0f', '%')}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--feeds", type=int, default=200,
                   help="feeds polled in scenario A, unchanged feeds (default 200)")
    p.add_argument("--new-feeds", type=int, default=30,
                   help="feeds fetched in scenario B, first fetch (default 30)")
    p.add_argument("--entries", type=int, default=10, help="items per feed (default 10)")
    p.add_argument("--repeats", type=int, default=3,
                   help="fresh processes per scenario and contender; the median is kept (default 3)")
    p.add_argument("--polls", type=int, default=5,
                   help="timed polls per scenario-A process; their median is kept (default 5)")
    p.add_argument("--scenarios", nargs="+", choices=["A", "B"], default=["A", "B"],
                   help="which scenarios to run (default A B)")
    p.add_argument("--json", metavar="PATH",
                   help="also write raw runs and medians as JSON to PATH ('-' = stdout)")
    args = p.parse_args(argv)
    if min(args.feeds, args.new_feeds, args.entries, args.repeats, args.polls) < 1:
        p.error("--feeds, --new-feeds, --entries, --repeats and --polls must be >= 1")
    if args.new_feeds > args.feeds:
        p.error("--new-feeds must not exceed --feeds")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    command = "python " + " ".join(shlex.quote(a) for a in (sys.argv if argv is None else ["bench/fetch.py", *argv]))
    info = versions("aiohttp", "trafilatura", "newsd", "feedparser", "sqlite-utils")
    print("Python {python}, aiohttp {aiohttp}, trafilatura {trafilatura}, feedparser {feedparser}, "
          "sqlite-utils {sqlite-utils}, newsd {newsd}".format(**info))
    print(f"Command: {command}")
    sizes = [len(page_html(i, j)) for i in range(args.new_feeds) for j in range(args.entries)]
    print(f"Scenario A: {args.feeds} feeds; scenario B: {args.new_feeds} feeds; {args.entries} items per feed; "
          f"article pages {min(sizes) / 1024:.1f}-{max(sizes) / 1024:.1f} KB "
          f"(mean {statistics.mean(sizes) / 1024:.1f} KB); "
          f"{args.repeats} repeats, {args.polls} timed polls per scenario-A process.")
    print(f"All feeds are on one host (127.0.0.1), so newsd runs with max_connections={CONCURRENCY}, "
          f"max_per_host={CONCURRENCY} (its default per-host limit is 4); the bare loop uses "
          f"TCPConnector(limit={CONCURRENCY}, limit_per_host={CONCURRENCY}).", flush=True)

    started = time.perf_counter()
    proc, port = start_server(make_app, args.entries)
    try:
        with tempfile.TemporaryDirectory(prefix="newsd-bench-") as workdir:
            warm, results = run_all(f"http://{HOST}:{port}", args, workdir)
    finally:
        stop_process(proc)

    rows = summarize(results, args)
    print()
    print_table(rows)
    if any(m.problems for m in results):
        print("WARNING: some runs had problems (non-304 answers, or articles missing / not "
              "extracted from the page); see the per-run lines.")
    print(f"\nWhole run: {time.perf_counter() - started:.0f} s"
          + (f" (of which {warm['seconds']:.0f} s building scenario A's warm store)." if "A" in args.scenarios else "."))

    if args.json:
        payload = {"versions": info, "command": command, "settings": vars(args), "summary": rows,
                   "warm_store_seconds": warm["seconds"], "runs": [asdict(m) for m in results]}
        write_json(args.json, payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
