"""newsd's moving parts: CLI, HTTP, feed parsing, extraction, the pipeline."""

__version__ = "0.1.0"
