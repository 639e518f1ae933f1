"""Browser tests: the real portal in a uvicorn process on the test database, driven by Debian's Chromium."""

from __future__ import annotations

import os

import pytest
from playwright.async_api import async_playwright

from tests.support import servers
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def live_server(database):
    """The portal served by `outreach serve` on a free port, with its connection pool as in production (the test
    process itself runs without one: DB_POOL=0); stopped after the test."""
    with servers.portal(env={**os.environ, "DB_POOL": "1"}, start_timeout=30, stop_timeout=10) as portal:
        yield portal.url


@pytest.fixture
async def browser():
    assert os.path.exists(CHROMIUM), "install Debian's chromium (scripts/check-system-deps.sh)"
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


@pytest.fixture
async def page(browser, live_server):
    """A phone-sized page that records every request and blocks any that would leave this machine."""
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
    requests: list[str] = []
    outside: list[str] = []

    async def guard(route):
        url = route.request.url
        requests.append(url)
        if url.startswith(("http://127.0.0.1", "data:", "blob:")):
            await route.continue_()
        else:
            outside.append(url)
            await route.abort()

    await context.route("**/*", guard)
    tab = await context.new_page()
    tab.requests = requests  # type: ignore[attr-defined]
    tab.outside = outside  # type: ignore[attr-defined]
    yield tab
    await context.close()
