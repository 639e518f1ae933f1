"""The public JSON API of booths (DESIGN §5): published sessions, nearest first, and one session with its slots."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.types import ASGIApp, Receive, Scope, Send

from booking.booths import BoothFilter, filter_booths, with_distance
from core.errors import ValidationFailed
from core.i18n import gettext as _
from core.settings import Settings
from portal.api.responses import ApiOperation, error_responses
from portal.api.schemas import Id, SessionOut, session_out


def parse_near(near: str | None) -> tuple[float, float] | None:
    """``near=LAT,LON`` → (lat, lon); a malformed value is a 422 naming the parameter."""
    if not near:
        return None
    try:
        lat, lon = (float(part) for part in near.split(","))
    except ValueError:
        lat = lon = float("nan")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationFailed(
            _("near must be LAT,LON in degrees, e.g. 36.56,136.65."),
            {"near": _("near must be LAT,LON in degrees, e.g. 36.56,136.65.")},
        )
    return lat, lon


def _answer_key(scope: Scope) -> tuple:
    """The key of a list answered before for the same query string (as sent: the handler checked it then)."""
    return ("api.sessions.answer", scope["query_string"])


class AnsweredBefore:
    """The list's handler middleware: a query string answered since the booth list was last read is answered again
    with the same bytes, straight from the cache, before Litestar builds a request, parses the query and calls the
    handler (that work cost more than the rest of the answer). Anything else — the first time a query is asked, a
    query that was refused — goes to the handler, which checks it and keeps its answer (``list_sessions``). The
    cache keeps at most ``booking.booths.KEPT_KEYS`` such answers between two reads (2 s by default)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cache = scope["litestar_app"].state.booths
        await cache.booths()  # as the handler does: starts the next read when the list is due, or waits for it
        body = cache.kept(_answer_key(scope))
        if body is None or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", JSON_TYPE), (b"content-length", str(len(body)).encode("latin-1"))],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})


JSON_TYPE = MediaType.JSON.value.encode("latin-1")


class SessionApi(Controller):
    """Published booths."""

    path = "/api/sessions"
    tags = ["sessions"]

    @get(
        "/",
        summary="Published upcoming sessions (booths)",
        responses=error_responses(422),
        operation_class=ApiOperation,
        middleware=[AnsweredBefore],
    )
    async def list_sessions(
        self,
        request: Request,
        settings: NamedDependency[Settings],
        date_from: Annotated[dt.date | None, QueryParameter(name="from", description="first date (YYYY-MM-DD)")] = None,
        date_to: Annotated[dt.date | None, QueryParameter(name="to", description="last date (YYYY-MM-DD)")] = None,
        near: Annotated[str | None, QueryParameter(description="LAT,LON: nearest first, with distance_km")] = None,
        limit: Annotated[int | None, QueryParameter(ge=1, le=1000)] = None,
        day_type: Annotated[str | None, QueryParameter(description="weekday or holiday")] = None,
    ) -> Response[list[SessionOut]]:
        point = parse_near(near)
        base_url = settings.base_url
        cache = request.app.state.booths
        booths = await cache.booths()
        live = cache.live()  # read with the booths: the same for every key of this memo

        def encode() -> bytes:
            chosen = filter_booths(booths, BoothFilter(date_from=date_from, date_to=date_to, day_type=day_type))
            if point:
                chosen = with_distance(chosen, *point)
            return msgspec.json.encode([session_out(b, base_url, live=live.get(b.session_id)) for b in chosen[:limit]])

        body = cache.memo(("api.sessions", date_from, date_to, point, limit, day_type, base_url), encode)
        cache.keep(_answer_key(request.scope), body)  # no await since the booths were read: the same generation
        return Response(content=body, media_type=MediaType.JSON)

    @get(
        "/{session_id:int}",
        summary="One session with its slots",
        responses=error_responses(404),
        operation_class=ApiOperation,
    )
    async def get_session(
        self, request: Request, session_id: FromPath[Id], settings: NamedDependency[Settings]
    ) -> SessionOut:
        from core.errors import NotFound

        cache = request.app.state.booths
        booth = await cache.booth(session_id)
        if booth is None:
            raise NotFound(_("This booth does not exist."))
        return session_out(booth, settings.base_url, with_slots=True, live=cache.live().get(booth.session_id))
