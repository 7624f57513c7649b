"""Where the command line writes: results on stdout, progress and errors on stderr."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def fail(message: str, code: int = 1) -> None:
    """One line on stderr, then exit with ``code`` (1 bad data, 2 usage)."""
    err.print(f"[red]error:[/red] {message}", soft_wrap=True)
    sys.exit(code)


def echo_json(value) -> None:
    """The ``--json`` contract: one JSON object on stdout."""
    click.echo(json.dumps(value, ensure_ascii=False, default=str))
