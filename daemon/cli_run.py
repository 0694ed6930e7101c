"""``newsd run`` (the daemon) and ``newsd status`` (its health, read from the store)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import click

from newsd.config import load_settings
from newsd.daemon.cli_context import AppContext, pass_app
from newsd.daemon.dates import parse_stored
from newsd.daemon.lock import holder
from newsd.daemon.output import echo_json, render_table
from newsd.daemon.service import Daemon
from newsd.storage import queries
from newsd.storage.store import utc_now


@click.command()
@pass_app
def run(app: AppContext) -> None:
    """Run the polling daemon in the foreground until stopped.

    Polls each feed when it is due (the schedule adapts to how often it
    publishes and what its server asks), stores new articles, and keeps its
    state in the store, so a restart resumes where it left off. Ctrl-C or
    SIGTERM stops it cleanly within seconds; SIGHUP reloads the config.
    Under systemd it speaks sd_notify (see systemd/README.md).
    """
    store = app.synced_store()
    if not any(row["enabled"] for row in store.feeds()):
        raise click.UsageError("no enabled feeds: add one with 'newsd feeds add URL' or a [[feeds]] table in the config")

    with app.store_lock():
        daemon = Daemon(store, app.settings, lambda: load_settings(app.config_path, app.db_path),
                        ignore_late_signals=True)
        code = asyncio.run(daemon.run())
    if code:
        raise SystemExit(code)


def _ago(moment: str | None, now: datetime) -> str:
    """'5m ago', 'in 2h' for a stored time; '-' for none."""
    if not moment:
        return "-"
    delta = (parse_stored(moment) - now).total_seconds()
    text = _span(abs(delta))
    return f"in {text}" if delta > 0 else f"{text} ago"


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format.")
@pass_app
def status(app: AppContext, fmt: str) -> None:
    """The daemon's health, from the store: is it running, and how each feed's polling goes.

    Per feed: last poll and its HTTP status or error, next poll, interval,
    consecutive errors, and why newsd stopped polling it, if it did.
    """
    store = app.store
    pid = holder(store.path)
    rows = queries.feeds_overview(store.db)
    now_text = utc_now()
    active = [r for r in rows if r["enabled"] and not r["disabled_reason"]]
    data = {
        "store": str(store.path),
        "daemon_running": pid is not None,
        "daemon_pid": pid if pid and pid > 0 else None,
        "feeds": len(rows),
        "feeds_active": len(active),
        "feeds_disabled": sum(1 for r in rows if r["disabled_reason"]),
        "feeds_switched_off": sum(1 for r in rows if not r["enabled"]),
        "feeds_failing": sum(1 for r in active if r["error_count"]),
        "feeds_due": sum(1 for r in active if not r["next_poll_at"] or r["next_poll_at"] <= now_text),
        "articles": store.db.execute("SELECT count(*) FROM articles").fetchone()[0],
        "per_feed": [
            {key: r[key] for key in ("id", "url", "name", "enabled", "last_polled_at", "last_status", "last_error",
                                     "next_poll_at", "interval_s", "error_count", "failing_since", "disabled_reason",
                                     "articles")}
            for r in rows
        ],
    }
    if fmt == "json":
        echo_json(data)
        return
    if pid is None:
        running = "not running"
    else:
        running = f"running (pid {pid})" if pid > 0 else "running"
    click.echo(f"Store: {data['store']}   Daemon: {running}")
    click.echo(f"Feeds: {data['feeds']} ({data['feeds_active']} polled, {data['feeds_failing']} failing, "
               f"{data['feeds_disabled']} disabled by newsd, {data['feeds_switched_off']} switched off); "
               f"{data['feeds_due']} due now; {data['articles']} articles")
    if not rows:
        return
    now = datetime.now(timezone.utc)
    table = []
    for r in rows:
        if r["disabled_reason"]:
            state = f"disabled: {r['disabled_reason']}"
        elif not r["enabled"]:
            state = "switched off"
        else:
            state = r["last_error"] or (str(r["last_status"]) if r["last_status"] else "never polled")
        table.append({
            "id": r["id"], "url": r["url"], "last poll": _ago(r["last_polled_at"], now),
            "next poll": _ago(r["next_poll_at"], now) if r["enabled"] and not r["disabled_reason"] else "-",
            "interval": _span(r["interval_s"]) if r["interval_s"] else "-",
            "errors": r["error_count"], "state": state,
        })
    click.echo()
    click.echo(render_table(table, ["id", "last poll", "next poll", "interval", "errors", "url", "state"], wide="state"))
    if data["feeds_disabled"]:
        click.echo("\n'newsd feeds enable URL' polls a disabled feed again.")
