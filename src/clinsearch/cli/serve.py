"""``clinsearch serve``: the web application and the REST API on this machine."""

from __future__ import annotations

from pathlib import Path

import click

from clinsearch.cli.console import out


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default: nothing leaves the machine). The host names the server answers to: env CLINSEARCH_ALLOWED_HOSTS.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_obj
def serve_command(data: Path, host: str, port: int) -> None:
    """Serve the web application and the REST API on this machine."""
    serve(data, host, port)


def serve(data: Path, host: str, port: int) -> None:
    import uvicorn

    from clinsearch.config import allowed_hosts
    from clinsearch.server import create_app

    try:
        hosts = allowed_hosts(host)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None

    out.print(f"clinsearch serving {data} on http://{host}:{port}  (web: /, API: /api/v1, schema: /openapi.json)")
    uvicorn.run(create_app(data, hosts), host=host, port=port, log_level="warning")
