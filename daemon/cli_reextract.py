"""``newsd reextract``: clean stored articles again from their kept pages."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from newsd.daemon.cli_context import AppContext, find_feed, parse_since, pass_app
from newsd.daemon.output import echo_json

if TYPE_CHECKING:  # the module itself loads trafilatura: imported when the command runs
    from newsd.daemon.reextract import ReextractSummary


def _print_summary(summary: ReextractSummary, dry_run: bool) -> None:
    changed = f"{summary.changed} would change (nothing written: --dry-run)" if dry_run else f"{summary.changed} changed"
    click.echo(
        f"Re-extracted {summary.reextracted} of {summary.articles} articles in {summary.duration_s:.1f} s: "
        f"{changed}, {summary.unchanged} unchanged, {summary.failed} failed (kept as they were)."
    )
    if summary.without_html:
        click.echo(
            f"{summary.without_html} had no kept page (text from the feed only, stored with keep_html = false, "
            "or stored before newsd kept pages)."
        )


@click.command()
@click.option("--feed", "feed", metavar="URL", help="Only articles this feed carried (URL, path or name).")
@click.option("--since", metavar="DATE", help="Only articles fetched on or after DATE (YYYY-MM-DD).")
@click.option("--dry-run", is_flag=True, help="Count what would change, write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
def reextract(app: AppContext, feed: str | None, since: str | None, dry_run: bool, as_json: bool) -> None:
    """Extract stored articles again from their kept pages.

    Runs the current extractor, boilerplate rules and site-learned
    boilerplate over the raw pages the store kept ([storage] keep_html), and
    updates text, metadata and the search index of the articles that change.
    Nothing is fetched. Articles whose text came from the feed switch to the
    page's text only when it is no longer much shorter than the feed's
    (the feed's text is then replaced: try --dry-run first to see how many).
    """
    from newsd.daemon.reextract import reextract as run_reextract

    store = app.store
    feed_id = find_feed(store.feeds(), feed)["id"] if feed else None
    since_utc = parse_since(since)
    total = store.count_articles(feed_id, since_utc)
    if total == 0 and not as_json:
        click.echo("No stored articles match; nothing to re-extract.", err=True)
        return
    # The progress bar is for people at a terminal; logs and pipes get the summary only.
    show_progress = sys.stderr.isatty() and not as_json
    with click.progressbar(length=total, label="Re-extracting", file=sys.stderr,
                           show_pos=True, hidden=not show_progress) as bar:
        summary = run_reextract(store, app.settings.site_learning, feed_id, since_utc, on_progress=bar.update,
                                rules_for=app.settings.rules_for, dry_run=dry_run, dedup=app.settings.dedup)
    if as_json:
        echo_json({**summary.as_dict(), "dry_run": dry_run})
    else:
        _print_summary(summary, dry_run)
