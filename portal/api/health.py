"""Liveness and database check for load balancers and monitoring (DESIGN §5)."""

from litestar import MediaType, Response, get

from core.db import check_database


@get("/healthz", media_type=MediaType.JSON, include_in_schema=True, name="healthz")
async def healthz() -> Response:
    """``{"status": "ok", "database": "ok"}``, or 503 when the database does not answer."""
    if await check_database():
        return Response({"status": "ok", "database": "ok"}, status_code=200)
    return Response({"status": "error", "database": "unavailable"}, status_code=503)
