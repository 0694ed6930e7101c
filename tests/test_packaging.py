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


def _imports_of(package_dir, forbidden: str) -> list[str]:
    import re

    pattern = re.compile(rf"^\s*(from|import)\s+newsd\.({forbidden})\b", re.MULTILINE)
    return [p.name for p in package_dir.glob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]


def test_layering_storage_and_config_stand_alone():
    """The design's rule: storage imports nothing from daemon or config; config imports neither."""
    from pathlib import Path

    import newsd.config
    import newsd.storage

    assert _imports_of(Path(newsd.storage.__file__).parent, "daemon|config") == []
    assert _imports_of(Path(newsd.config.__file__).parent, "daemon|storage") == []
