"""Benchmark: polling N real feeds on loopback. newsd's daemon against newsboat, a bare aiohttp loop and feedparser.

What it measures
----------------
For each N (default 1,000 and 10,000 feeds), in feeds per second:

* **newsd cold**: the first poll into a fresh store. Every entry is new; feeds
  only (``[poll] fetch_pages = false``: no article page is downloaded).
* **newsd warm**: the same feeds again. The server answers 304 to every
  conditional GET.
* **newsd 10% changed**: 10% of the feeds (a new random sample each repeat)
  have new bytes with 3 new entries and new validators; the rest answer 304.
* **newsboat** (the Debian package): ``newsboat -x reload`` over the same
  URLs with a cache of its own: a cold reload, a second reload (which stores
  the validators), then warm reloads (the figure) and the 10%-changed
  reload after the same change newsd sees.
* **bare aiohttp loop**: the same HTTP library newsd uses, C requests in
  flight, sending the conditional GETs and reading the 304s, nothing else:
  the practical limit of a warm poll. Also its unconditional rate (every
  body read).
* **feedparser parse-only**: ``feedparser.parse`` on the served bytes in a
  pool of P = os.cpu_count() processes: what parsing alone costs a cold poll.
* **the server's ceiling**: a C load generator against the feed server.

and newsd's peak RSS: ``ru_maxrss`` of the daemon, the sampled peak of
its whole process tree (the sum of VmRSS, which counts a page shared by the
fork server and its workers once per process, and the sum of PSS, which
shares it out), and each process's own peak (daemon, fork server, resource
tracker, each worker).

How
---
* Feeds: copy n is the (n mod 55)-th real feed file of
  ``$NEWSD_SHARED/corpus/realfeeds`` (the HTML page and the OPML lists left
  out), served as ``/f/<n>.xml``, with each entry's GUID/id/link made unique
  per copy and nothing else changed (bench/_polling_feeds.py).
* Server: a C epoll server (bench/_polling_server.py; sendfile, keep-alive,
  ETag and Last-Modified from the file as nginx makes them, 304 on
  ``If-None-Match`` or else ``If-Modified-Since``) in worker processes with
  SO_REUSEPORT, on 127.0.0.1. ``--server aiohttp`` uses aiohttp.web instead.
* newsd (bench/_polling_newsd.py): the daemon ``newsd --config CFG run``;
  a round lasts from its ``READY=1`` (sd_notify) to the moment the store
  holds a fetch_log row for every feed. ``--driver fetch`` times
  ``newsd fetch --json`` instead (its own ``duration_s``); ``auto`` uses
  ``run`` when newsd has it. Config: ``max_connections`` = ``max_per_host``
  = 256, ``host_delay = 0`` (every feed is on one loopback host, so the
  per-host politeness limits are lifted), ``fetch_pages = false``,
  ``keep_html = false``, ``batch`` 1000, ``feeds_in_flight`` 256.
* Repeats: each figure is the median over ``--repeat`` runs (cold rounds:
  ``--cold-repeat``, each on a fresh store and a fresh newsboat cache). The
  contenders alternate who goes first. Every round is bounded in time.

Run
---
    python bench/polling.py                      # N = 1,000 and 10,000, 3 repeats
    python bench/polling.py --feeds 1000         # one N
    python bench/polling.py --quick              # smoke test: N = 200, one repeat
    python bench/polling.py --driver fetch       # time 'newsd fetch --json' instead of 'newsd run'

Time: about 6 minutes for 1,000 feeds with 3 repeats and 12 minutes for 10,000
feeds with one repeat (newsd at 2970553: its cold round of 10,000 feeds alone
took 378 s, newsboat's is cut at --newsboat-timeout); 3 repeats at 10,000
take longer until newsd's cold and warm polls get faster. --quick: about 25 s.

The machine has 2 cores: the server, the client under test and the bench
share them, so absolute figures move between runs; ratios measured in the
same run mean more.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import _polling_feeds as feeds_mod  # noqa: E402
import _polling_newsd as newsd_mod  # noqa: E402
import _polling_peers as peers  # noqa: E402
import _polling_server as server_mod  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NEWSD_SHARED") or REPO.parent / "shared")
CHANGED_NEW_ENTRIES = feeds_mod.NEW_ENTRIES

TARGET_WARM_ABS = 3000.0
TARGET_WARM_OVER_BARE = 1 / 3
TARGET_COLD_OVER_NEWSBOAT = 1.0
TARGET_COLD_OVER_PARSE = 0.8
TARGET_CHANGED_OVER_COLD = 5.0
TARGET_RSS_MB = 200.0
TARGET_N = 10_000


def log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


# --------------------------------------------------------------------------
# Measurements of one N
# --------------------------------------------------------------------------


class SizeRun:
    """Every measurement for one number of feeds."""

    def __init__(self, n: int, args: argparse.Namespace, workdir: Path, feedset: feeds_mod.FeedSet,
                 server: server_mod.Server, driver: str, newsd_bin: str) -> None:
        self.n = n
        self.args = args
        self.dir = workdir / f"n{n}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.feedset = feedset
        self.server = server
        self.driver = driver
        self.newsd_bin = newsd_bin
        self.urls = [f"{server.base_url}/f/{i}.xml" for i in range(n)]
        self.cold_repeat = args.cold_repeat if args.cold_repeat is not None else (args.repeat if n <= 2000 else 1)
        self.results: dict[str, list[dict]] = {}
        self.notes: list[str] = []
        self.newsd_store: newsd_mod.NewsdStore | None = None
        self.newsboat: peers.Newsboat | None = None
        self.newsboat_skip: str | None = None if peers.newsboat_binary() else "not installed (apt-get install newsboat)"
        if args.no_newsboat:
            self.newsboat_skip = "left out (--no-newsboat)"

    def add(self, key: str, result: dict) -> None:
        self.results.setdefault(key, []).append(result)

    # -- the parts ---------------------------------------------------------------

    def server_ceiling(self) -> None:
        if self.server.kind != "c":
            self.notes.append("server ceiling: the C load generator needs the C server; see the server CPU columns")
            return
        cond_requests = max(3 * self.n, 30_000)
        for kind, conditional, requests in (("ceiling_304", True, cond_requests), ("ceiling_200", False, max(self.n, 5000))):
            report = server_mod.load(self.server, self.n, self.args.connections, conditional, requests)
            report["rate"] = report["requests"] / report["seconds"]
            report["server_cpu_pct"] = 100 * report["server_cpu_s"] / report["seconds"]
            report["server_cpu_us_per_request"] = 1e6 * report["server_cpu_s"] / report["requests"]
            self.add(kind, report)
            log(f"N={self.n} server ceiling ({'304' if conditional else '200'}): {report['rate']:,.0f} req/s, "
                f"server CPU {report['server_cpu_pct']:.0f}% ({report['server_cpu_us_per_request']:.1f} us/request)")

    def parse_only(self) -> None:
        count = min(self.n, self.args.parse_sample)
        paths = [str(self.feedset.path(i)) for i in range(count)]
        report = peers.parse_only(paths, self.args.processes)
        report["rate"] = report["feeds"] / report["seconds"]
        self.add("parse", report)
        log(f"N={self.n} feedparser parse-only, {report['processes']} processes, {count} feeds: "
            f"{report['rate']:,.1f} feeds/s (CPU {report['cpu_pct']:.0f}%)")

    def newsd_round(self, kind: str) -> None:
        if kind == "cold":
            store_dir = self.dir / f"newsd-cold{len(self.results.get('newsd_cold', [])) + 1}"
            if self.newsd_store is not None and not self.args.keep:
                shutil.rmtree(self.newsd_store.dir, ignore_errors=True)
            self.newsd_store = newsd_mod.NewsdStore(
                self.newsd_bin, store_dir, self.urls, self.driver, self.args.connections, self.args.in_flight,
                self.args.batch, self.args.newsd_workers, self.args.round_timeout)
        assert self.newsd_store is not None
        result = self.newsd_store.poll_round(self.server)
        self.add(f"newsd_{kind}", result)
        log(f"N={self.n} newsd {kind:<7}: {result['rate']:,.1f} feeds/s ({result['seconds']:.2f} s"
            f"{', TIMED OUT' if result['timed_out'] else ''}); statuses {fmt_statuses(result['statuses'])}; "
            f"CPU {result['cpu_pct']:.0f}%, server {result['server_cpu_pct']:.0f}%; "
            f"peak RSS {result['peak_rss_mib'] or 0:.0f} MiB (tree {result['peak_rss_tree_mib']:.0f} MiB, "
            f"{result['max_procs']} proc.); startup {result['startup_s']:.1f} s")

    def newsboat_round(self, kind: str) -> None:
        if self.newsboat_skip:
            return
        if kind == "cold":
            cache_dir = self.dir / f"newsboat-cold{len(self.results.get('newsboat_cold', [])) + 1}"
            if self.newsboat is not None and not self.args.keep:
                shutil.rmtree(self.newsboat.dir, ignore_errors=True)
            self.newsboat = peers.Newsboat(cache_dir, self.urls, self.args.newsboat_threads,
                                           self.args.newsboat_timeout)
        assert self.newsboat is not None
        result = self.newsboat.run("reload", self.server)
        result["rate"] = self.n / result["seconds"]
        self.add(f"newsboat_{kind}", result)
        log(f"N={self.n} newsboat {kind:<7}: {result['rate']:,.1f} feeds/s ({result['seconds']:.2f} s"
            f"{', TIMED OUT' if result['timed_out'] else ''}); statuses {fmt_statuses(result.get('statuses', {}))}; "
            f"peak RSS {result['peak_rss_mib'] or 0:.0f} MiB; items {result.get('items', '?')}")
        if result["timed_out"]:
            self.newsboat_skip = (
                f"its {kind} reload did not finish within --newsboat-timeout {self.args.newsboat_timeout:.0f} s "
                f"({result.get('statuses', {}).get('200', '?')} feeds downloaded by then), so its rate is at most "
                f"N / timeout and its later reloads were skipped. newsboat's time grows with feeds x cached items: "
                f"its per-feed item query uses the index on 'deleted' rather than 'feedurl' (EXPLAIN QUERY PLAN "
                f"on its cache), so every feed scans the whole item table")

    def newsboat_startup(self) -> None:
        """How long newsboat takes to start on its current cache: '-x print-unread' (no network)."""
        if self.newsboat_skip or self.newsboat is None:
            return
        result = self.newsboat.run("print-unread")
        if not result["timed_out"]:
            self.add("newsboat_startup", result)
            log(f"N={self.n} newsboat startup (print-unread on the warm cache): {result['seconds']:.2f} s")

    def bare(self) -> None:
        report = peers.bare_loop(self.server.base_url, self.n, self.args.connections, self.server,
                                 timeout=self.args.round_timeout)
        for part in ("conditional", "unconditional"):
            r = report[part]
            r["rate"] = self.n / r["seconds"]
            r["cpu_pct"] = 100 * r["cpu_s"] / r["seconds"]
            r["server_cpu_pct"] = 100 * r["server_cpu_s"] / r["seconds"]
            r["peak_rss_mib"] = report["peak_rss_mib"]
            self.add(f"bare_{part}", r)
        log(f"N={self.n} bare aiohttp: conditional {report['conditional']['rate']:,.0f} feeds/s "
            f"({fmt_statuses(report['conditional']['statuses'])}, server CPU "
            f"{report['conditional']['server_cpu_pct']:.0f}%), unconditional "
            f"{report['unconditional']['rate']:,.0f} feeds/s (server CPU {report['unconditional']['server_cpu_pct']:.0f}%)")

    def change(self, repeat: int) -> list[int]:
        k = max(1, round(self.n * self.args.changed_share))
        chosen = sorted(random.Random(f"{self.n}-{repeat}").sample(range(self.n), k))
        self.feedset.change(chosen)
        return chosen

    def explain(self) -> None:
        """Notes on what the figures hide: requests that were not what the scenario says, startup costs."""
        warm = self.results.get("newsd_warm", [])
        unconditional = max((r["statuses"].get("200", 0) for r in warm), default=0)
        if unconditional:
            self.notes.append(
                f"newsd's warm rounds got up to {unconditional} answers of 200 (of {self.n}): the server answers 304 "
                f"to every conditional GET, so newsd sent those feeds no validators. It keeps no ETag/Last-Modified "
                f"for a feed while an entry of it is not stored (with fetch_pages = false, entries with no text "
                f"anywhere are left for a retry), so it downloads and parses those feeds on every poll; its 10%-changed "
                f"rounds re-download them too.")
        cold = self.results.get("newsboat_cold", [])
        if cold and not cold[-1].get("timed_out") and cold[-1].get("feeds_with_etag") == 0:
            self.notes.append("newsboat stored no validators in its cold reload; its second reload is "
                              "unconditional and stores them, so its warm figure is the third reload and later.")
        startup = self.results.get("newsboat_startup", [])
        nb_warm = self.results.get("newsboat_warm", [])
        warm_seconds = med([r["seconds"] for r in nb_warm])
        if startup and warm_seconds:
            share = startup[-1]["seconds"] / warm_seconds
            self.notes.append(
                f"newsboat's reload time includes its startup, which loads the whole cache: "
                f"'-x print-unread' on the warm cache (no network) took {startup[-1]['seconds']:.1f} s, "
                f"{100 * share:.0f}% of a warm reload. newsd's rounds start at READY=1 (its startup, "
                f"about {med([r['startup_s'] for r in warm]) or 0:.1f} s, is not counted).")

    # -- the sequence ----------------------------------------------------------------

    def run(self) -> None:
        started = time.perf_counter()
        total = self.feedset.ensure(self.n)
        log(f"N={self.n}: {total / 1e6:,.0f} MB of feeds at version 0; cold rounds x{self.cold_repeat}, "
            f"others x{self.args.repeat}")
        self.server_ceiling()
        for _ in range(self.args.repeat):
            self.parse_only()
        for r in range(self.cold_repeat):
            order = ("newsd", "newsboat") if r % 2 == 0 else ("newsboat", "newsd")
            for who in order:
                self.newsd_round("cold") if who == "newsd" else self.newsboat_round("cold")
        self.newsboat_round("second")  # stores newsboat's validators (its 2nd reload is unconditional)
        for r in range(self.args.repeat):
            warm_order = ["newsd", "newsboat", "bare"]
            for who in (warm_order if r % 2 == 0 else warm_order[::-1]):
                if who == "newsd":
                    self.newsd_round("warm")
                elif who == "newsboat":
                    self.newsboat_round("warm")
                else:
                    self.bare()
        self.newsboat_startup()
        for r in range(self.args.repeat):
            chosen = self.change(r)
            log(f"N={self.n} changed {len(chosen)} feeds ({CHANGED_NEW_ENTRIES} new entries each, new validators)")
            order = ("newsd", "newsboat") if r % 2 == 0 else ("newsboat", "newsd")
            for who in order:
                self.newsd_round("changed") if who == "newsd" else self.newsboat_round("changed")
        self.seconds = time.perf_counter() - started
        self.explain()
        if self.newsboat_skip:
            self.notes.append(f"newsboat: {self.newsboat_skip}")
        if not self.args.keep:
            for sub in self.dir.iterdir():
                shutil.rmtree(sub, ignore_errors=True)


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------


def fmt_statuses(statuses: dict) -> str:
    if not statuses:
        return "-"
    return ", ".join(f"{v} x {k if k not in ('None', None) else 'no answer'}" for k, v in
                     sorted(statuses.items(), key=lambda kv: str(kv[0])) if v)


def med(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def fmt(value: float | None, spec: str = ",.0f", suffix: str = "") -> str:
    return "n/a" if value is None else format(value, spec) + suffix


def rate_fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


ROWS = [
    # key, label, unit
    ("newsd_cold", "newsd cold (all new, feeds only)", "feeds/s"),
    ("newsd_warm", "newsd warm (server: all 304)", "feeds/s"),
    ("newsd_changed", "newsd 10% changed (server: 10% 200, rest 304)", "feeds/s"),
    ("newsboat_cold", "newsboat cold reload", "feeds/s"),
    ("newsboat_second", "newsboat 2nd reload (stores validators)", "feeds/s"),
    ("newsboat_warm", "newsboat warm reload (3rd and later)", "feeds/s"),
    ("newsboat_changed", "newsboat 10% changed", "feeds/s"),
    ("bare_conditional", "bare aiohttp, conditional GETs (304)", "feeds/s"),
    ("bare_unconditional", "bare aiohttp, unconditional GETs (bodies)", "feeds/s"),
    ("parse", "feedparser parse-only, P processes", "feeds/s"),
    ("ceiling_304", "server ceiling: C load generator, 304s", "req/s"),
    ("ceiling_200", "server ceiling: C load generator, 200s", "req/s"),
]


def summarize(size: SizeRun) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for key, label, unit in ROWS:
        runs = size.results.get(key, [])
        if not runs:
            continue
        rates = [r["rate"] for r in runs]
        timed_out = any(r.get("timed_out") for r in runs)
        rows[key] = {
            "label": label.replace("P processes", f"{size.args.processes} processes"),
            "unit": unit,
            "rate": med(rates),
            "min": min(rates),
            "max": max(rates),
            "runs": len(runs),
            "timed_out": timed_out,
            "cpu_pct": med([r.get("cpu_pct") for r in runs]),
            "server_cpu_pct": med([r.get("server_cpu_pct") for r in runs]),
            "peak_rss_mib": max((r.get("peak_rss_mib") or 0 for r in runs), default=None),
            "peak_rss_tree_mib": max((r.get("peak_rss_tree_mib") or 0 for r in runs), default=None),
            "peak_pss_tree_mib": max((r.get("peak_pss_tree_mib") or 0 for r in runs), default=None),
            "statuses": _sum_statuses(runs),
            "seconds": med([r["seconds"] for r in runs]),
        }
    return rows


def _sum_statuses(runs: list[dict]) -> dict[str, int]:
    total: dict[str, int] = {}
    for r in runs:
        for k, v in (r.get("statuses") or {}).items():
            total[str(k)] = total.get(str(k), 0) + v
    return {k: v // len(runs) for k, v in total.items()}  # per run (rounded down)


def ratio(a: dict | None, b: dict | None) -> tuple[float | None, str]:
    """a/b of the medians; a bound when one side timed out (then its rate is a lower bound of its time)."""
    if not a or not b or not a["rate"] or not b["rate"]:
        return None, ""
    value = a["rate"] / b["rate"]
    if b.get("timed_out") and not a.get("timed_out"):
        return value, ">"  # b's rate is at most what was measured
    if a.get("timed_out") and not b.get("timed_out"):
        return value, "<"
    return value, ""


def print_size(size: SizeRun, rows: dict[str, Any]) -> list[dict]:
    n = size.n
    print(f"\n## {n:,} feeds\n")
    print(f"Driver: newsd {size.driver}; cold rounds x{size.cold_repeat}, other figures x{size.args.repeat} "
          f"(median, min-max); the whole size took {size.seconds:.0f} s.\n")
    print("| what | rate (median) | min-max | runs | time (median) | CPU | server CPU | peak RSS | answers per run |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for key, _, _ in ROWS:
        r = rows.get(key)
        if not r:
            continue
        bound = "< " if r["timed_out"] and key.startswith("newsboat") else ""
        rss = ""
        if r["peak_rss_mib"]:
            rss = f"{r['peak_rss_mib']:.0f} MiB"
            if r["peak_rss_tree_mib"] and key.startswith("newsd"):
                rss += f" (tree {r['peak_rss_tree_mib']:.0f}, PSS {r['peak_pss_tree_mib']:.0f})"
        print(f"| {r['label']} | {bound}{rate_fmt(r['rate'])} {r['unit']} | {rate_fmt(r['min'])}-{rate_fmt(r['max'])} "
              f"| {r['runs']} | {r['seconds']:.2f} s{' (timed out)' if r['timed_out'] else ''} | "
              f"{fmt(r['cpu_pct'], '.0f', '%')} | {fmt(r['server_cpu_pct'], '.0f', '%')} | {rss} | "
              f"{fmt_statuses(r['statuses'])} |")
    print()
    print("CPU: the measured process (tree), over its timed window; 100% = one core; "
          "server CPU: the feed server's worker processes over the same window.")
    if "ceiling_304" in rows:
        c = size.results["ceiling_304"]
        us = statistics.median(x["server_cpu_us_per_request"] for x in c)
        print(f"Server: {us:.1f} us of CPU per 304, so one core serves about {1e6 / us:,.0f} 304s/s; "
              f"{med([x['server_cpu_us_per_request'] for x in size.results['ceiling_200']]):.1f} us per 200 "
              f"(the load generator ran on the same 2 cores, so its rates are lower bounds of the ceiling).")

    def get(key: str) -> dict | None:
        return rows.get(key)

    targets = []
    warm, bare, cold = get("newsd_warm"), get("bare_conditional"), get("newsd_cold")
    nb_cold, parse, changed = get("newsboat_cold"), get("parse"), get("newsd_changed")
    stated = "" if n == TARGET_N else f" (stated for {TARGET_N:,} feeds)"
    targets.append(("warm poll", f">= {TARGET_WARM_ABS:,.0f} feeds/s{stated}",
                    warm["rate"] if warm else None, "", TARGET_WARM_ABS, f"{rate_fmt(warm['rate'])} feeds/s" if warm else "n/a"))
    v, b = ratio(warm, bare)
    targets.append(("warm / bare conditional loop", ">= 0.33x", v, b, TARGET_WARM_OVER_BARE,
                    f"{b}{fmt(v, '.2f', 'x')} ({rate_fmt(warm['rate'] if warm else None)} / {rate_fmt(bare['rate'] if bare else None)})"))
    v, b = ratio(cold, nb_cold)
    targets.append(("cold / newsboat cold reload", ">= 1.0x", v, b, TARGET_COLD_OVER_NEWSBOAT,
                    f"{b}{fmt(v, '.2f', 'x')} ({rate_fmt(cold['rate'] if cold else None)} / "
                    f"{'< ' if nb_cold and nb_cold['timed_out'] else ''}{rate_fmt(nb_cold['rate'] if nb_cold else None)})"
                    if nb_cold else f"n/a (newsboat {size.newsboat_skip or 'not measured'})"))
    v, b = ratio(cold, parse)
    targets.append((f"cold / feedparser parse-only ({size.args.processes} proc.)", ">= 0.80x", v, b,
                    TARGET_COLD_OVER_PARSE,
                    f"{b}{fmt(v, '.2f', 'x')} ({rate_fmt(cold['rate'] if cold else None)} / {rate_fmt(parse['rate'] if parse else None)})"))
    v, b = ratio(changed, cold)
    targets.append(("10% changed / cold", ">= 5.0x", v, b, TARGET_CHANGED_OVER_COLD,
                    f"{b}{fmt(v, '.2f', 'x')} ({rate_fmt(changed['rate'] if changed else None)} / {rate_fmt(cold['rate'] if cold else None)})"))
    self_peak = tree_peak = pss_peak = None
    for key in ("newsd_cold", "newsd_warm", "newsd_changed"):
        r = get(key)
        if r:
            self_peak = max(self_peak or 0, r["peak_rss_mib"] or 0)
            tree_peak = max(tree_peak or 0, r["peak_rss_tree_mib"] or 0, r["peak_rss_mib"] or 0)
            pss_peak = max(pss_peak or 0, r["peak_pss_tree_mib"] or 0)
    mb = 1.048576  # MB per MiB
    tree_mb = tree_peak * mb if tree_peak else None
    targets.append(("newsd peak RSS, daemon and its processes", f"< {TARGET_RSS_MB:.0f} MB{stated}",
                    tree_mb, "", TARGET_RSS_MB,
                    f"{fmt(tree_mb, '.0f', ' MB')} (sum of VmRSS; sum of PSS {fmt(pss_peak and pss_peak * mb, '.0f', ' MB')}; "
                    f"the daemon alone, ru_maxrss, {fmt(self_peak and self_peak * mb, '.0f', ' MB')})"))
    pss_mb = pss_peak * mb if pss_peak else None

    print(f"\nTargets at {n:,} feeds (printed, not asserted):\n")
    print("| target | wanted | measured | met? |")
    print("|---|---|---|---|")
    out = []
    for name, wanted, value, bound, threshold, text in targets:
        if value is None:
            met = "n/a"
        elif name.startswith("newsd peak RSS"):
            met = "yes" if value < threshold else "no"
            if met == "no" and pss_mb is not None and pss_mb < threshold:
                met = "no by the VmRSS sum, yes by PSS"
        elif bound == ">" and value < threshold:
            met = "unknown (bound)"
        elif bound == "<" and value >= threshold:
            met = "unknown (bound)"
        else:
            met = "yes" if value >= threshold else "no"
        print(f"| {name} | {wanted} | {text} | {met} |")
        out.append({"target": name, "wanted": wanted, "value": value, "bound": bound, "met": met})
    for note in size.notes:
        print(f"\nNote: {note}")
    return out


def print_facts(size: SizeRun) -> None:
    """What each contender stored, and anything that did not go as the scenario says."""
    lines = []
    for key in ("newsd_cold", "newsd_warm", "newsd_changed"):
        for i, r in enumerate(size.results.get(key, []), 1):
            extra = []
            if r.get("errors"):
                extra.append(f"{r['errors']} feeds failed (first: {r.get('first_error')})")
            if r.get("log_rows", 0) > r.get("feeds_polled", 0):
                extra.append(f"{r['log_rows'] - r['feeds_polled']} feeds polled twice")
            lines.append(f"  {key} #{i}: {r['feeds_polled']:,} feeds polled, answers {fmt_statuses(r['statuses'])}; "
                         f"{r['articles_added']:,} articles and {r['sources_added']:,} sources added; "
                         f"startup {r['startup_s']:.1f} s"
                         + (f", shutdown {r['shutdown_s']:.1f} s" if r.get("shutdown_s") is not None else "")
                         + (f"; last STATUS: {r['last_status']}" if r.get("last_status") else "")
                         + ("; peak RSS (PSS) by process: " + ", ".join(
                             f"{role} {rss:.0f} ({pss:.0f}) MiB" for role, (rss, pss) in r["peak_by_role_mib"].items())
                            if r.get("peak_by_role_mib") else "")
                         + ("; " + "; ".join(extra) if extra else ""))
    for key in ("newsboat_cold", "newsboat_second", "newsboat_warm", "newsboat_changed"):
        for i, r in enumerate(size.results.get(key, []), 1):
            lines.append(f"  {key} #{i}: {r['seconds']:.1f} s, answers {fmt_statuses(r.get('statuses', {}))}; "
                         + (f"cache: {r.get('items', '?'):,} items, {r.get('feeds_cached', '?')} feeds, "
                            f"{r.get('feeds_with_etag', '?')} with an ETag" if "items" in r else "timed out")
                         + f"; exit {r['returncode']}")
    for r in size.results.get("newsboat_startup", []):
        lines.append(f"  newsboat startup on the warm cache ('-x print-unread', no network): {r['seconds']:.1f} s")
    for r in size.results.get("parse", []):
        lines.append(f"  parse-only: {r['feeds']:,} feeds ({r['entries']:,} entries, {r['bozo']} bozo) in "
                     f"{r['seconds']:.2f} s on {r['workers_seen']} of {r['processes']} workers")
    if lines:
        print("\nPer run:")
        print("\n".join(lines))


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def versions_line(newsd_bin: str) -> str:
    def v(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    commit = "?"
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip() or "?"
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        commit += " (with uncommitted changes)" if dirty else ""
    except (OSError, subprocess.SubprocessError):
        pass
    return (f"Python {platform.python_version()}, aiohttp {v('aiohttp')}, feedparser {v('feedparser')}, "
            f"newsd {v('newsd')} at {commit}, newsboat {peers.newsboat_version()}, SQLite {sqlite3.sqlite_version}")


def machine_line() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Linux {platform.release()}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--feeds", type=int, nargs="+", default=None, help="numbers of feeds (default 1000 10000)")
    p.add_argument("--repeat", type=int, default=None, help="runs per figure, median kept (default 3)")
    p.add_argument("--cold-repeat", type=int, default=None,
                   help="cold rounds per N, each on a fresh store (default: --repeat up to 2,000 feeds, else 1)")
    p.add_argument("--quick", action="store_true", help="smoke test: 200 feeds, one repeat")
    p.add_argument("--driver", choices=["auto", "run", "fetch"], default="auto",
                   help="newsd run (the daemon) or newsd fetch --json; auto: run when newsd has it")
    p.add_argument("--server", choices=["c", "aiohttp"], default="c", help="the feed server")
    p.add_argument("--server-workers", type=int, default=os.cpu_count() or 2, help="server processes")
    p.add_argument("--connections", type=int, default=256,
                   help="newsd max_connections = max_per_host; the bare loop's and load generator's connections")
    p.add_argument("--in-flight", type=int, default=256, help="newsd [poll] feeds_in_flight")
    p.add_argument("--batch", type=int, default=1000, help="newsd [poll] batch")
    p.add_argument("--newsd-workers", type=int, default=None, help="newsd [poll] workers (default: newsd's own)")
    p.add_argument("--processes", type=int, default=os.cpu_count() or 2, help="parse-only pool size P")
    p.add_argument("--parse-sample", type=int, default=1100,
                   help="parse-only parses the first min(N, this) copies (1100 = 20 copies of each of the 55 files)")
    p.add_argument("--changed-share", type=float, default=0.10, help="share of feeds changed in the changed round")
    p.add_argument("--newsboat-threads", type=int, default=100, help="newsboat reload-threads")
    p.add_argument("--newsboat-timeout", type=float, default=240.0, help="seconds per newsboat reload")
    p.add_argument("--no-newsboat", action="store_true", help="leave newsboat out")
    p.add_argument("--round-timeout", type=float, default=600.0, help="seconds per newsd round")
    p.add_argument("--workdir", type=Path, default=None, help="where feeds, stores and logs go (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the work directory (stores, caches, logs)")
    p.add_argument("--json", metavar="PATH", help="also write every run and the summaries as JSON")
    args = p.parse_args(argv)
    if args.feeds is None:
        args.feeds = [200] if args.quick else [1000, 10000]
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.quick and args.newsboat_timeout == 240.0:
        args.newsboat_timeout = 60.0
    if min(args.feeds) < 1 or args.repeat < 1 or (args.cold_repeat is not None and args.cold_repeat < 1):
        p.error("--feeds, --repeat and --cold-repeat must be >= 1")
    if not 0 < args.changed_share <= 1:
        p.error("--changed-share must be in (0, 1]")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    newsd_bin = newsd_mod.newsd_binary()
    driver = args.driver
    if driver == "auto":
        driver = "run" if newsd_mod.has_run_command(newsd_bin) else "fetch"
    elif driver == "run" and not newsd_mod.has_run_command(newsd_bin):
        sys.exit("newsd has no 'run' command yet; use --driver fetch (or auto)")
    kind = args.server
    if kind == "c" and server_mod.compiler() is None:
        print("No C compiler found: using the aiohttp.web server (far more CPU per request).")
        kind = "aiohttp"

    command = "python " + " ".join(shlex.quote(a) for a in (sys.argv if argv is None else ["bench/polling.py", *argv]))
    print("# Polling benchmark (bench/polling.py)\n")
    print(f"Command: {command}")
    print(versions_line(newsd_bin))
    print(f"Machine: {machine_line()}. The feed server, the client under test and the bench share these cores.")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="newsd-polling-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    server = None
    sizes: list[SizeRun] = []
    summaries: dict[int, Any] = {}
    try:
        feedset = feeds_mod.FeedSet(SHARED, workdir / "www")
        entries = sum(len(t.entries) for t in feedset.templates)
        sizes_b = [len(t.data) for t in feedset.templates]
        print(f"Feeds: {len(feedset.templates)} real feed files from {SHARED / 'corpus/realfeeds'} "
              f"({min(sizes_b) / 1024:.1f}-{max(sizes_b) / 1024:.0f} KB, mean {statistics.mean(sizes_b) / 1024:.0f} KB, "
              f"{entries:,} entries in all), copy n = file n mod {len(feedset.templates)}, each entry's GUID/id/link "
              f"made unique per copy (?copy=n on URLs, #cn on other ids); a changed copy gains "
              f"{CHANGED_NEW_ENTRIES} entries and new validators.")
        server = server_mod.start(workdir / "www", kind, args.server_workers)
        print(f"Server: {server.describe()}, on {server.base_url}; ETag and Last-Modified from the file, "
              f"304 on a matching If-None-Match (or If-Modified-Since without it).")
        probe = workdir / "probe"
        probe.mkdir(exist_ok=True)
        newsd_mod.write_config(probe / "newsd.toml", probe / "newsd.db", args.connections, args.in_flight,
                               args.batch, args.newsd_workers)
        eff = newsd_mod.effective_settings(newsd_bin, probe / "newsd.toml")
        http, poll = eff.get("http", {}), eff.get("poll", {})
        print(f"newsd: driver '{driver}' ("
              + ("'newsd run', timed from READY=1 to a fetch_log row for every feed"
                 if driver == "run" else "'newsd fetch --json', timed by its own duration_s")
              + f"); http max_connections {http.get('max_connections')}, max_per_host {http.get('max_per_host')}, "
              f"host_delay {http.get('host_delay')}: every feed is on one loopback host, so the per-host "
              f"politeness limits are lifted for the benchmark; poll fetch_pages {poll.get('fetch_pages')}, "
              f"batch {poll.get('batch')}, feeds_in_flight {poll.get('feeds_in_flight')}"
              + (f", workers {poll.get('workers')}" if "workers" in poll else "")
              + f"; storage keep_html {eff.get('storage', {}).get('keep_html')}; other settings newsd's defaults.")
        print("newsboat: " + (f"reload-threads {args.newsboat_threads}, download-timeout 30, its own cache per cold "
                              f"round; each reload bounded by {args.newsboat_timeout:.0f} s."
                              if peers.newsboat_binary() and not args.no_newsboat else
                              ("left out (--no-newsboat)" if args.no_newsboat
                               else "not installed (apt-get install newsboat)")))
        print(f"Bare loop and load generator: {args.connections} connections; parse-only: {args.processes} processes.",
              flush=True)

        total_max = max(args.feeds)
        t0 = time.perf_counter()
        feedset.ensure(total_max)
        log(f"wrote {total_max:,} feed copies in {time.perf_counter() - t0:.1f} s")
        for n in args.feeds:
            size = SizeRun(n, args, workdir, feedset, server, driver, newsd_bin)
            sizes.append(size)
            size.run()
            rows = summarize(size)
            summaries[n] = {"rows": rows}
            summaries[n]["targets"] = print_size(size, rows)
            print_facts(size)
            sys.stdout.flush()
    finally:
        if server is not None:
            server.stop()
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nWhole run: {time.perf_counter() - started:.0f} s." + (f" Work directory kept: {workdir}" if args.keep else ""))
    if args.json:
        payload = {"command": command, "versions": versions_line(newsd_bin), "machine": machine_line(),
                   "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                   "driver": driver, "server": server.describe() if server else None,
                   "sizes": {str(s.n): {"summary": summaries.get(s.n), "runs": s.results, "notes": s.notes,
                                        "cold_repeat": s.cold_repeat} for s in sizes}}
        text = json.dumps(payload, indent=2, default=str)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
