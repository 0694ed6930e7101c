"""State shared by the CLI's commands: settings and store, loaded on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import click

from newsd.config import ConfigError, Settings, load_settings
from newsd.daemon.dates import iso_utc
from newsd.storage import Store, StoreError, open_store


class FatalError(click.ClickException):
    """Configuration or store trouble: stops the command with exit code 2."""

    exit_code = 2


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

    @property
    def store(self) -> Store:
        if self._store is None:
            try:
                self._store = open_store(self.settings.storage.path)
            except StoreError as exc:
                raise FatalError(str(exc)) from None
        return self._store

    def synced_store(self) -> Store:
        """The store with the config file's feeds brought in."""
        store = self.store
        store.sync_config_feeds((f.url, f.name, f.tags, f.enabled) for f in self.settings.feeds)
        return store


pass_app = click.make_pass_decorator(AppContext)


def parse_since(value: str | None) -> str | None:
    """A --since date (YYYY-MM-DD or ISO-8601) in the store's UTC form."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ") from None
    return iso_utc(moment)
