"""How bench/polling.py drives newsd, the daemon under test.

A store is made per cold round: ``newsd feeds import`` of an OPML list of the
N feed URLs into a fresh SQLite file (untimed). Then one of two drivers:

``run`` (the daemon, ``newsd --config CFG run``)
    A unix datagram socket is bound and passed as ``$NOTIFY_SOCKET``, as
    systemd does. The clock starts when ``READY=1`` arrives (imports, config
    and opening the store are before it) and stops when the store shows a
    ``fetch_log`` row for every one of the N feeds since the round began
    (``SELECT count(DISTINCT feed_id) FROM fetch_log WHERE id > <max id
    before the round>``, read-only, every 30 ms). Then SIGTERM, and the exit
    is reaped with ``os.wait4``. Before each later round the daemon is
    stopped and ``UPDATE feeds SET next_poll_at = NULL`` makes every feed due.
``fetch`` (the one-shot ``newsd --config CFG fetch --json``)
    The rate uses the ``duration_s`` that newsd measures inside the process
    around the poll itself (startup excluded, as with READY=1).

Both: peak RSS as ``ru_maxrss`` from ``os.wait4`` (the daemon's own, or its
largest reaped child's) and as the sampled peak of the whole process tree
(``_polling_proc.TreeSampler``; a process pool shows up there); the CPU of
the daemon's tree and of the server over the timed window; what the store
says about the round (HTTP statuses, errors, new articles and sources).
"""

from __future__ import annotations

import json
import os
import select
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import _polling_proc as pp  # noqa: E402

READY_TIMEOUT_S = 180.0
POLL_EVERY_S = 0.03


def newsd_binary() -> str:
    here = Path(sys.executable).parent / "newsd"
    if here.exists():
        return str(here)
    repo_venv = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "newsd"
    return str(repo_venv)


def has_run_command(binary: str) -> bool:
    proc = subprocess.run([binary, "run", "--help"], capture_output=True, text=True, timeout=60)
    return proc.returncode == 0


def write_config(path: Path, db: Path, connections: int, in_flight: int, batch: int,
                 workers: int | None) -> None:
    workers_line = f"workers = {workers}\n" if workers is not None else ""
    path.write_text(f"""# bench/polling.py: every feed is on one loopback host, so the per-host
# politeness limits are lifted (max_per_host = max_connections, no host_delay).
[storage]
path = "{db}"
keep_html = false

[http]
max_connections = {connections}
max_per_host = {connections}
host_delay = 0
timeout = 30

[poll]
fetch_pages = false
# Far above any round's length: no feed comes due twice inside one measured round.
min_interval = "1h"
batch = {batch}
feeds_in_flight = {in_flight}
{workers_line}""")


def write_opml(path: Path, urls: list[str]) -> None:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">',
             "<head><title>bench/polling.py</title></head>", "<body>"]
    lines += [f'<outline type="rss" text="copy {i}" xmlUrl="{url}"/>' for i, url in enumerate(urls)]
    lines += ["</body>", "</opml>", ""]
    path.write_text("\n".join(lines))


def effective_settings(binary: str, config: Path) -> dict:
    proc = subprocess.run([binary, "--config", str(config), "config", "check", "--json"],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"newsd config check failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout)


class NewsdStore:
    """One config and store; rounds of polling against it."""

    def __init__(self, binary: str, workdir: Path, urls: list[str], driver: str, connections: int,
                 in_flight: int, batch: int, workers: int | None, timeout: float) -> None:
        self.binary = binary
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db = self.dir / "newsd.db"
        self.config = self.dir / "newsd.toml"
        self.driver = driver
        self.expected = len(urls)
        self.timeout = timeout
        self.rounds = 0
        write_config(self.config, self.db, connections, in_flight, batch, workers)
        opml = self.dir / "feeds.opml"
        write_opml(opml, urls)
        t0 = time.perf_counter()
        proc = subprocess.run([binary, "--config", str(self.config), "feeds", "import", str(opml)],
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"newsd feeds import failed:\n{proc.stdout}\n{proc.stderr}")
        self.import_seconds = time.perf_counter() - t0

    # -- the store, between rounds ---------------------------------------------

    def _facts(self) -> dict:
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            row = db.execute("SELECT (SELECT coalesce(max(id), 0) FROM fetch_log), (SELECT count(*) FROM articles),"
                             " (SELECT count(*) FROM article_sources), (SELECT count(*) FROM feeds)").fetchone()
        finally:
            db.close()
        return {"max_log_id": row[0], "articles": row[1], "sources": row[2], "feeds": row[3]}

    def make_all_due(self) -> None:
        db = sqlite3.connect(self.db, timeout=60)
        try:
            with db:
                db.execute("UPDATE feeds SET next_poll_at = NULL")
        finally:
            db.close()

    def _round_facts(self, before: dict) -> dict:
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            statuses = {str(k): v for k, v in db.execute(
                "SELECT http_status, count(*) FROM fetch_log WHERE id > ? GROUP BY 1", [before["max_log_id"]])}
            rows, distinct, errors, new_entries = db.execute(
                "SELECT count(*), count(DISTINCT feed_id), sum(error IS NOT NULL), coalesce(sum(new_entries), 0)"
                " FROM fetch_log WHERE id > ?", [before["max_log_id"]]).fetchone()
            first_error = db.execute("SELECT error FROM fetch_log WHERE id > ? AND error IS NOT NULL LIMIT 1",
                                     [before["max_log_id"]]).fetchone()
        finally:
            db.close()
        after = self._facts()
        return {"statuses": statuses, "log_rows": rows, "feeds_polled": distinct, "errors": errors or 0,
                "first_error": first_error[0] if first_error else None, "new_entries": new_entries,
                "articles_added": after["articles"] - before["articles"],
                "sources_added": after["sources"] - before["sources"]}

    # -- one round ---------------------------------------------------------------

    def poll_round(self, server=None) -> dict:
        self.rounds += 1
        if self.rounds > 1:
            self.make_all_due()
        before = self._facts()
        if self.driver == "run":
            result = self._round_run(before, server)
        else:
            result = self._round_fetch(before, server)
        result.update(self._round_facts(before))
        result["rate"] = (result["feeds_polled"] if result.get("timed_out") else self.expected) / result["seconds"]
        return result

    def _spawn(self, argv: list[str], env: dict, log_name: str) -> tuple[subprocess.Popen, Any]:
        log = open(self.dir / log_name, "wb")
        proc = subprocess.Popen([self.binary, "--config", str(self.config), *argv], env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        return proc, log

    def _log_tail(self, log_name: str) -> str:
        try:
            return (self.dir / log_name).read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def _round_run(self, before: dict, server) -> dict:
        sock_path = self.dir / f"notify-{self.rounds}.sock"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(sock_path))
        sock.setblocking(False)
        env = {**os.environ, "NOTIFY_SOCKET": str(sock_path)}
        env.pop("WATCHDOG_USEC", None)
        log_name = f"round{self.rounds}-run.log"
        t_spawn = time.perf_counter()
        proc, log = self._spawn(["run"], env, log_name)
        sampler = pp.TreeSampler(proc.pid)
        sampler.start()
        status_lines: list[str] = []
        ready_at = None
        notices = 0

        def drain(wait: float) -> None:
            nonlocal ready_at, notices
            readable, _, _ = select.select([sock], [], [], wait)
            while readable:
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    break
                notices += 1
                for line in data.decode(errors="replace").splitlines():
                    if line == "READY=1" and ready_at is None:
                        ready_at = time.perf_counter()
                    elif line.startswith("STATUS="):
                        status_lines.append(line[7:])

        try:
            while ready_at is None:
                drain(0.05)
                if ready_at is None and pp.poll(proc).returncode is not None:
                    raise RuntimeError(f"newsd run exited before READY=1:\n{self._log_tail(log_name)}")
                if ready_at is None and time.perf_counter() - t_spawn > READY_TIMEOUT_S:
                    raise RuntimeError(f"newsd run sent no READY=1 within {READY_TIMEOUT_S:.0f} s")
            t0 = ready_at
            cpu0 = pp.tree_cpu_seconds(proc.pid)
            scpu0 = server.cpu_seconds() if server else 0.0
            ro = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
            timed_out = False
            try:
                while True:
                    done = ro.execute("SELECT count(DISTINCT feed_id) FROM fetch_log WHERE id > ?",
                                      [before["max_log_id"]]).fetchone()[0]
                    now = time.perf_counter()
                    if done >= self.expected:
                        break
                    if pp.poll(proc).returncode is not None:
                        raise RuntimeError(f"newsd run exited during the round ({done} of {self.expected} "
                                           f"feeds polled):\n{self._log_tail(log_name)}")
                    if now - t0 > self.timeout:
                        timed_out = True
                        break
                    drain(POLL_EVERY_S)
            finally:
                ro.close()
            t1 = now
            cpu1 = pp.tree_cpu_seconds(proc.pid)
            scpu1 = server.cpu_seconds() if server else 0.0
            drain(0)
        finally:
            t_term = time.perf_counter()
            ended = pp.stop(proc, grace=60)
            t_exit = time.perf_counter()
            sampler.stop()
            log.close()
            sock.close()
            sock_path.unlink(missing_ok=True)
        return {
            "driver": "run",
            "seconds": t1 - t0,
            "timed_out": timed_out,
            "startup_s": t0 - t_spawn,
            "shutdown_s": t_exit - t_term,
            "returncode": ended.returncode,
            "cpu_pct": 100 * (cpu1 - cpu0) / (t1 - t0),
            "server_cpu_pct": 100 * (scpu1 - scpu0) / (t1 - t0),
            "peak_rss_mib": ended.maxrss_mib,
            "peak_rss_tree_mib": sampler.peak_tree_kib / 1024,
            "peak_pss_tree_mib": sampler.peak_tree_pss_kib / 1024,
            "peak_rss_self_sampled_mib": sampler.peak_self_kib / 1024,
            "max_procs": sampler.max_procs,
            "peak_by_role_mib": {role: (rss / 1024, pss / 1024) for role, (rss, pss) in sampler.peak_by_role_kib.items()},
            "notices": notices,
            "last_status": status_lines[-1] if status_lines else None,
        }

    def _round_fetch(self, before: dict, server) -> dict:
        log_name = f"round{self.rounds}-fetch.log"
        out_path = self.dir / f"round{self.rounds}-fetch.json"
        t_spawn = time.perf_counter()
        scpu0 = server.cpu_seconds() if server else 0.0
        with open(out_path, "wb") as out, open(self.dir / log_name, "wb") as log:
            proc = subprocess.Popen([self.binary, "--config", str(self.config), "fetch", "--json"],
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=log, cwd=self.dir)
            sampler = pp.TreeSampler(proc.pid)
            sampler.start()
            try:
                ended = pp.wait(proc, self.timeout + READY_TIMEOUT_S)
                timed_out = ended.returncode is None
            finally:  # also when the bench itself is stopped: no newsd left behind
                if proc.returncode is None:
                    ended = pp.stop(proc, grace=30)
                sampler.stop()
        t_exit = time.perf_counter()
        scpu1 = server.cpu_seconds() if server else 0.0
        wall = t_exit - t_spawn
        summary: dict = {}
        if not timed_out:
            try:
                summary = json.loads(out_path.read_text())
            except ValueError:
                raise RuntimeError(f"newsd fetch printed no JSON (exit {ended.returncode}):\n"
                                   f"{self._log_tail(log_name)}") from None
        seconds = summary.get("duration_s") or wall
        return {
            "driver": "fetch",
            "seconds": seconds,
            "timed_out": timed_out,
            "startup_s": wall - seconds,  # process start to exit, minus the poll itself
            "shutdown_s": None,
            "returncode": ended.returncode,
            "cpu_pct": 100 * (ended.cpu_s or 0.0) / wall,  # whole process, startup included
            "server_cpu_pct": 100 * (scpu1 - scpu0) / seconds,
            "peak_rss_mib": ended.maxrss_mib,
            "peak_rss_tree_mib": sampler.peak_tree_kib / 1024,
            "peak_pss_tree_mib": sampler.peak_tree_pss_kib / 1024,
            "peak_rss_self_sampled_mib": sampler.peak_self_kib / 1024,
            "max_procs": sampler.max_procs,
            "peak_by_role_mib": {role: (rss / 1024, pss / 1024) for role, (rss, pss) in sampler.peak_by_role_kib.items()},
            "notices": 0,
            "last_status": None,
        }
