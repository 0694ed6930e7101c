"""``python -m newsd.daemon`` runs the CLI."""

from newsd.daemon.cli import main

# The guard matters: worker processes (forkserver) import this module again
# as __mp_main__, and must not start a second newsd inside themselves.
if __name__ == "__main__":
    main()
