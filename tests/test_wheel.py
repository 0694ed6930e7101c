"""A built wheel carries the package data a pip install needs (slow: builds a wheel)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import REPO


@pytest.mark.slow
def test_wheel_contains_code_config_rules_and_sample(tmp_path):
    # Build from a copy of the tracked files: a build in the work tree leaves
    # build/ behind, whose stale files could ship in a later wheel.
    source = tmp_path / "src"
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert built.returncode == 0, built.stderr
    assert "would be ignored" not in built.stderr  # package data declared properly
    wheel, = tmp_path.glob("newsd-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "newsd/daemon/cli.py", "newsd/daemon/__main__.py", "newsd/storage/store.py", "newsd/config/loader.py",
        "newsd/config/newsd.example.toml", "newsd/config/boilerplate.toml",
        "newsd/config/sample/feed.xml", "newsd/config/sample/raqqa-revolt.html",
        "newsd/config/sample/tel-abyad-dissidence.html",
    ):
        assert expected in names, expected
    assert not any(name.startswith(("tests/", "bench/", "daemon/")) for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "newsd = newsd.daemon.entry:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
