"""``newsd extract``: clean text and metadata of one page, and why each block went."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from pathlib import Path
from urllib.parse import unquote, urlsplit

import click

from newsd.config.validate import normalise_feed_url
from newsd.daemon.cli_context import AppContext, FatalError, pass_app
from newsd.daemon.document import Document
from newsd.daemon.fetcher import HTML_ACCEPT, Fetcher
from newsd.daemon.netguard import trusting
from newsd.daemon.output import echo_json
from newsd.daemon.pipeline import page_problem
from newsd.daemon.site_learning import learned_paragraphs, paragraph_keys, remove_site_boilerplate
from newsd.daemon.urls import site_of


def _is_web_address(source: str) -> bool:
    try:
        parts = urlsplit(source)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # "https://[bad" is no address at all
        return False


def _locate(source: str) -> str:
    """SOURCE as newsd names feeds: an http(s) URL as given, a saved file as a file:// URL."""
    if "://" not in source and Path(source).expanduser().exists():
        return Path(source).expanduser().resolve().as_uri()
    try:
        return normalise_feed_url(source, Path.cwd())
    except ValueError as exc:
        raise FatalError(f"{exc}. Give an http(s) URL or a saved HTML file.") from None


def _download(app: AppContext, url: str) -> tuple[bytes, str]:
    """The page's bytes and its final URL, or a FatalError saying why not."""

    async def get() -> tuple[bytes, str]:
        async with Fetcher(app.settings.http) as fetcher:
            with trusting(url):  # the user asked for this page, wherever it lives
                page = await fetcher.get(url, accept=HTML_ACCEPT)
        problem = page_problem(page)
        if problem is not None:
            raise FatalError(f"{url}: {problem}")
        return page.body, page.final_url

    return asyncio.run(get())


def _read_file(file_url: str) -> bytes:
    path = Path(unquote(urlsplit(file_url).path))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FatalError(f"cannot read {path}: {exc.strerror or exc}. Give a saved HTML file or an http(s) URL.") from None


def _without_site_boilerplate(app: AppContext, document: Document, url: str | None) -> Document:
    """Apply what the store has learned about the page's site, if there is a store."""
    site = site_of(url)
    learning = app.settings.site_learning
    if not (site and learning.enabled and document.text and Path(app.settings.storage.path).exists()):
        return document
    try:
        learned = learned_paragraphs(app.store, site, learning, paragraph_keys(document.text))
    except FatalError as exc:  # the store is optional here: say so, and go on without it
        click.echo(f"warning: not using the store's learned boilerplate: {exc}", err=True)
        return document
    return remove_site_boilerplate(document, site, learned)


def _print_text(document: Document, url: str | None, explain: bool) -> None:
    for label, value in (
        ("Title", document.title),
        ("URL", url),
        ("Published", document.published_at),
        ("Site", document.site_name),
        ("Authors", ", ".join(document.authors)),
        ("Language", document.language),
        ("Image", document.image),
        ("Tags", ", ".join(document.tags)),
    ):
        if value:
            click.echo(f"{label + ':':<11}{value}")
    click.echo()
    click.echo(document.text or "(no article text found)")
    if explain:
        click.echo()
        click.echo(f"Removed ({len(document.removed)}):")
        for removed in document.removed:
            click.echo(f"  [{removed.rule}] {removed.text}")


@click.command("extract")
@click.argument("source", metavar="URL_OR_FILE")
@click.option("--url", "page_url", metavar="URL", help="The page's address when URL_OR_FILE is a saved file: "
              "picks its site's rules and learned boilerplate, and resolves its links.")
@click.option("--explain", is_flag=True, help="Also list every removed block and the rule or site statistic behind it.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@pass_app
def extract_command(app: AppContext, source: str, page_url: str | None, explain: bool, fmt: str) -> None:
    """Print the clean text and metadata of one page, without storing it.

    URL_OR_FILE is an http(s) URL (downloaded with the config's [http]
    settings) or a saved HTML file (a path or file:// URL; --url tells where
    it came from). The same rules apply as at fetch time: the shipped
    ones, the config's [boilerplate] (globally and for the page's site), and
    the boilerplate the store has learned for that site.
    """
    if page_url is not None and not _is_web_address(page_url):
        raise FatalError(f"--url {page_url!r}: give the page's http(s) address, e.g. --url https://example.org/story")
    location = _locate(source)
    url: str | None
    if location.startswith("file:"):
        html, url = _read_file(location), page_url
    else:
        if page_url is not None:
            raise FatalError("--url is for a saved file; a downloaded page's address is the one it came from")
        html, url = _download(app, location)
    rules = app.settings.rules_for(None, url)
    from newsd.daemon.extract import extract  # here: every other command would load trafilatura for nothing

    document = extract(html, url, rules.rules, rules.disabled)
    document = _without_site_boilerplate(app, document, url)
    if not document.text:
        # Still print what was found (the metadata), but say so and fail, for scripts.
        click.echo(f"{source}: no article text found (is it an HTML page with an article in it?)", err=True)
    if fmt == "json":
        data = asdict(document)
        data["url"] = url
        removed = data.pop("removed")
        if explain:
            data["removed"] = removed  # last, as the README lists it: the document first
        echo_json(data)
    else:
        _print_text(document, url, explain)
    if not document.text:
        raise SystemExit(1)
