"""Real-browser tests: Playwright drives Debian's Chromium against a live server
(werkzeug in a thread) on a real, migrated database."""
from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("LEANSCHOOL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is missing at {CHROMIUM}: the browser tests must run in CI")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--disable-quic"]}


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1366, "height": 768}, "locale": "en-US"}


@pytest.fixture
def page(page: Any) -> Iterator[Any]:
    """pytest-playwright's page, failing the test if the browser blocked anything under
    the Content-Security-Policy (an inline script, style or eval slipped into a page)."""
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield page
    assert blocked == [], blocked


class LiveServer:
    def __init__(self, app: Any):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app: Any) -> Iterator[LiveServer]:
    """tests/conftest.py's app, served over HTTP for the browser."""
    with LiveServer(app) as server:
        yield server


def log_in(page: Any, server: LiveServer, email: str, password: str) -> None:
    page.goto(server.url + "/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', password)
    page.locator('form button[type="submit"]').click()
    page.wait_for_url("**/board**")


def log_out(page: Any) -> None:
    page.locator('form[action="/logout"] button').click()
    page.wait_for_url("**/login**")
