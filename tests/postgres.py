"""A throw-away local PostgreSQL server (Debian's package) for the store tests and the benchmarks.

    with temporary_server() as dsn:
        psycopg.connect(dsn)

``initdb`` refuses to run as root, so as root the cluster is made and run as the ``postgres``
system user that the Debian package creates. The server listens on a Unix socket in its own
folder only, and is stopped and deleted on exit.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator


def binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql, or `make bench`)")


@contextlib.contextmanager
def temporary_server(settings: dict[str, str] | None = None) -> Iterator[str]:
    bin_dir = binaries()
    root = Path(tempfile.mkdtemp(prefix="clinsearch-pg-"))
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(root, "postgres", "postgres")
    data, socket = root / "data", root
    options = {"shared_buffers": "1GB", "work_mem": "64MB", "maintenance_work_mem": "1GB", "max_wal_size": "4GB", "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", **(settings or {})}
    subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
    opts = f"-k {socket} -c listen_addresses='' " + " ".join(f"-c {k}={v}" for k, v in options.items())
    subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"], check=True, capture_output=True)
    try:
        time.sleep(0.2)
        yield f"host={socket} user=postgres dbname=postgres"
    finally:
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def url(dsn: str, schema: str | None = None) -> str:
    """The ``postgresql://`` URL clinsearch takes for the server of ``dsn`` (its socket folder),
    with ``schema`` as the search path: one warehouse per schema on one server."""
    from urllib.parse import quote

    host = dict(part.split("=", 1) for part in dsn.split())["host"]
    options = f"&options={quote(f'-csearch_path={schema}')}" if schema else ""
    return f"postgresql://postgres@/postgres?host={quote(host)}{options}"
