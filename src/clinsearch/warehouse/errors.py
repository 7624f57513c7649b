"""The warehouse's error, importable without loading DuckDB (the command line's start-up)."""


class WarehouseError(Exception):
    """The warehouse cannot be opened or written (locked by another process, corrupt ...)."""


def first_line(exc: BaseException) -> str:
    """The first line of an engine's message (a driver's messages run over several lines)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
