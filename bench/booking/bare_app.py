"""The ceiling of the read path (DESIGN §8): a bare Litestar app with one endpoint, served by the same ASGI server
with the same worker count as the portal in the same run (bench_booking.py).

``/bare`` answers the bytes of the file ``BARE_BODY_FILE`` as JSON: the benchmark writes there the body the portal's
``GET /api/sessions`` sends, so that both send the same bytes and their ratio measures the portal's own work, not the
size of its answer. Without that setting, a small constant JSON object.
"""

from __future__ import annotations

import os
from pathlib import Path

from litestar import Litestar, MediaType, get

from core.serving import rebalancing

BODY_FILE = os.environ.get("BARE_BODY_FILE")
BODY = Path(BODY_FILE).read_bytes() if BODY_FILE else b'{"status":"ok","service":"bare"}'


@get("/bare", media_type=MediaType.JSON, sync_to_thread=False)
def bare() -> bytes:
    return BODY


app = rebalancing(Litestar(route_handlers=[bare]))  # served as the portal is: several workers share out connections
