"""The ceiling of the read path (DESIGN §8): a bare Litestar app with one endpoint returning constant JSON, served
by the same ASGI server with the same worker count as the portal in the same run (bench_booking.py)."""

from __future__ import annotations

from litestar import Litestar, get

PAYLOAD = {"status": "ok", "service": "bare"}


@get("/bare", sync_to_thread=False)
def bare() -> dict[str, str]:
    return PAYLOAD


app = Litestar(route_handlers=[bare])
