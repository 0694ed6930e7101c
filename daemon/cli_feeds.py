"""``newsd feeds``: list, add, remove, import and export subscriptions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from newsd.config.loader import is_bundled_example, is_missing_local_feed
from newsd.config.validate import normalise_feed_url
from newsd.daemon.cli_context import AppContext, FatalError, feed_url_argument, find_feed, pass_app
from newsd.daemon.opml import OpmlError, build_opml, parse_opml
from newsd.daemon.output import echo_json, render_table
from newsd.storage.queries import feeds_overview


@click.group()
def feeds() -> None:
    """Manage the feeds newsd polls.

    Feeds come from the config file's [[feeds]] tables and from these
    commands; both live in the store's feeds table.
    """


@feeds.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format.")
@pass_app
def list_feeds(app: AppContext, fmt: str) -> None:
    """List feeds with their state and article counts."""
    rows = feeds_overview(app.synced_store().db)
    if fmt == "json":
        echo_json(rows)
    elif rows:
        for row in rows:
            row["enabled"] = "yes" if row["enabled"] else "no"
            row["status"] = (f"disabled: {row['disabled_reason']}" if row["disabled_reason"]
                             else row["last_error"] or row["last_status"] or "never polled")
        click.echo(render_table(rows, ["id", "enabled", "origin", "articles", "name", "url", "status"], wide="status"))
    else:
        click.echo("No feeds yet: add one with 'newsd feeds add URL'.", err=True)


def _own_copy_hint(app: AppContext) -> str:
    """For the bundled example, which belongs to the installed package: how to get a config of one's own."""
    if app.settings.source and is_bundled_example(app.settings.source):
        return " (it is the bundled example: copy it with 'newsd config init PATH', edit the copy, and pass --config PATH)"
    return ""


@feeds.command()
@click.argument("url")
@click.option("--name", help="A short name for the feed.")
@click.option("--tag", "tags", multiple=True, help="A tag; repeatable.")
@pass_app
def add(app: AppContext, url: str, name: str | None, tags: tuple[str, ...]) -> None:
    """Add a feed (http(s) URL, file:// URL or local path).

    Adding a feed that is already there updates the --name and --tag given
    and keeps the rest.
    """
    feed_url = feed_url_argument(url)
    store = app.synced_store()
    existing = store.feed(feed_url)
    if any(f.url == feed_url for f in app.settings.feeds):
        raise FatalError(f"{feed_url} is configured in {app.settings.source}; edit its [[feeds]] table there"
                         + _own_copy_hint(app))
    if existing:  # adding again updates what was given and keeps the rest
        name = name if name is not None else existing["name"]
        tags = tags or tuple(json.loads(existing["tags"]))
    store.upsert_feed(feed_url, name, tags, enabled=True, origin="cli")
    click.echo(f"{'Updated' if existing else 'Added'} {feed_url}; poll it with 'newsd fetch --feed {feed_url}'.")
    if is_missing_local_feed(feed_url):  # as config check warns: a typo'd path would only fail at the poll
        click.echo(f"warning: feed file {feed_url} does not exist (yet); its polls will fail until it does", err=True)


@feeds.command()
@click.argument("url")
@pass_app
def remove(app: AppContext, url: str) -> None:
    """Remove a feed (by URL, path or name); its stored articles stay."""
    store = app.synced_store()
    existing = find_feed(store.feeds(), url)  # as 'feeds enable' and 'fetch --feed': a name does too
    if existing["origin"] == "config" and existing["enabled"]:
        raise FatalError(f"{existing['url']} is defined in {app.settings.source}; remove its [[feeds]] table there"
                         + _own_copy_hint(app))
    store.remove_feed(existing["url"])
    click.echo(f"Removed {existing['url']}; its articles stay in the store.")


@feeds.command()
@click.argument("url")
@pass_app
def enable(app: AppContext, url: str) -> None:
    """Poll a feed again that newsd disabled (410 Gone, failing too long) or that was switched off.

    Its error state is cleared and it is due at once: 'newsd run' polls it
    within a second, or run 'newsd fetch --feed URL'.
    """
    store = app.synced_store()
    row = find_feed(store.feeds(), url)
    configured = app.settings.feed(row["url"]) or app.settings.feed(row["moved_from"] or "")
    if configured is not None and not configured.enabled:
        raise FatalError(f"{row['url']} has enabled = false in {app.settings.source}; set it to true there"
                         + _own_copy_hint(app))
    if row["enabled"] and not row["disabled_reason"]:
        click.echo(f"{row['url']} is enabled already; next poll {row['next_poll_at'] or 'now'}.")
        return
    store.enable_feed(row["id"])
    why = f" (it was disabled: {row['disabled_reason']})" if row["disabled_reason"] else ""
    click.echo(f"Enabled {row['url']}{why}; it is due now.")


@feeds.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def import_opml(app: AppContext, file: Path) -> None:
    """Add every feed of an OPML subscription list."""
    try:
        subscriptions = parse_opml(file.read_bytes())
    except OpmlError as exc:
        raise FatalError(f"{file}: {exc}") from None
    store = app.synced_store()
    added = skipped = 0
    problems = []
    for sub in subscriptions:
        try:
            url = normalise_feed_url(sub.url, file.resolve().parent)
        except ValueError as exc:
            problems.append(f"{sub.url}: {exc}")
            continue
        if store.feed(url):
            skipped += 1
            continue
        store.upsert_feed(url, sub.name, sub.tags, enabled=True, origin="opml")
        added += 1
    click.echo(f"Imported {added} feeds from {file} ({skipped} already known, {len(problems)} skipped as invalid).")
    for problem in problems:
        click.echo(f"  skipped {problem}", err=True)


@feeds.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="Write to FILE instead of standard output.")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@pass_app
def export(app: AppContext, output: Path | None, force: bool) -> None:
    """Write all feeds as an OPML subscription list."""
    if output and output.exists() and not force:
        raise FatalError(f"{output} exists; choose another file or add --force to overwrite it")
    document = build_opml(feeds_overview(app.synced_store().db))
    if output:
        output.write_bytes(document)
        click.echo(f"Wrote {output}.", err=True)
    else:
        sys.stdout.buffer.write(document)
