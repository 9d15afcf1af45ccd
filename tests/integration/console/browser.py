"""Headless Chromium for the console's browser tests: Debian's /usr/bin/chromium driven
by Playwright (never ``playwright install``). Outside CI a machine without it skips the
tests, saying why; in CI (``CI=true``) a missing browser fails them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI installs it: .ci/run, make browser)")
    pytest.skip(reason)


def expect(target: Any) -> Any:
    """Playwright's retrying assertions (the page's CSP forbids evaluated predicates)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


@contextmanager
def chromium() -> Iterator[Any]:
    """One browser for a module."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
