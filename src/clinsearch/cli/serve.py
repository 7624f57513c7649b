"""``clinsearch serve``: the web application and the REST API on this machine."""

from __future__ import annotations

from pathlib import Path

import click

from clinsearch.cli.console import out


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default: nothing leaves the machine). The host names the server answers to: env CLINSEARCH_ALLOWED_HOSTS.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes answering on the same port (one per core is a good start); they share the warehouse, the index, the users, their sessions and the audit log.")
@click.pass_obj
def serve_command(data: Path, host: str, port: int, workers: int) -> None:
    """Serve the web application and the REST API on this machine."""
    serve(data, host, port, workers)


def serve(data: Path, host: str, port: int, workers: int = 1) -> None:
    import json
    import os

    import uvicorn

    from clinsearch.config import allowed_hosts
    from clinsearch.server import create_app
    from clinsearch.services.search import warm_up

    try:
        hosts = allowed_hosts(host)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None

    processes = f", {workers} worker processes" if workers > 1 else ""
    out.print(f"clinsearch serving {data} on http://{host}:{port}{processes}  (web: /, API: /api/v1, schema: /openapi.json)")
    if workers == 1:
        warm_up()
        uvicorn.run(create_app(data, hosts), host=host, port=port, log_level="warning")
        return
    os.environ[ENV_SERVED] = json.dumps({"data": str(Path(data).resolve()), "allowed_hosts": hosts})
    uvicorn.run("clinsearch.cli.serve:served_app", factory=True, workers=workers, host=host, port=port, log_level="warning")


# What ``serve --workers N`` hands each worker process (uvicorn starts them from an import string)
ENV_SERVED = "CLINSEARCH_SERVED"


def served_app():
    """The app of one of several worker processes, made from what ``serve`` put in ``ENV_SERVED``:
    the workers share the warehouse, the index, and ``security.sqlite`` (users, sessions and the
    audit log, appended under SQLite's write lock), so that any worker answers any logged-in user."""
    import json
    import os

    from clinsearch.server import create_app
    from clinsearch.services.search import warm_up

    served = json.loads(os.environ[ENV_SERVED])
    warm_up()
    return create_app(Path(served["data"]), served["allowed_hosts"])
