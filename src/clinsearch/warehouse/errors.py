"""The warehouse's error, importable without loading DuckDB (the command line's start-up)."""


class WarehouseError(Exception):
    """The warehouse cannot be opened or written (locked by another process, corrupt ...)."""
