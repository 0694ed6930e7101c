"""Installation smoke tests: imports, forgotten dependencies, package data."""

from __future__ import annotations

import importlib
from importlib import resources

import pytest

MODULES = [
    "newsd.daemon.cli", "newsd.daemon.pipeline", "newsd.daemon.fetcher", "newsd.daemon.feed",
    "newsd.daemon.extract", "newsd.daemon.boilerplate", "newsd.config", "newsd.storage",
]


@pytest.mark.parametrize("module", MODULES)
def test_module_imports(module):
    assert importlib.import_module(module)


def test_dependencies_import():
    """trafilatura 2.x needs lxml.html.clean, shipped apart from lxml since 5.2."""
    import lxml.html.clean  # noqa: F401
    import trafilatura

    assert trafilatura.extract("<html><body><article><p>" + "Word " * 60 + "</p></article></body></html>")


def test_package_data_is_installed():
    config = resources.files("newsd.config")
    for name in ("newsd.example.toml", "boilerplate.toml", "sample/feed.xml", "sample/raqqa-revolt.html",
                 "sample/tel-abyad-dissidence.html"):
        assert config.joinpath(name).is_file(), name


def test_storage_imports_nothing_from_daemon_or_config():
    """The store stands alone: the design's layering rule."""
    import re
    from pathlib import Path

    import newsd.storage

    forbidden = re.compile(r"^\s*(from|import)\s+newsd\.(daemon|config)\b", re.MULTILINE)
    for source in Path(newsd.storage.__file__).parent.glob("*.py"):
        assert not forbidden.search(source.read_text(encoding="utf-8")), source.name
