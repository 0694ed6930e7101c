"""``newsd dedup --rebuild``: recompute story fingerprints and merge the copies they reveal."""

from __future__ import annotations

import sys

import click

from newsd.daemon.cli_context import AppContext, pass_app
from newsd.daemon.dedup_rebuild import rebuild
from newsd.daemon.output import echo_json


@click.command()
@click.option("--rebuild", "do_rebuild", is_flag=True, help="Recompute every fingerprint and merge the copies found.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
def dedup(app: AppContext, do_rebuild: bool, as_json: bool) -> None:
    """Deduplicate the stored stories again.

    With --rebuild, every story's text hash, MinHash fingerprint and LSH
    index entry are computed again with the current [dedup] settings, and a
    story that is a copy of an earlier one becomes another appearance
    (source) of it. Run it after changing [dedup] settings, and once on a
    store made before newsd deduplicated. Nothing is fetched.
    """
    if not do_rebuild:
        raise click.UsageError("say what to do: 'newsd dedup --rebuild' recomputes fingerprints and merges copies")
    total = app.store.count_articles()
    show_progress = sys.stderr.isatty() and not as_json
    with click.progressbar(length=total, label="Deduplicating", file=sys.stderr, show_pos=True,
                           hidden=not show_progress) as bar:
        summary = rebuild(app.store, app.settings.dedup, on_progress=bar.update)
    if as_json:
        echo_json(summary.as_dict())
        return
    click.echo(f"Read {summary.stories} stories in {summary.duration_s:.1f} s: {summary.merged} merged into an "
               f"earlier story as another appearance, {summary.fingerprinted} fingerprinted for near matching.")
