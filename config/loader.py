"""Find, read and validate the config file.

Lookup order: ``--config PATH``, ``$NEWSD_CONFIG``, ``./newsd.toml``,
``~/.config/newsd/newsd.toml``, ``/etc/newsd/newsd.toml``; when none exists,
the bundled example config (its sample feed works offline).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Mapping
from urllib.parse import unquote, urlsplit

from newsd.config.settings import Settings
from newsd.config.validate import parse_settings


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to fix."""


def bundled_example_path() -> Path:
    """The example config shipped inside the package."""
    return Path(str(resources.files("newsd.config").joinpath("newsd.example.toml")))


def is_bundled_example(path: str | Path) -> bool:
    return Path(path).resolve() == bundled_example_path().resolve()


def starter_config_text(data_home: Path | None = None) -> str:
    """The example config, made to work from anywhere: what ``newsd config init`` writes.

    Its relative paths only make sense next to the bundled file, so the
    sample feed becomes an absolute path and the store moves to the user's
    data directory.
    """
    text = bundled_example_path().read_text(encoding="utf-8")
    sample = bundled_example_path().parent / "sample" / "feed.xml"
    data_home = data_home or Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    text = text.replace('url = "sample/feed.xml"', f'url = "{sample.as_posix()}"')
    return text.replace('path = "newsd.db"', f'path = "{(data_home / "newsd" / "newsd.db").as_posix()}"')


def is_missing_local_feed(url: str) -> bool:
    """Whether ``url`` names a local feed file that does not exist (yet)."""
    return url.startswith("file://") and not Path(unquote(urlsplit(url).path)).exists()


def missing_local_feeds(settings: Settings) -> list[str]:
    """Local feed files that do not exist (yet): worth a warning, not an error."""
    return [feed.url for feed in settings.feeds if is_missing_local_feed(feed.url)]


def default_locations(home: Path | None = None) -> list[Path]:
    """The implicit config locations, in lookup order."""
    home = home or Path.home()
    return [Path("newsd.toml"), home / ".config" / "newsd" / "newsd.toml", Path("/etc/newsd/newsd.toml")]


def find_config(cli_path: str | None, env: Mapping[str, str] | None = None) -> Path:
    """Return the config file to use, following the lookup order."""
    env = os.environ if env is None else env
    for explicit, origin in ((cli_path, "--config"), (env.get("NEWSD_CONFIG"), "$NEWSD_CONFIG")):
        if explicit:
            path = Path(explicit).expanduser()
            if not path.is_file():
                raise ConfigError(f"{path}: config file not found (given by {origin}); check the path")
            return path
    for path in default_locations():
        if path.is_file():
            return path
    return bundled_example_path()


def load_settings(
    cli_path: str | None = None, db: str | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Find, parse and validate the config; ``--db``/``$NEWSD_DB`` override the store path."""
    env = os.environ if env is None else env
    path = find_config(cli_path, env)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    settings, problems = parse_settings(raw, str(path), path.resolve().parent)
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    db_path = db or env.get("NEWSD_DB")
    if db_path:
        settings = dataclasses.replace(settings, storage=dataclasses.replace(settings.storage, path=Path(db_path).expanduser()))
    return settings
