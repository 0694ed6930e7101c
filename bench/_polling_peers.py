"""The baselines of bench/polling.py: newsboat, a bare aiohttp loop, feedparser parse-only.

newsboat
    ``newsboat -u URLS -c CACHE -C CONFIG -x reload``, timed from start to
    exit (its startup, which loads the whole cache, included: that is what a
    reload costs a newsboat user), with ``HOME`` pointed into the work
    directory. The server's counters tell how many 200 and 304 it got.
bare loop (``python bench/_polling_peers.py bare BASE_URL N CONCURRENCY [SERVER_PIDS]``)
    In a fresh process: one aiohttp session (``TCPConnector(limit=C,
    limit_per_host=C)``) and C worker tasks. First every URL unconditionally,
    reading the bodies and keeping ``ETag`` and ``Last-Modified`` (the
    unconditional rate); then, in a new session as a new poll would, every
    URL again with ``If-None-Match`` and ``If-Modified-Since``, reading the
    304s and doing nothing else (the conditional rate: the practical limit
    of a warm poll). Prints JSON.
parse-only
    ``feedparser.parse`` on the served bytes (read from the files the server
    serves) in a ``multiprocessing`` pool of P processes; workers start,
    import feedparser and parse one file before the clock starts.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _polling_proc as pp  # noqa: E402

# --------------------------------------------------------------------------
# newsboat
# --------------------------------------------------------------------------


def newsboat_binary() -> str | None:
    return shutil.which("newsboat")


def newsboat_version() -> str:
    binary = newsboat_binary()
    if not binary:
        return "not installed"
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout
    return out.split("\n", 1)[0].removeprefix("newsboat ").split(" - ")[0].strip() or "?"


class Newsboat:
    """One newsboat cache (its own directory) over a list of URLs."""

    def __init__(self, workdir: Path, urls: list[str], threads: int, timeout: float) -> None:
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "home").mkdir(exist_ok=True)
        self.urls = self.dir / "urls"
        self.urls.write_text("".join(u + "\n" for u in urls))
        self.config = self.dir / "config"
        self.config.write_text(f"reload-threads {threads}\ndownload-timeout 30\n")
        self.cache = self.dir / "cache.db"
        self.timeout = timeout
        self.runs = 0

    def run(self, command: str, server=None) -> dict:
        binary = newsboat_binary()
        assert binary
        env = {**os.environ, "HOME": str(self.dir / "home"), "XDG_CONFIG_HOME": str(self.dir / "home"),
               "XDG_DATA_HOME": str(self.dir / "home")}
        self.runs += 1
        log = open(self.dir / f"run{self.runs}-{command}.log", "wb")
        stats0 = server.stats() if server else None
        scpu0 = server.cpu_seconds() if server else 0.0
        t0 = time.perf_counter()
        proc = subprocess.Popen([binary, "-u", str(self.urls), "-c", str(self.cache), "-C", str(self.config),
                                 "-x", command], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env=env, cwd=self.dir)
        sampler = pp.TreeSampler(proc.pid)
        sampler.start()
        try:
            ended = pp.wait(proc, self.timeout)
            timed_out = ended.returncode is None
            t1 = time.perf_counter()
        finally:  # also when the bench itself is stopped: no newsboat left behind
            if proc.returncode is None:
                ended = pp.stop(proc, grace=5)
            sampler.stop()
            log.close()
        result = {
            "seconds": t1 - t0,
            "timed_out": timed_out,
            "returncode": ended.returncode,
            "peak_rss_mib": ended.maxrss_mib,
            "peak_rss_tree_mib": sampler.peak_tree_kib / 1024,
            "peak_pss_tree_mib": sampler.peak_tree_pss_kib / 1024,
            "cpu_pct": 100 * (ended.cpu_s or 0.0) / (t1 - t0),
            "server_cpu_pct": 100 * ((server.cpu_seconds() if server else 0.0) - scpu0) / (t1 - t0),
        }
        if server and stats0 is not None:
            stats1 = server.stats()
            result["statuses"] = {k: stats1[k] - stats0[k] for k in ("200", "304", "404", "other")}
        if not timed_out:
            result.update(self.cache_facts())
        return result

    def cache_facts(self) -> dict:
        try:
            db = sqlite3.connect(f"file:{self.cache}?mode=ro", uri=True)
            items = db.execute("SELECT count(*) FROM rss_item").fetchone()[0]
            feeds, with_etag, with_lm = db.execute(
                "SELECT count(*), sum(etag != ''), sum(lastmodified > 0) FROM rss_feed").fetchone()
            db.close()
        except sqlite3.Error as exc:
            return {"cache_error": str(exc)}
        return {"items": items, "feeds_cached": feeds, "feeds_with_etag": with_etag or 0,
                "feeds_with_last_modified": with_lm or 0}


# --------------------------------------------------------------------------
# bare aiohttp loop (runs as a script in a fresh process)
# --------------------------------------------------------------------------


async def _bare_pass(base_url: str, n: int, concurrency: int, validators: dict[int, tuple[str | None, str | None]] | None):
    import aiohttp

    statuses: dict[int, int] = {}
    learned: dict[int, tuple[str | None, str | None]] = {}
    nbytes = 0
    next_index = iter(range(n))
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal nbytes
            for i in next_index:
                headers = {}
                if validators is not None:
                    etag, last_modified = validators[i]
                    if etag:
                        headers["If-None-Match"] = etag
                    if last_modified:
                        headers["If-Modified-Since"] = last_modified
                async with session.get(f"{base_url}/f/{i}.xml", headers=headers) as resp:
                    body = await resp.read()
                    nbytes += len(body)
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1
                    if validators is None:
                        learned[i] = (resp.headers.get("ETag"), resp.headers.get("Last-Modified"))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses, learned, nbytes


def bare_main(base_url: str, n: int, concurrency: int, server_pids: list[int]) -> dict:
    import aiohttp  # noqa: F401  (imported before the clock starts)

    def server_cpu() -> float:
        return sum(pp.cpu_seconds(p) for p in server_pids)

    out: dict = {}
    scpu0, cpu0, t0 = server_cpu(), time.process_time(), time.perf_counter()
    statuses, learned, nbytes = asyncio.run(_bare_pass(base_url, n, concurrency, None))
    scpu1, cpu1, t1 = server_cpu(), time.process_time(), time.perf_counter()
    out["unconditional"] = {"seconds": t1 - t0, "cpu_s": cpu1 - cpu0, "server_cpu_s": scpu1 - scpu0,
                            "statuses": statuses, "bytes": nbytes}
    scpu0, cpu0, t0 = server_cpu(), time.process_time(), time.perf_counter()
    statuses, _, nbytes = asyncio.run(_bare_pass(base_url, n, concurrency, learned))
    scpu1, cpu1, t1 = server_cpu(), time.process_time(), time.perf_counter()
    out["conditional"] = {"seconds": t1 - t0, "cpu_s": cpu1 - cpu0, "server_cpu_s": scpu1 - scpu0,
                          "statuses": statuses, "bytes": nbytes}
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def bare_loop(base_url: str, n: int, concurrency: int, server=None, timeout: float = 600) -> dict:
    """Run the bare loop in a fresh process; its report plus the server's CPU over it."""
    scpu0 = server.cpu_seconds() if server else 0.0
    t0 = time.perf_counter()
    pids = ",".join(str(p) for p in server.pids) if server else ""
    proc = subprocess.run([sys.executable, __file__, "bare", base_url, str(n), str(concurrency), pids],
                          capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"bare loop failed:\n{proc.stderr[-3000:]}")
    report = json.loads(proc.stdout)
    report["server_cpu_s_whole_process"] = (server.cpu_seconds() - scpu0) if server else None
    report["process_seconds"] = elapsed
    for part in ("unconditional", "conditional"):
        report[part]["statuses"] = {str(k): v for k, v in report[part]["statuses"].items()}
    return report


# --------------------------------------------------------------------------
# feedparser parse-only, in a pool of P processes
# --------------------------------------------------------------------------


def _parse_init(warm_path: str) -> None:
    import feedparser

    feedparser.parse(Path(warm_path).read_bytes())


def _parse_ready(_: int) -> int:
    time.sleep(0.2)  # one per worker: every worker has started (and run its initializer) before timing
    return os.getpid()


def _parse_one(path: str) -> tuple[int, int]:
    import feedparser

    parsed = feedparser.parse(Path(path).read_bytes())
    return len(parsed.entries), int(bool(parsed.bozo))


def parse_only(paths: list[str], processes: int) -> dict:
    ctx = mp.get_context("spawn")
    with ctx.Pool(processes, initializer=_parse_init, initargs=(paths[0],)) as pool:
        pids = set(pool.map(_parse_ready, range(processes), chunksize=1))
        cpu0 = sum(pp.cpu_seconds(p) for p in pids)
        t0 = time.perf_counter()
        results = list(pool.imap_unordered(_parse_one, paths, chunksize=4))
        t1 = time.perf_counter()
        cpu1 = sum(pp.cpu_seconds(p) for p in pids)
    return {"seconds": t1 - t0, "feeds": len(paths), "entries": sum(r[0] for r in results),
            "bozo": sum(r[1] for r in results), "processes": processes, "workers_seen": len(pids),
            "cpu_pct": 100 * (cpu1 - cpu0) / (t1 - t0)}


if __name__ == "__main__":
    if len(sys.argv) in (5, 6) and sys.argv[1] == "bare":
        pids = [int(p) for p in sys.argv[5].split(",") if p] if len(sys.argv) == 6 else []
        print(json.dumps(bare_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), pids)))
    else:
        sys.exit("usage: _polling_peers.py bare BASE_URL N CONCURRENCY [SERVER_PIDS]")
