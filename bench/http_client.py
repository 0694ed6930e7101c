"""Benchmark: aiohttp vs httpx (AsyncClient) for conditional feed polling.

What it measures
----------------
Requests per second that each asyncio HTTP client sustains when polling
unchanged feeds with conditional GETs (``If-None-Match``), at several
concurrency levels (default 8, 32, 128 requests in flight).

How
---
* A local aiohttp.web server runs on 127.0.0.1 (ephemeral port) in a
  separate *process* (bench/_loopback.py), so it shares neither the client's
  event loop nor its GIL. ``GET /feed/<n>`` answers 304 Not Modified when
  ``If-None-Match`` equals the feed's ETag, otherwise 200 with a ~20 KB RSS
  body and the ETag.
* For each client and concurrency C: one session/client per run, connection
  pool limit C, an untimed warm-up that fetches every feed once (learning the
  ETags and opening connections), then a timed phase of N conditional GETs
  issued by C worker tasks. Every timed response is expected to be a 304.
* Each measurement is repeated ``--repeats`` times and the median is kept.
  Clients are interleaved within each repeat (alternating which goes first),
  so machine noise hits both.
* CPU use of the client process and of the server process over the timed
  window is recorded too: if the server sits near 100 % of a core it is the
  bottleneck and the ratio understates the difference between clients.

Run
---
    python bench/http_client.py
    python bench/http_client.py --requests 5000 --concurrency 8 64 --json out.json

Only ratios are meaningful; absolute numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import signal
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Awaitable, Callable

import aiohttp
from aiohttp import web

# This file runs as a script (python bench/http_client.py) from any directory,
# so bench/ is not a package: put this file's folder on sys.path to import the
# shared `_loopback` module that sits next to it.
sys.path.insert(0, str(Path(__file__).parent))
from _loopback import (HOST, exit_on_sigterm, fmt, server_cpu_seconds,  # noqa: E402
                       start_server, stop_process, versions, write_json)

try:
    import httpx
except ImportError:  # the benchmark still measures aiohttp alone
    httpx = None  # type: ignore[assignment]

BODY_TARGET_BYTES = 20_000
REQUEST_TIMEOUT_S = 30.0
RUN_TIMEOUT_S = 120.0


# --------------------------------------------------------------------------
# Server app (served in a child process by _loopback.start_server)
# --------------------------------------------------------------------------

def etag_for(feed: int) -> str:
    return f'"feed-{feed}-v1"'


@lru_cache(maxsize=None)
def rss_body(feed: int) -> bytes:
    """A deterministic RSS document of roughly BODY_TARGET_BYTES bytes."""
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Feed {feed}</title><link>http://{HOST}/feed/{feed}</link>"
        "<description>Benchmark feed</description>"
    )
    tail = "</channel></rss>\n"
    items: list[str] = []
    size = len(head) + len(tail)
    for i in itertools.count():
        item = (
            f"<item><title>Story {i} of feed {feed}</title>"
            f"<link>http://{HOST}/feed/{feed}/story/{i}</link>"
            f"<guid>feed-{feed}-story-{i}</guid>"
            "<pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate>"
            "<description>Lorem ipsum dolor sit amet, consectetur adipiscing "
            "elit, sed do eiusmod tempor incididunt ut labore.</description></item>"
        )
        if size + len(item) > BODY_TARGET_BYTES:
            break
        items.append(item)
        size += len(item)
    return (head + "".join(items) + tail).encode()


async def handle_feed(request: web.Request) -> web.Response:
    feed = int(request.match_info["n"])
    etag = etag_for(feed)
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers={"ETag": etag})
    return web.Response(
        body=rss_body(feed),
        content_type="application/rss+xml",
        headers={"ETag": etag},
    )


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get(r"/feed/{n:\d+}", handle_feed)
    return app


# --------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------

# A fetch takes (feed number, ETag or None) and returns (status, ETag or None).
Fetch = Callable[[int, "str | None"], Awaitable[tuple[int, "str | None"]]]


@dataclass
class RunResult:
    client: str
    concurrency: int
    requests: int
    seconds: float
    rps: float
    not_304: int
    client_cpu_pct: float
    server_cpu_pct: float


async def run_workers(fetch: Fetch, jobs: list[tuple[int, "str | None"]],
                      concurrency: int) -> list[tuple[int, int, "str | None"]]:
    """Run jobs through `concurrency` worker tasks; return (feed, status, ETag)."""
    pending = iter(jobs)
    done: list[tuple[int, int, str | None]] = []

    async def worker() -> None:
        for feed, etag in pending:  # shared iterator: each job is taken once
            status, new_etag = await fetch(feed, etag)
            done.append((feed, status, new_etag))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


async def learn_etags(fetch: Fetch, feeds: int, concurrency: int) -> dict[int, str]:
    """Untimed warm-up: fetch every feed once, opening connections on the way."""
    etags: dict[int, str] = {}
    for feed, status, etag in await run_workers(
            fetch, [(f, None) for f in range(feeds)], concurrency):
        if status != 200 or etag is None:
            raise RuntimeError(f"warm-up of feed {feed} got HTTP {status}")
        etags[feed] = etag
    return etags


async def timed_polls(name: str, fetch: Fetch, base_url: str, requests: int,
                      concurrency: int, feeds: int) -> RunResult:
    etags = await learn_etags(fetch, feeds, concurrency)
    jobs = [(i % feeds, etags[i % feeds]) for i in range(requests)]
    gc.collect()

    server_cpu0 = await server_cpu_seconds(base_url)
    cpu0, t0 = time.process_time(), time.perf_counter()
    done = await run_workers(fetch, jobs, concurrency)
    cpu1, t1 = time.process_time(), time.perf_counter()
    server_cpu1 = await server_cpu_seconds(base_url)

    wall = t1 - t0
    return RunResult(
        client=name,
        concurrency=concurrency,
        requests=requests,
        seconds=wall,
        rps=requests / wall,
        not_304=sum(1 for _, status, _ in done if status != 304),
        client_cpu_pct=100 * (cpu1 - cpu0) / wall,
        server_cpu_pct=100 * (server_cpu1 - server_cpu0) / wall,
    )


async def bench_aiohttp(base_url: str, requests: int, concurrency: int,
                        feeds: int) -> RunResult:
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def fetch(feed: int, etag: str | None) -> tuple[int, str | None]:
            headers = {"If-None-Match": etag} if etag else {}
            async with session.get(f"{base_url}/feed/{feed}", headers=headers) as resp:
                await resp.read()
                return resp.status, resp.headers.get("ETag")

        return await timed_polls("aiohttp", fetch, base_url, requests, concurrency, feeds)


async def bench_httpx(base_url: str, requests: int, concurrency: int,
                      feeds: int) -> RunResult:
    assert httpx is not None
    limits = httpx.Limits(max_connections=concurrency,
                          max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=REQUEST_TIMEOUT_S) as client:

        async def fetch(feed: int, etag: str | None) -> tuple[int, str | None]:
            headers = {"If-None-Match": etag} if etag else {}
            resp = await client.get(f"{base_url}/feed/{feed}", headers=headers)
            return resp.status_code, resp.headers.get("ETag")

        return await timed_polls("httpx", fetch, base_url, requests, concurrency, feeds)


Bench = Callable[[str, int, int, int], Awaitable[RunResult]]


def available_clients() -> dict[str, Bench]:
    clients: dict[str, Bench] = {"aiohttp": bench_aiohttp}
    if httpx is not None:
        clients["httpx"] = bench_httpx
    return clients


# --------------------------------------------------------------------------
# Orchestration and reporting
# --------------------------------------------------------------------------

async def run_all(base_url: str, args: argparse.Namespace) -> list[RunResult]:
    clients = list(available_clients().items())
    results: list[RunResult] = []
    for repeat in range(args.repeats):
        for concurrency in args.concurrency:
            # Alternate which client goes first, so neither is always "cold".
            order = clients if repeat % 2 == 0 else clients[::-1]
            for name, bench in order:
                result = await asyncio.wait_for(
                    bench(base_url, args.requests, concurrency, args.feeds),
                    RUN_TIMEOUT_S,
                )
                results.append(result)
                print(f"  repeat {repeat + 1}/{args.repeats}  C={concurrency:<4} "
                      f"{name:<8} {result.rps:8.0f} req/s  "
                      f"client CPU {result.client_cpu_pct:3.0f}%  "
                      f"server CPU {result.server_cpu_pct:3.0f}%"
                      + (f"  non-304: {result.not_304}" if result.not_304 else ""),
                      file=sys.stderr)
    return results


def median_of(results: list[RunResult], client: str, concurrency: int,
              field: str) -> float | None:
    values = [getattr(r, field) for r in results
              if r.client == client and r.concurrency == concurrency]
    return statistics.median(values) if values else None


def summarize(results: list[RunResult], concurrencies: list[int]) -> list[dict[str, Any]]:
    rows = []
    for c in concurrencies:
        a = median_of(results, "aiohttp", c, "rps")
        h = median_of(results, "httpx", c, "rps")
        rows.append({
            "concurrency": c,
            "aiohttp_rps": a,
            "httpx_rps": h,
            "ratio_aiohttp_over_httpx": (a / h) if a and h else None,
            "aiohttp_client_cpu_pct": median_of(results, "aiohttp", c, "client_cpu_pct"),
            "httpx_client_cpu_pct": median_of(results, "httpx", c, "client_cpu_pct"),
            "aiohttp_server_cpu_pct": median_of(results, "aiohttp", c, "server_cpu_pct"),
            "httpx_server_cpu_pct": median_of(results, "httpx", c, "server_cpu_pct"),
        })
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    print("| concurrency | aiohttp req/s | httpx req/s | aiohttp/httpx |")
    print("|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['concurrency']} | {fmt(r['aiohttp_rps'], '.0f')} | "
              f"{fmt(r['httpx_rps'], '.0f')} | "
              f"{fmt(r['ratio_aiohttp_over_httpx'], '.2f', 'x')} |")
    print()
    print("Median CPU over the timed window (100% = one core), client / server:")
    for r in rows:
        print(f"  C={r['concurrency']:<4} "
              f"aiohttp {fmt(r['aiohttp_client_cpu_pct'], '.0f', '%')} / "
              f"{fmt(r['aiohttp_server_cpu_pct'], '.0f', '%')}   "
              f"httpx {fmt(r['httpx_client_cpu_pct'], '.0f', '%')} / "
              f"{fmt(r['httpx_server_cpu_pct'], '.0f', '%')}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=2000,
                   help="timed conditional GETs per run (default 2000)")
    p.add_argument("--concurrency", type=int, nargs="+", default=[8, 32, 128],
                   help="requests in flight, one run each (default 8 32 128)")
    p.add_argument("--repeats", type=int, default=3,
                   help="runs per client and concurrency; the median is kept (default 3)")
    p.add_argument("--feeds", type=int, default=100,
                   help="distinct feeds polled round-robin (default 100)")
    p.add_argument("--json", metavar="PATH",
                   help="also write raw runs and medians as JSON to PATH ('-' = stdout)")
    args = p.parse_args(argv)
    if min(args.concurrency) < 1 or args.requests < 1 or args.repeats < 1 or args.feeds < 1:
        p.error("--requests, --concurrency, --repeats and --feeds must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    info = versions("aiohttp", "httpx")
    print(f"Python {info['python']}, aiohttp {info['aiohttp']}, httpx {info['httpx']}")
    if httpx is None:
        print("httpx is not installed (pip install httpx): measuring aiohttp only.")
    print(f"{args.requests} conditional GETs per run, {args.repeats} repeats, "
          f"{args.feeds} feeds, concurrency {args.concurrency}", flush=True)

    proc, port = start_server(make_app)
    try:
        results = asyncio.run(run_all(f"http://{HOST}:{port}", args))
    finally:
        stop_process(proc)

    rows = summarize(results, args.concurrency)
    print()
    print_table(rows)
    if any(r.not_304 for r in results):
        print("WARNING: some timed responses were not 304; see the per-run lines.")

    if args.json:
        payload = {"versions": info, "settings": vars(args), "summary": rows,
                   "runs": [asdict(r) for r in results]}
        write_json(args.json, payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
