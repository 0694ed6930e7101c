"""``python -m newsd.daemon`` runs the CLI."""

from newsd.daemon.entry import main

if __name__ == "__main__":
    main()
