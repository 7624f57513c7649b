"""Where a warehouse lives: the data directory and what it holds.

The data directory comes from ``--data DIR``, else the ``CLINSEARCH_DATA`` environment variable,
else ``./clinsearch-data``. It holds everything of one warehouse: ``warehouse.duckdb`` and, as
later features land, the search index and caches.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATA_DIR = "clinsearch-data"
ENV_DATA_DIR = "CLINSEARCH_DATA"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    return Path(explicit or os.environ.get(ENV_DATA_DIR) or DEFAULT_DATA_DIR)


def private_dir(data: Path) -> Path:
    """The data directory, made (or made again) readable by its owner only (mode 0700): it holds
    the warehouse, the index with the full text of every note, the users and the audit log."""
    path = Path(data)
    path.mkdir(parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def warehouse_path(data: Path) -> Path:
    return Path(data) / "warehouse.duckdb"


ENV_WAREHOUSE = "CLINSEARCH_WAREHOUSE"
WAREHOUSE_URL_FILE = "warehouse.url"


def warehouse_url(data: Path) -> str | None:
    """The PostgreSQL server holding the warehouse of ``data``, None for the embedded DuckDB file.

    A data directory keeps its warehouse: once a server is recorded (``warehouse.url``, written
    at the first load) it is the one used. A data directory without one takes
    ``CLINSEARCH_WAREHOUSE`` (what ``--warehouse`` sets), unless it already has a DuckDB file.
    """
    recorded = Path(data) / WAREHOUSE_URL_FILE
    if recorded.exists():
        return recorded.read_text("utf-8").strip()
    if warehouse_path(data).exists():
        return None
    return os.environ.get(ENV_WAREHOUSE) or None


def record_warehouse_url(data: Path, url: str) -> None:
    """Remember the server of the data directory (readable by its owner only: it may hold a password)."""
    path = Path(private_dir(data)) / WAREHOUSE_URL_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(url + "\n")


def choose_warehouse(data: Path, url: str) -> None:
    """``--warehouse URL``: the data directory's warehouse is on that server from now on; refused
    (ValueError) when the data directory already has another warehouse."""
    if not url.startswith(("postgresql://", "postgres://")):
        raise ValueError(f"--warehouse {url!r}: not a PostgreSQL URL (postgresql://USER@HOST:PORT/DATABASE)")
    recorded = Path(data) / WAREHOUSE_URL_FILE
    if recorded.exists():
        if recorded.read_text("utf-8").strip() != url:
            raise ValueError(f"{data}: its warehouse is on another server (see {recorded}); use another data directory")
        return
    if warehouse_path(data).exists():
        raise ValueError(f"{data}: its warehouse is the embedded file {warehouse_path(data)}; use another data directory for a server")
    record_warehouse_url(data, url)


def secret_key(data: Path) -> bytes:
    """The warehouse's own secret (date shifts of pseudonymised exports), made on first use and
    kept in the data directory, readable by its owner only; never in the code or the repository."""
    path = Path(data) / "secret.key"
    if not path.exists():
        private_dir(data)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(32))
    return path.read_bytes()


ENV_MIN_COUNT = "CLINSEARCH_MIN_COUNT"
DEFAULT_MIN_COUNT = 10


def min_count() -> int:
    """The smallest count a researcher may see (``CLINSEARCH_MIN_COUNT``, default 10, never below 5):
    smaller ones are suppressed (docs/security.md)."""
    try:
        value = int(os.environ.get(ENV_MIN_COUNT, DEFAULT_MIN_COUNT))
    except ValueError:
        value = DEFAULT_MIN_COUNT
    return max(value, 5)


ENV_QUERY_BUDGET = "CLINSEARCH_QUERY_BUDGET"
DEFAULT_QUERY_BUDGET = 500


def query_budget() -> int:
    """The counting requests (searches, cohorts, evaluations) a researcher may make in an hour
    (``CLINSEARCH_QUERY_BUDGET``, default 500): differencing attacks need many close variants."""
    try:
        return max(int(os.environ.get(ENV_QUERY_BUDGET, DEFAULT_QUERY_BUDGET)), 1)
    except ValueError:
        return DEFAULT_QUERY_BUDGET


ENV_ALLOWED_HOSTS = "CLINSEARCH_ALLOWED_HOSTS"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
ANY_ADDRESS = ("0.0.0.0", "::", "")


def allowed_hosts(bind: str) -> list[str]:
    """The host names the server answers to (the ``Host`` header; others get 400), against DNS
    rebinding and forged links: ``CLINSEARCH_ALLOWED_HOSTS`` (comma-separated, e.g. the name the
    reverse proxy serves) and the machine's own loopback names; a server bound to one address
    answers to that address too. Bound to every address, the names must be given."""
    named = [h.strip() for h in os.environ.get(ENV_ALLOWED_HOSTS, "").split(",") if h.strip()]
    if bind in ANY_ADDRESS and not named:
        raise ValueError(f"serving on every address ({bind or 'all'}): set {ENV_ALLOWED_HOSTS} to the host names users reach the server by")
    own = [] if bind in ANY_ADDRESS or bind in LOCAL_HOSTS else [bind]
    return [*named, *own, *LOCAL_HOSTS]
