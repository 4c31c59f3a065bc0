"""Shared test fixtures: a small city, API clients, and a real browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in the test thread; the ORM calls in the same
# tests are synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # noqa: TID251


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    # Argon2 is deliberately slow; tests that check hashing ask for it themselves.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def city(db: None) -> Any:
    from thudo.core.tests.factories import City

    return City()


@pytest.fixture
def live_city(transactional_db: None) -> Any:
    """The small city, committed, for tests that serve it to a real browser."""
    from thudo.core.tests.factories import City

    return City()


@pytest.fixture
def api_client() -> Any:
    from django.test import Client

    return Client(raise_request_exception=False)


def _chromium_path() -> str | None:
    path = settings.THUDO_CHROMIUM
    return path if path and Path(path).exists() else shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright; never a downloaded browser."""
    path = _chromium_path()
    reason = ""
    if path is None:
        reason = "browser tests skipped: Debian's chromium is not installed (apt install chromium)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:  # pragma: no cover - playwright is a dev dependency
            reason = "browser tests skipped: the playwright package is missing"
    if reason:
        if settings.THUDO_REQUIRE_BROWSER:
            pytest.fail(reason.replace("skipped", "cannot run"))
        pytest.skip(reason)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="vi-VN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Real-browser tests run last. The browser is shared by the session, and Playwright's
    sync API leaves its event loop set as running in the test thread from the first one
    on; asyncio.run(), which pyHanko calls to sign a PDF, then fails in any later test
    that signs in that thread. The sort is stable, so pytest-django's order stays."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    reasons = {
        str(getattr(r, "longrepr", ("", "", ""))[2])
        for r in skipped
        if "browser" in str(getattr(r, "longrepr", ""))
    }
    for reason in sorted(reasons):
        terminalreporter.write_line(f"NOTE: {reason.removeprefix('Skipped: ')}", yellow=True)
