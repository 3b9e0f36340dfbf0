"""Headless Chromium through Playwright, with accessibility and screenshot helpers.

Chromium is Debian's own (/usr/bin/chromium): Playwright's browser download is not used. It
resolves every *.localhost name to 127.0.0.1 by itself, so each school's subdomain reaches the
test server of tests/conftest.py without any hosts-file changes.

Browser test modules carry `pytestmark = pytest.mark.browser`. The server thread sees only data
committed outside a test's transaction: set it up through services in a session or module
fixture (as `world` is), or commit it inside `django_db_blocker.unblock()` and remove it after.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connections
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from safeguarding.tasks import chronology_export_task
from tests.celery_worker import own_queue, worker_on

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Staff mostly use their phones: pages are checked at a phone's size unless a test says otherwise.
PHONE_VIEWPORT: ViewportSize = {"width": 390, "height": 844}

# axe impacts, in increasing order: minor, moderate, serious, critical.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})

SCREENSHOT_DIR = Path("test-artifacts") / "screenshots"
UNSAFE_IN_FILE_NAME = re.compile(r"[^\w.-]+")

CheckAccessibility = Callable[[Page], None]
TakeScreenshot = Callable[[Page, str], Path]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that drive the browser run after all others, in their order otherwise.

    Once started, Playwright stays up until the session ends, and so does the
    DJANGO_ALLOW_ASYNC_UNSAFE setting explained in `browser`. Other tests must not run under it:
    they would not notice a real async-safety mistake, and the subprocesses they start inherit it
    (`manage.py check --deploy` rightly warns about it).
    """
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def browser(server_url: str) -> Iterator[Browser]:
    """One headless Chromium for the whole session, started after the schools and the server.

    Playwright's sync API keeps an asyncio event loop running in the test thread, and Django then
    refuses every ORM call made from that thread (SynchronousOnlyOperation), including
    pytest-django's per-test transaction. No coroutine ever runs Django code here, so the check
    is switched off for as long as Playwright runs (microsoft/playwright-pytest#29).

    While that loop runs, Django also keeps this thread's database connections apart from the
    ones opened before (asgiref's Local follows contextvars when a loop is running), so they are
    closed here: left open, they stop pytest-django from dropping the test database.
    """
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
            connections.close_all()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own browser context (no cookies shared between tests), phone-sized."""
    context = browser.new_context(
        viewport=PHONE_VIEWPORT,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def csp_refusals(page: Page) -> list[str]:
    """The Content-Security-Policy violations the page reports in its console from now on."""
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return refused


def describe_violation(violation: dict[str, Any]) -> str:
    nodes = "\n".join(
        f"      {', '.join(map(str, node.get('target', [])))}: {node.get('html', '')}"
        for node in violation["nodes"]
    )
    return (
        f"  [{violation['impact']}] {violation['id']}: {violation['help']}\n"
        f"    {violation.get('helpUrl', '')}\n{nodes}"
    )


def blocking_violations(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [violation for violation in violations if violation.get("impact") in BLOCKING_IMPACTS]


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


@pytest.fixture
def check_accessibility(axe: Axe) -> CheckAccessibility:
    """Runs axe on a page as it is now and fails on every serious or critical violation."""

    def check(page: Page) -> None:
        violations = blocking_violations(axe.run(page).response["violations"])
        if violations:
            listing = "\n".join(describe_violation(violation) for violation in violations)
            pytest.fail(
                f"{len(violations)} serious or critical accessibility violation(s) "
                f"on {page.url}:\n{listing}",
                pytrace=False,
            )

    return check


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> TakeScreenshot:
    """Saves the whole page to test-artifacts/screenshots/<test-name>-<step>.png."""
    directory = request.config.rootpath / SCREENSHOT_DIR
    test_name = UNSAFE_IN_FILE_NAME.sub("_", request.node.name)

    def take(page: Page, step: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{test_name}-{UNSAFE_IN_FILE_NAME.sub('_', step)}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.fixture
def export_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A real Celery worker that makes the PDFs the pages ask for, on a queue of this test's own."""
    queue = own_queue("browser-exports")
    # Sent where that worker listens: Celery reads a task's own `queue` when it sends it, and
    # keeps what it read at the first send (`_exec_options`), so that is read again.
    monkeypatch.setattr(chronology_export_task, "queue", queue, raising=False)
    monkeypatch.setattr(chronology_export_task, "_exec_options", None)
    with worker_on(queue):
        yield
