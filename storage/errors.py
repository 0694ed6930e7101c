"""Store errors: each message says what is wrong and what to do."""


class StoreError(Exception):
    """The store cannot be opened or used; stops the process (exit code 2)."""
