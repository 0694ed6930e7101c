"""State shared by the CLI's commands: settings and store, loaded on first use."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import click

from newsd.config import ConfigError, Settings, load_settings
from newsd.config.validate import normalise_feed_url
from newsd.daemon import dates
from newsd.daemon.lock import StoreLock, StoreLocked
from newsd.storage import Store, StoreError, is_store_failure, open_store
from newsd.storage.store import store_failure_message


log = logging.getLogger(__name__)


class FatalError(click.ClickException):
    """Configuration or store trouble: stops the command with exit code 2."""

    exit_code = 2


class NewsdGroup(click.Group):
    """The command group; turns a store failure anywhere into a message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except sqlite3.Error as exc:
            if not is_store_failure(exc):
                raise  # newsd's own SQL is wrong: a bug, and its traceback is what to report
            log.debug("store failure", exc_info=exc)
            app = ctx.find_object(AppContext)
            path = app.settings.storage.path if app and app._settings else Path("store")
            raise FatalError(store_failure_message(path, exc)) from None


@dataclass
class AppContext:
    """What every command may need, loaded on first use."""

    config_path: str | None
    db_path: str | None
    _settings: Settings | None = None
    _store: Store | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_path, self.db_path)
            except ConfigError as exc:
                raise FatalError(str(exc)) from None
        return self._settings

    def open_store(self, create: bool) -> Store:
        """The store; ``create=False`` for commands that only read (a typo in --db makes no new file)."""
        if self._store is None:
            try:
                self._store = open_store(self.settings.storage.path, create=create)
            except StoreError as exc:
                raise FatalError(str(exc)) from None
        return self._store

    @property
    def store(self) -> Store:
        """The store for reading commands: it must exist already."""
        return self.open_store(create=False)

    def synced_store(self) -> Store:
        """The store, created if needed, with the config file's feeds brought in."""
        store = self.open_store(create=True)
        store.sync_config_feeds((f.url, f.name, f.tags, f.enabled) for f in self.settings.feeds)
        return store

    @contextlib.contextmanager
    def store_lock(self) -> Iterator[None]:
        """Hold the store's writer lock (``newsd.daemon.lock``): one polling process per store."""
        try:
            with StoreLock(self.settings.storage.path):
                yield
        except StoreLocked as exc:
            raise FatalError(str(exc)) from None

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


pass_app = click.make_pass_decorator(AppContext)


def parse_since(value: str | None) -> str | None:
    """The --since option in the store's UTC form."""
    if value is None:
        return None
    try:
        return dates.parse_since(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ", param_hint="'--since'"
        ) from None


def feed_url_argument(value: str) -> str:
    """A feed URL typed on the command line; local paths are relative to the current directory."""
    try:
        return normalise_feed_url(value, Path.cwd())
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="URL") from None


def find_feed(rows: list[dict], item: str) -> dict:
    """The feed named on the command line by URL, local path or name (any case), among ``rows``."""
    try:
        as_url = feed_url_argument(item)
    except click.BadParameter:
        as_url = item
    match = next((r for r in rows if r["url"] in (item, as_url)), None)
    if match is None:
        named = [r for r in rows if (r["name"] or "").casefold() == item.casefold()]
        if len(named) > 1:  # names need not be unique: never act on a guess (remove is for good)
            urls = ", ".join(r["url"] for r in named)
            raise click.UsageError(f"{len(named)} feeds are named {item!r} ({urls}): give the URL of the one you mean")
        match = named[0] if named else None
    if match is None:
        raise click.UsageError(
            f"unknown feed {item!r}: give the URL, path or name of a known feed (see 'newsd feeds list'), "
            "or add it first with 'newsd feeds add URL'"
        )
    return match
