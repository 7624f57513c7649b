"""The browser tests' fixtures: the demo hospital served by uvicorn on the loopback address, and
Debian's chromium driven by Playwright."""

from __future__ import annotations

import shutil
import socket
import threading
import time

import pytest
import uvicorn

from clinsearch.server import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's package, installed by `make test`


@pytest.fixture(scope="module")
def server(demo):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(demo), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    for _ in range(200):
        if instance.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()
