"""Browser tests: Playwright drives Debian's Chromium (``CHROMIUM``, /usr/bin/chromium by default)
against Django's live server; no browser is downloaded, nothing leaves localhost."""

import os

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser(django_db_setup):
    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(executable):
        pytest.fail(f"Chromium not found at {executable}: `make test` installs Debian's chromium package.")
    # Playwright's sync API runs an event loop in this thread, and Django then hands out other
    # connection objects (asgiref locals follow the loop's context). Carry over the serialized
    # copy of the test database, so transactional tests still restore the roles and VAT rates.
    serialized = {conn.alias: getattr(conn, "_test_serialized_contents", None) for conn in connections.all()}
    with sync_playwright() as playwright:
        for alias, contents in serialized.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def login(page):
    def log_in(username, password="secret-password-1"):
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/")

    return log_in
