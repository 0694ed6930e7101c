"""Terminal output for the CLI: aligned tables and JSON. No logic of its own."""

from __future__ import annotations

import json
import shutil
from typing import Any, Iterable, Sequence

import click


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return " ".join(str(value).split())


def render_table(rows: Sequence[dict], columns: Sequence[str], wide: str | None = None) -> str:
    """Rows as aligned columns; the ``wide`` column is cut to fit the terminal."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    if wide in columns:
        index = columns.index(wide)
        room = shutil.get_terminal_size((120, 24)).columns - sum(w + 2 for i, w in enumerate(widths) if i != index)
        widths[index] = max(20, min(widths[index], room))
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths)).rstrip()]
    for row in cells:
        fitted = [v if len(v) <= w else v[: w - 1] + "…" for v, w in zip(row, widths)]
        lines.append("  ".join(v.ljust(w) for v, w in zip(fitted, widths)).rstrip())
    return "\n".join(lines)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def echo_jsonl(rows: Iterable[dict]) -> None:
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False, default=str))
