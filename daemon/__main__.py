"""``python -m newsd.daemon`` runs the CLI."""

# Imported inside the guard: worker processes (forkserver) import this module
# again as __mp_main__, and must neither start a second newsd inside themselves
# nor load the CLI they never use (newsd.daemon.entry says why).
if __name__ == "__main__":
    from newsd.daemon.entry import main

    main()
