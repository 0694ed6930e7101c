"""newsd's moving parts: CLI, HTTP, feed parsing, extraction, the pipeline."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newsd")  # one source of truth: pyproject.toml
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
