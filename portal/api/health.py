"""Liveness and database check for load balancers and monitoring (DESIGN §5)."""

import msgspec
from litestar import MediaType, Response, get
from litestar.openapi.datastructures import ResponseSpec

from core.db import check_database


class HealthOut(msgspec.Struct):
    status: str  # ok | error
    database: str  # ok | unavailable


@get(
    "/healthz",
    media_type=MediaType.JSON,
    include_in_schema=True,
    name="healthz",
    responses={
        200: ResponseSpec(HealthOut, description="The portal and its database answer.", generate_examples=False),
        503: ResponseSpec(HealthOut, description="The database does not answer.", generate_examples=False),
    },
)
async def healthz() -> Response:
    """``{"status": "ok", "database": "ok"}``, or 503 when the database does not answer."""
    if await check_database():
        return Response({"status": "ok", "database": "ok"}, status_code=200)
    return Response({"status": "error", "database": "unavailable"}, status_code=503)
