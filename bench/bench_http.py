"""Requests per second of /healthz and the signed-in venue list, against a portal this script starts.

The load is bounded (``--requests`` in total, ``--concurrency`` at once) and goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from tests.support import servers  # noqa: E402


async def hammer(client: httpx.AsyncClient, path: str, total: int, concurrency: int) -> float:
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            response = await client.get(path)
            response.raise_for_status()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - start)


async def run(base: str, requests: int, concurrency: int, username: str, password: str) -> None:
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        page = await client.get("/staff/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
        await client.post("/staff/login", data={"username": username, "password": password, "_csrf_token": token})
        for path in ("/healthz", "/staff/venues"):
            await hammer(client, path, min(200, requests), concurrency)  # warm-up
            rate = await hammer(client, path, requests, concurrency)
            print(f"{path}: {rate:,.0f} requests/s ({requests} requests, {concurrency} concurrent)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    env = {**os.environ}
    env.setdefault("OUTREACH_VAR_DIR", tempfile.mkdtemp(prefix="outreach-bench-"))
    env.setdefault("OUTREACH_LANG", "en")
    demo = subprocess.run(
        [str(BIN / "outreach"), "demo"], env=env, capture_output=True, text=True, check=True, timeout=300
    )
    login = next(line.split() for line in demo.stdout.splitlines() if "username: staff" in line)
    with servers.portal(env=env, stop_timeout=10) as portal:
        asyncio.run(run(portal.url, args.requests, args.concurrency, "staff", login[login.index("password:") + 1]))


if __name__ == "__main__":
    main()
