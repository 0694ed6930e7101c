"""``python -m newsd.daemon`` runs the CLI."""

from newsd.daemon.cli import main

main()
