"""The ``newsd`` command line.

Exit codes: 0 done; 1 a fetch where every feed failed, a run whose store
failed, an extract that found no article text; 2 bad usage, bad
configuration, an unusable store or a page extract could not fetch (the
message says what to do).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from newsd.config import is_bundled_example, missing_local_feeds, starter_config_text
from newsd.daemon import __version__
from newsd.daemon.cli_context import AppContext, FatalError, NewsdGroup, find_feed, parse_since, pass_app
from newsd.daemon.cli_feeds import feeds
from newsd.daemon.cli_extract import extract_command
from newsd.daemon.cli_dedup import dedup
from newsd.daemon.cli_reextract import reextract
from newsd.daemon.cli_run import run, status
from newsd.daemon.logs import LOG_FORMATS, setup_logging
from newsd.daemon.output import echo_json, echo_jsonl, render_table
from newsd.daemon.pipeline import FeedOutcome, RunSummary, run_fetch
from newsd.storage import Store, StoreError, queries


DEFAULT_USER_CONFIG = Path("~/.config/newsd/newsd.toml")


@click.group(cls=NewsdGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", metavar="PATH", help="Config file (default: $NEWSD_CONFIG, ./newsd.toml, ~/.config/newsd/newsd.toml, /etc/newsd/newsd.toml, else the bundled example).")
@click.option("--db", "db_path", metavar="PATH", help="SQLite store path; overrides [storage] path and $NEWSD_DB.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.option("--log-format", type=click.Choice(LOG_FORMATS), default="text", show_default=True, envvar="NEWSD_LOG_FORMAT",
              help="Log lines on stderr as text, or as one JSON object per line (journald, log shippers).")
@click.version_option(__version__, prog_name="newsd")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, db_path: str | None, verbose: int, quiet: bool,
        log_format: str) -> None:
    """newsd: poll news feeds, store clean article text in SQLite."""
    setup_logging(verbose, quiet, log_format)
    app = AppContext(config_path=config_path, db_path=db_path)
    ctx.obj = app
    ctx.call_on_close(app.close)


# -- fetch -------------------------------------------------------------------


def _select_feeds(store: Store, wanted: tuple[str, ...]) -> list[dict]:
    """The feeds named by --feed (URL, local path or name, any case), or every enabled one."""
    if not wanted:
        return store.feeds(enabled_only=True)
    rows = store.feeds()
    selected = {match["id"]: match for match in (find_feed(rows, item) for item in wanted)}
    return list(selected.values())


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _print_summary(summary: RunSummary) -> None:
    data = summary.as_dict()
    ok = data["feeds_polled"] - data["feeds_not_modified"] - data["feeds_failed"]
    click.echo(
        f"Polled {plural(data['feeds_polled'], 'feed')} in {data['duration_s']:.1f} s: {ok} fetched, "
        f"{data['feeds_not_modified']} not modified, {data['feeds_failed']} failed."
    )
    click.echo(
        f"Articles: {data['articles_new']} new, {data['entries_known']} already known; "
        f"{data['pages_failed']} pages could not be used (feed text stored instead)."
    )
    failed = [o for o in summary.outcomes if o.status == "failed"]
    if failed:
        click.echo("Failed feeds:")
        for outcome in failed:
            click.echo(f"  {outcome.url}: {outcome.error}")
    pages = [problem for o in summary.outcomes for problem in o.page_errors]
    if pages:
        click.echo("Pages not used:")
        for problem in pages:
            click.echo(f"  {problem}")


@cli.command()
@click.option("--feed", "feeds", multiple=True, metavar="URL", help="Poll only this feed (URL or name); repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
def fetch(app: AppContext, feeds: tuple[str, ...], as_json: bool) -> None:
    """Poll every enabled feed once and store new articles."""
    store = app.synced_store()
    selected = _select_feeds(store, feeds)
    if not feeds:
        parked = [row for row in selected if row["disabled_reason"]]
        for row in parked:
            click.echo(f"skipped {row['url']}: disabled ({row['disabled_reason']}); 'newsd feeds enable URL' "
                       "polls it again", err=True)
        selected = [row for row in selected if not row["disabled_reason"]]
    if not selected:
        raise click.UsageError("no enabled feeds: add one with 'newsd feeds add URL' or a [[feeds]] table in the config")
    # The progress bar is for people at a terminal; logs and pipes get the summary only.
    show_progress = sys.stderr.isatty() and not as_json
    with click.progressbar(length=len(selected), label="Polling feeds", file=sys.stderr,
                           show_pos=True, hidden=not show_progress) as bar:
        def advance(_: FeedOutcome) -> None:
            bar.update(1)

        with app.store_lock():
            summary = run_fetch(store, app.settings, selected, on_done=advance)
    if as_json:
        echo_json(summary.as_dict())
    else:
        _print_summary(summary)
    if summary.all_failed:
        sys.exit(1)


# -- reading the store ---------------------------------------------------------


def _list_rows(rows: list[dict], fmt: str) -> None:
    if fmt == "json":
        echo_json(rows)
    elif fmt == "jsonl":
        echo_jsonl(rows)
    elif rows:
        for row in rows:
            row["date"] = (row.get("published_at") or row.get("fetched_at") or "")[:10]
        click.echo(render_table(rows, ["id", "date", "site_name", "title"], wide="title"))


FORMATS = click.Choice(["table", "json", "jsonl"])


@cli.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1), help="At most this many results.")
@click.option("--since", metavar="DATE", help="Only articles published on or after DATE (YYYY-MM-DD).")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True, help="Output format.")
@pass_app
def search(app: AppContext, query: str, limit: int, since: str | None, fmt: str) -> None:
    """Full-text search over titles and texts, best match first.

    QUERY uses SQLite FTS5 syntax: words, "a phrase", OR, NOT, prefix*.
    """
    if not any(ch.isalnum() for ch in query):
        raise click.UsageError("QUERY has no words to search for; try e.g. 'newsd search raqqa'")
    rows = queries.search(app.store.db, query, limit=limit, since=parse_since(since))
    if not rows and fmt == "table":
        click.echo(f"No articles match {query!r}.", err=True)
    _list_rows(rows, fmt)


@cli.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1), help="At most this many articles.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True, help="Output format.")
@pass_app
def articles(app: AppContext, limit: int, fmt: str) -> None:
    """List the most recently fetched articles."""
    rows = queries.recent(app.store.db, limit=limit)
    if not rows and fmt == "table":
        click.echo("The store holds no articles yet; run 'newsd fetch'.", err=True)
    _list_rows(rows, fmt)


@cli.command()
@click.argument("article_id", metavar="ID", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
@click.option("--revision", type=click.IntRange(min=0), metavar="N",
              help="Print the story's text number N instead: an earlier one, or the current (show lists them).")
@pass_app
def show(app: AppContext, article_id: int, fmt: str, revision: int | None) -> None:
    """Print one article: metadata, sources and clean text."""
    try:
        row = queries.article(app.store.db, article_id)
    except StoreError as exc:
        raise FatalError(str(exc)) from None
    if revision is not None and revision != row["revisions"]:  # the current number prints the story as usual
        _show_revision(app, article_id, revision, fmt)
        return
    if fmt == "json":
        echo_json(row)
        return
    click.echo(f"[{row['id']}] {row['title'] or '(no title)'}")
    for label, value in (
        ("URL", row["url"]),
        ("Published", row["published_at"]),
        ("Fetched", row["fetched_at"]),
        ("Site", row["site_name"]),
        ("Authors", ", ".join(row["authors"])),
        ("Language", row["language"]),
        ("Words", row["word_count"]),
        ("Text from", row["text_source"] + (f" ({row['page_error']})" if row["page_error"] else "")),
    ):
        if value:
            click.echo(f"{label + ':':<11}{value}")
    click.echo(f"Sources ({len(row['sources'])}):")
    for src in row["sources"]:
        where = src["url"] or src["guid"] or "(no link)"
        match = "" if src["similarity"] is None else f", similarity {src['similarity']:.2f}"
        click.echo(f"  - {src['feed_name'] or src['feed_url'] or '(removed feed)'}: {where} (seen {src['seen_at']}{match})")
    if row["revisions_kept"]:
        click.echo(f"Earlier texts ({len(row['revisions_kept'])}; the current one is revision {row['revisions']};"
                   f" 'newsd show {row['id']} --revision N' prints one):")
        for rev in row["revisions_kept"]:
            click.echo(f"  - revision {rev['revision']}: {rev['chars']} characters, stored {rev['stored_at']}, "
                       f"replaced {rev['replaced_at']}")
    click.echo()
    click.echo(row["text"])


def _show_revision(app: AppContext, article_id: int, revision: int, fmt: str) -> None:
    kept = {rev["revision"]: rev for rev in app.store.revisions(article_id)}
    if revision not in kept:
        numbers = ", ".join(str(n) for n in sorted(kept)) or "none"
        raise FatalError(f"article {article_id} has no text number {revision} (its earlier texts: {numbers}; "
                         f"without --revision it prints the current one); 'newsd show {article_id}' lists them")
    rev = kept[revision]
    if fmt == "json":
        echo_json({"article_id": article_id, **rev})
        return
    click.echo(f"[{article_id}] revision {revision}: {rev['title'] or '(no title)'}")
    click.echo(f"Stored {rev['stored_at']}, replaced {rev['replaced_at']}")
    click.echo()
    click.echo(rev["text"])


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format.")
@pass_app
def stats(app: AppContext, fmt: str) -> None:
    """Counts of feeds, stories and their appearances, overall and per feed."""
    data = queries.stats(app.store.db, app.settings.dedup.min_words)
    if fmt == "json":
        echo_json(data)
        return
    click.echo(f"Store: {app.store.path}")
    click.echo(
        f"Feeds: {data['feeds']} ({data['feeds_enabled']} enabled)   Articles: {data['articles']} stories   "
        f"Sources: {data['sources']} appearances   Polls: {data['polls']}"
    )
    click.echo(
        f"Stories seen more than once: {data['stories_seen_more_than_once']}   "
        f"Near copies merged: {data['near_copies']}   Updated at their URL: {data['articles_updated']}"
    )
    if data["without_fingerprint"]:
        count = data["without_fingerprint"]
        click.echo(f"{plural(count, 'article')} {'has' if count == 1 else 'have'} no fingerprint (stored before "
                   "deduplication, or a rebuild was interrupted): run 'newsd dedup --rebuild' so new copies of "
                   "them are recognised.")
    if data["per_feed"]:
        click.echo()
        click.echo(render_table(data["per_feed"], ["id", "articles", "sources", "last_status", "error_count", "url"], wide="url"))


# -- config ------------------------------------------------------------------


@cli.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the effective settings as JSON.")
@pass_app
def config_check(app: AppContext, as_json: bool) -> None:
    """Validate the config and print the effective settings."""
    data = app.settings.as_dict()
    for url in missing_local_feeds(app.settings):
        click.echo(f"warning: feed file {url} does not exist (yet); its polls will fail until it does", err=True)
    if as_json:
        echo_json(data)
        return
    if is_bundled_example(data["source"]):
        click.echo(f"# no config file found; using the bundled example {data['source']}")
        click.echo("# create your own with 'newsd config init'")
    else:
        click.echo(f"# {data['source']}: valid")
    click.echo(json.dumps({k: v for k, v in data.items() if k != "source"}, indent=2, ensure_ascii=False))


@config.command("init")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default=str(DEFAULT_USER_CONFIG), required=False)
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def config_init(path: Path, force: bool) -> None:
    """Write a commented starter config to PATH (default ~/.config/newsd/newsd.toml).

    It is the bundled example with the sample feed's path made absolute and
    the store in ~/.local/share/newsd/ ($XDG_DATA_HOME), so it works from any
    directory. Edit its [[feeds]] tables, then run 'newsd config check'.
    """
    path = path.expanduser()
    if path.exists() and not force:
        raise FatalError(f"{path} exists; edit it, or add --force to replace it with the starter config")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(starter_config_text(), encoding="utf-8")
    click.echo(f"Wrote {path}. Edit its [[feeds]], then run 'newsd config check'.")


cli.add_command(feeds)
cli.add_command(run)
cli.add_command(status)
cli.add_command(reextract)
cli.add_command(dedup)
cli.add_command(extract_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="newsd")
