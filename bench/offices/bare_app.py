"""The ceiling of GET /api/offices: a bare Litestar app sending the same bytes (read from ``BARE_BODY_FILE``, what
the portal answered at the start of the run) with the same headers, under the same server and worker count."""

from __future__ import annotations

import os
from pathlib import Path

from litestar import Litestar, MediaType, Response, get

from core.serving import rebalancing

BODY = Path(os.environ["BARE_BODY_FILE"]).read_bytes()


@get("/bare", sync_to_thread=False)
def bare() -> Response[bytes]:
    return Response(content=BODY, media_type=MediaType.JSON, headers={"Cache-Control": "no-store"})


app = rebalancing(Litestar(route_handlers=[bare]))  # served as the portal is: several workers share out connections
