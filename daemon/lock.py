"""One writer per store: an advisory lock file beside it.

``newsd run`` and ``newsd fetch`` hold ``<store>.lock`` (flock, exclusive)
while they poll, so two daemons, or a daemon and a timer's fetch, never write
one store at once. The kernel drops the lock when the process dies, so a
crash leaves no stale lock behind; the file keeps the holder's pid for messages.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class StoreLocked(Exception):
    """Another process holds the store's lock."""


def lock_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".lock")


class StoreLock:
    """The exclusive lock on a store; ``acquire`` raises StoreLocked when another process has it."""

    def __init__(self, store_path: Path) -> None:
        self.path = lock_path(store_path)
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"pid {holder}" if holder else "another process"
            raise StoreLocked(
                f"{who} is already polling into this store (lock {self.path}); stop it first "
                "(for the service: systemctl stop newsd), or give this run another --db"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> "StoreLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def holder(store_path: Path) -> int | None:
    """The pid of the process polling into this store, or None when none is."""
    path = lock_path(store_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(fd) or -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
