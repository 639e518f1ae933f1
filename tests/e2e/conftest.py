"""Browser tests: the real portal in a uvicorn process on the test database, driven by Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(database):
    """The portal served by `outreach serve` on a free port; stopped after the test."""
    port = free_port()
    outreach = str(Path(sys.executable).parent / "outreach")
    process = subprocess.Popen(
        [outreach, "serve", "--port", str(port), "--no-migrate"],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("the portal did not start: " + process.stderr.read().decode(errors="replace"))
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


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
