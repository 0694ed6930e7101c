"""Process helpers of bench/polling.py: peak memory of a process tree, CPU, waiting with rusage.

* ``TreeSampler(pid)``: a thread that every 50 ms adds up ``VmRSS`` of the
  process and all its descendants (found through
  ``/proc/<pid>/task/<tid>/children``, or by scanning ``/proc/*/stat`` for
  parent pids where that file does not exist) and keeps the peaks: of the
  whole tree, of the process alone, and the largest number of processes.
  It adds up ``Pss`` (``/proc/<pid>/smaps_rollup``) too: a sum of RSS counts
  the pages that forked workers share with their parent once per process,
  the sum of PSS counts each page once.
* ``wait(proc, timeout)``: ``os.wait4`` on a child, so the kernel's own peak
  (``ru_maxrss``: the child's, or that of its largest reaped descendant) and
  its CPU come back with the exit status.
* ``tree_cpu_seconds(pid)``: user + system CPU of a live process tree.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_CLK_TCK = os.sysconf("SC_CLK_TCK")
_HAS_CHILDREN_FILE = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists()


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out += [int(x) for x in fh.read().split()]
        except OSError:
            pass
    return out


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    parents[int(name)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    return parents


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants that exist now."""
    if _HAS_CHILDREN_FILE:
        found, todo = [pid], [pid]
        while todo:
            kids = _children(todo.pop())
            found += kids
            todo += kids
        return found
    parents = _parents()
    found, frontier = [pid], {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier}
        found += sorted(frontier)
    return found


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def role_of(pid: int, root: int) -> str:
    """A short name for a descendant of ``root``: what multiprocessing started it as.

    A worker is forked from the fork server without an exec, so it has the
    server's command line; it is told apart by its parent.
    """
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmdline = fh.read()
        with open(f"/proc/{pid}/stat", "rb") as fh:
            parent = int(fh.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return "gone"
    if b"resource_tracker" in cmdline:
        return "resource tracker"
    if b"forkserver" in cmdline and parent == root:
        return "fork server"
    return "each worker"


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def tree_cpu_seconds(pid: int) -> float:
    return sum(cpu_seconds(p) for p in tree(pid))


class TreeSampler(threading.Thread):
    """Peak RSS of a process tree, sampled every ``interval`` seconds until ``stop()``."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_tree_kib = 0
        self.peak_tree_pss_kib = 0
        self.peak_self_kib = 0
        self.max_procs = 0
        self.samples = 0
        # Each process's own peak, by its role (``role_of``): where the tree's memory goes.
        self.peak_by_role_kib: dict[str, tuple[int, int]] = {}
        self._stop_event = threading.Event()

    def sample(self) -> None:
        pids = tree(self.pid)
        sizes = [rss_kib(p) for p in pids]
        if not sizes or sizes[0] == 0:
            return  # gone (or a zombie)
        self.samples += 1
        self.peak_self_kib = max(self.peak_self_kib, sizes[0])
        self.peak_tree_kib = max(self.peak_tree_kib, sum(sizes))
        self.max_procs = max(self.max_procs, len(pids))
        psss = [pss_kib(p) for p in pids]
        self.peak_tree_pss_kib = max(self.peak_tree_pss_kib, sum(psss))
        for pid, rss, pss in zip(pids, sizes, psss):
            role = "daemon" if pid == self.pid else role_of(pid, self.pid)
            if role == "gone":  # exited between the listing and the reading
                continue
            old_rss, old_pss = self.peak_by_role_kib.get(role, (0, 0))
            self.peak_by_role_kib[role] = (max(old_rss, rss), max(old_pss, pss))

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(5)


@dataclass
class Exit:
    returncode: int | None  # None: still running when the wait ended
    rusage: resource.struct_rusage | None

    @property
    def maxrss_mib(self) -> float | None:
        return self.rusage.ru_maxrss / 1024 if self.rusage else None  # Linux: KiB

    @property
    def cpu_s(self) -> float | None:
        return self.rusage.ru_utime + self.rusage.ru_stime if self.rusage else None


def poll(proc: subprocess.Popen) -> Exit:
    """Reap ``proc`` if it has exited (never blocks); Exit(None, None) while it runs."""
    if proc.returncode is not None:
        return Exit(proc.returncode, None)
    try:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
    except ChildProcessError:  # reaped elsewhere: the status and rusage are lost
        proc.returncode = -1
        return Exit(-1, None)
    if pid == 0:
        return Exit(None, None)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Exit(proc.returncode, usage)


def wait(proc: subprocess.Popen, timeout: float) -> Exit:
    """Wait up to ``timeout`` s for ``proc`` to exit, reaping it with its rusage."""
    deadline = time.monotonic() + timeout
    while True:
        ended = poll(proc)
        if ended.returncode is not None or time.monotonic() >= deadline:
            return ended
        time.sleep(0.01)


def stop(proc: subprocess.Popen, grace: float = 30.0) -> Exit:
    """SIGTERM, wait ``grace`` s, then SIGKILL; the exit with its rusage."""
    ended = poll(proc)
    if ended.returncode is not None:
        return ended
    # os.kill, not proc.send_signal: Popen would reap the child itself and lose its rusage.
    os.kill(proc.pid, signal.SIGTERM)
    ended = wait(proc, grace)
    if ended.returncode is None:
        os.kill(proc.pid, signal.SIGKILL)
        ended = wait(proc, 10)
    return ended
