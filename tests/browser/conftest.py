"""Browser fixtures: the app served for real on 127.0.0.1, driven by Debian's Chromium through Playwright.

Never `playwright install`: the system Chromium is used, headless, with the
flags that keep it off the network. A failing test leaves a full-page
screenshot in tests/browser/failures/ (or $BROWSER_FAILURES_DIR) for debugging.
Every page records JavaScript dialogs and console errors, so a test can prove
that nothing a participant wrote ran as script.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAILURES_DIR = Path(os.environ.get("BROWSER_FAILURES_DIR", Path(__file__).parent / "failures"))


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("no system Chromium (Debian package `chromium`); .ci/run installs it")
    return path


@pytest.fixture
def live_server(app):
    """The test application served by Werkzeug in a thread; its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_call_failed = report.failed
    return report


def _safe_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)[-150:]


@pytest.fixture
def browser_context(browser, request):
    """A fresh browser profile (no cookies) per test; `context.new_page()` for a second person."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context
    if getattr(request.node, "browser_call_failed", False):
        FAILURES_DIR.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(context.pages):
            if page.is_closed():
                continue
            target = FAILURES_DIR / f"{_safe_name(request.node.nodeid)}-{number}.png"
            with contextlib.suppress(sync_api.Error):
                page.screenshot(path=str(target), full_page=True)
    context.close()


@pytest.fixture
def page(browser_context, live_server):
    """A page whose JavaScript dialogs and console errors are recorded on `page.dialogs` / `page.console_errors`."""
    opened = browser_context.new_page()
    opened.dialogs = []
    opened.console_errors = []

    def on_dialog(dialog):
        opened.dialogs.append(dialog.message)
        dialog.dismiss()

    opened.on("dialog", on_dialog)
    opened.on("console", lambda message: opened.console_errors.append(message.text)
              if message.type == "error" else None)
    opened.on("pageerror", lambda error: opened.console_errors.append(str(error)))
    return opened


def sign_in(page, base: str, email: str, password: str) -> None:
    """Sign in through the login form, whatever the interface language."""
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("form:has(#password) button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)
