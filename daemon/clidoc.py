"""Render the CLI reference (docs/cli.md) from the commands' own --help.

    python -m newsd.daemon.clidoc > docs/cli.md

A test compares docs/cli.md with this output, so the reference cannot drift.
"""

from __future__ import annotations

import click

from newsd.daemon.cli import cli


def iter_commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    """Every command and group under ``group``, depth first, in name order."""
    found = []
    for name in sorted(group.commands):
        command = group.commands[name]
        found.append((path + (name,), command))
        if isinstance(command, click.Group):
            found.extend(iter_commands(command, path + (name,)))
    return found


def help_text(path: tuple[str, ...]) -> str:
    """The --help output of ``newsd PATH...``, at a fixed width."""
    command: click.Command = cli
    ctx = click.Context(cli, info_name="newsd", terminal_width=80, max_content_width=80,
                        help_option_names=cli.context_settings.get("help_option_names"))
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
        ctx = click.Context(command, info_name=name, parent=ctx, terminal_width=80, max_content_width=80)
    return command.get_help(ctx)


def render() -> str:
    """docs/cli.md as it should be."""
    parts = [
        "# CLI reference",
        "",
        "Generated from the commands' `--help` by `python -m newsd.daemon.clidoc > docs/cli.md`",
        "(`make docs`); a test fails when this file and the CLI disagree.",
        "",
        "Exit codes: 0 done; 1 `fetch` where every feed failed, `run` whose store failed,",
        "`extract` that found no article text; 2 bad usage, bad configuration, an unusable",
        "store, or a page `extract` could not fetch (see docs/operations.md).",
        "",
        "## newsd",
        "",
        "```",
        help_text(()),
        "```",
    ]
    for path, _ in iter_commands(cli):
        parts += ["", f"## newsd {' '.join(path)}", "", "```", help_text(path), "```"]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    print(render(), end="")
