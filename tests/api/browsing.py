"""What the browser tests do on every page: log in, take a screenshot.

With ``CLINSEARCH_SCREENSHOTS=DIR`` the main pages are saved there as PNG (how the screenshots
in ``docs/screenshots/`` are made).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from clinsearch.services.demo import DEMO_USERS

PASSWORDS = {name: password for name, _, password in DEMO_USERS}


def shot(page, name: str) -> None:
    folder = os.environ.get("CLINSEARCH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))  # the first screen, as a user sees it


def log_in(page, server: str, username: str) -> None:
    page.goto(f"{server}/search")
    assert page.url.endswith("/login")  # not logged in: refused, sent to the login page
    page.get_by_label(re.compile("Identifiant|User name")).fill(username)
    page.get_by_label(re.compile("Mot de passe|Password")).fill(PASSWORDS[username])
    page.get_by_label(re.compile("Finalité|Purpose")).fill("démonstration")
    page.keyboard.press("Enter")  # the form is used from the keyboard
    page.wait_for_url(re.compile(r"/(search|audit)$"))
