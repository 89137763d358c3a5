"""Browser fixtures: Debian's Chromium driven by Playwright, a partner callback server on a
loopback address, and screenshots of every visited page at laptop and phone widths in
``artifacts/screenshots/<test>/``.

The tests are skipped, saying why, only when ``/usr/bin/chromium`` is absent
(``apt-get install chromium``; ``.ci/run`` installs it). Playwright never downloads a browser.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped: Playwright's sync API keeps an event loop running in the main thread
    while it is open, which would break later tests that start their own loop."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install it with `apt-get install chromium`")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) per test."""
    browser_context = browser.new_context(viewport=LAPTOP)  # type: ignore[arg-type]
    browser_context.set_default_timeout(15_000)
    yield browser_context
    browser_context.close()


@dataclass
class Screenshots:
    """Saves each visited page as ``NN-name-laptop.png`` and ``NN-name-phone.png``."""

    folder: Path
    count: int = 0

    def __call__(self, page: Page, name: str) -> None:
        self.count += 1
        stem = self.folder / f"{self.count:02d}-{name}"
        page.screenshot(path=f"{stem}-laptop.png", full_page=True)
        size = page.viewport_size
        page.set_viewport_size(PHONE)  # type: ignore[arg-type]
        page.screenshot(path=f"{stem}-phone.png", full_page=True)
        if size:
            page.set_viewport_size(size)


@pytest.fixture
def snap(request: pytest.FixtureRequest) -> Screenshots:
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return Screenshots(folder)


@dataclass
class Partner:
    """A partner's install callback on a loopback http redirect URI (RFC 8252 §7.3)."""

    redirect_uri: str
    callbacks: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def partner() -> Iterator[Partner]:
    received: list[dict[str, str]] = []

    class Callback(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/oauth_callback":  # e.g. the browser's /favicon.ico
                self.send_error(404)
                return
            query = parse_qs(url.query)
            received.append({key: values[0] for key, values in query.items()})
            body = b"<!doctype html><title>Partner</title><h1>Partner app: install received</h1>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Partner(f"http://127.0.0.1:{server.server_port}/oauth_callback", received)
    finally:
        server.shutdown()
        server.server_close()
