"""Debian's Chromium as the browser tests and the benchmarks launch it (Playwright's own download fails here)."""

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying the closed network (DESIGN §8).
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
