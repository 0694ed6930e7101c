"""Shared machinery of the loopback benchmarks (bench/http_client.py, bench/fetch.py).

What it offers
--------------
* ``start_server(make_app, *app_args)``: runs the aiohttp.web application
  ``make_app(*app_args)`` on 127.0.0.1 (ephemeral port) in a separate,
  *spawned* process and returns that process and its port;
  ``stop_process(proc)`` ends it (or any other helper process).
  The server adds a ``GET /_cpu`` route to the application, and
  ``server_cpu_seconds(base_url)`` reads it: the CPU seconds the server
  process has used so far, so a benchmark can tell when the server, not
  the client, is the bottleneck.
* The server exits by itself when the process that started it goes away,
  so a benchmark killed before its ``finally`` leaves no orphan behind;
  ``exit_on_sigterm`` turns SIGTERM into ``SystemExit`` so that ``finally``
  does run on a plain ``kill``.
* Reporting helpers: ``fmt`` (a number or "n/a"), ``versions`` (Python and
  package versions) and ``write_json`` (the ``--json`` output).

Why a separate process
----------------------
A server in the benchmark's own process would share its GIL and its event
loop: every request the client makes would also pay for the server's work,
and the two would be scheduled against each other. In its own process the
server costs the client nothing but the loopback round trip.

``make_app`` must be picklable (a module-level function): the server process
is spawned, not forked, and imports it afresh.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import platform
import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Callable

import aiohttp
from aiohttp import web

HOST = "127.0.0.1"
SERVER_START_TIMEOUT_S = 15.0

AppFactory = Callable[..., web.Application]


# --------------------------------------------------------------------------
# Server (runs in a child process)
# --------------------------------------------------------------------------

async def handle_cpu(request: web.Request) -> web.Response:
    """CPU seconds used so far by the server process (read outside timing)."""
    return web.json_response({"cpu_s": time.process_time()})


async def serve_until_parent_exits(port_queue: "mp.Queue[int]", parent_pid: int,
                                   make_app: AppFactory, app_args: tuple[Any, ...]) -> None:
    app = make_app(*app_args)
    app.router.add_get("/_cpu", handle_cpu)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0, backlog=1024)
    await site.start()
    port_queue.put(runner.addresses[0][1])
    # Normally terminated by the parent; this guards against an orphaned
    # server if the parent is killed before its `finally` can run.
    while os.getppid() == parent_pid:
        await asyncio.sleep(1)
    await runner.cleanup()


def server_main(port_queue: "mp.Queue[int]", parent_pid: int,
                make_app: AppFactory, app_args: tuple[Any, ...]) -> None:
    asyncio.run(serve_until_parent_exits(port_queue, parent_pid, make_app, app_args))


def start_server(make_app: AppFactory, *app_args: Any) -> tuple[mp.process.BaseProcess, int]:
    """Start the server process serving ``make_app(*app_args)``; return it and its port."""
    ctx = mp.get_context("spawn")
    port_queue: "mp.Queue[int]" = ctx.Queue()
    proc = ctx.Process(target=server_main,
                       args=(port_queue, os.getpid(), make_app, app_args), daemon=True)
    proc.start()
    try:
        port = port_queue.get(timeout=SERVER_START_TIMEOUT_S)
    except Exception:
        stop_process(proc)
        raise RuntimeError("benchmark server did not start") from None
    return proc, port


def stop_process(proc: mp.process.BaseProcess) -> None:
    proc.terminate()
    proc.join(5)
    if proc.is_alive():
        proc.kill()
        proc.join(5)


# --------------------------------------------------------------------------
# Client side
# --------------------------------------------------------------------------

async def server_cpu_seconds(base_url: str) -> float:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base_url}/_cpu") as resp:
            return float((await resp.json())["cpu_s"])


def exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through `finally`: server stopped


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------

def fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "n/a" if value is None else format(value, spec) + suffix


def versions(*packages: str) -> dict[str, str]:
    """The Python version and each package's installed version (or "not installed")."""
    info = {"python": platform.python_version()}
    for name in packages:
        try:
            info[name] = version(name)
        except PackageNotFoundError:
            info[name] = "not installed"
    return info


def write_json(path: str, payload: dict[str, Any]) -> None:
    """Write ``payload`` as indented JSON to ``path`` ('-' = stdout)."""
    text = json.dumps(payload, indent=2)
    if path == "-":
        print(text)
    else:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
