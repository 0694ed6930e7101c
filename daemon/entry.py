"""Where the ``newsd`` console script starts: ``main`` runs the CLI.

This module imports nothing at its top on purpose. multiprocessing imports
the main module again in every worker process it starts (as
``__mp_main__``), and the ``newsd`` script, the main module of a daemon run,
imports this one: had it imported the CLI, every worker would load the whole
daemon (aiohttp, APScheduler, click, sqlite-utils), about 14 MB it never uses.
"""


def main() -> None:
    """Console-script entry point: ``newsd.daemon.cli``."""
    from newsd.daemon.cli import main as cli_main

    cli_main()
