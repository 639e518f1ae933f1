"""The counter's public JSON (DESIGN §5): every office's live waiting times, a ticket's place and an office's board.
The ticket page and the board poll the last two every second; all three come from the counter's snapshot
(counter.status.CounterCache), never from a query per request."""

from __future__ import annotations

import msgspec
from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.types import ASGIApp, Receive, Scope, Send

from core.errors import NotFound
from core.i18n import gettext as _
from core.settings import Settings
from counter.status import ticket_place
from portal.api.counter_schemas import BoardOut, OfficeOut, TicketOut, board_out, office_out, ticket_out
from portal.api.responses import ApiOperation, error_responses
from portal.web.ids import Id

NO_STORE = {"Cache-Control": "no-store"}  # a poll must reach us, not a cache on the way
_RAW_HEADERS = [(b"content-type", MediaType.JSON.value.encode("latin-1")), (b"cache-control", b"no-store")]


def _offices_key(base_url: str) -> tuple[str, str]:
    return ("api.offices", base_url)


class AnsweredFromSnapshot:
    """The office list's handler middleware: once the handler has encoded the list for the current snapshot of the
    counter, every request until the next snapshot gets those bytes straight away, before Litestar builds a request
    object and resolves dependencies (that work cost more than the rest of the answer, as it did for
    /api/sessions). The first request after each read goes to the handler, which encodes and keeps the list."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope["litestar_app"].state
        snapshot = await state.counter.snapshot()
        body = snapshot.peek(_offices_key(state.settings.base_url))
        if body is None or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        headers = [*_RAW_HEADERS, (b"content-length", str(len(body)).encode("latin-1"))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})


class OfficeApi(Controller):
    """The counters of the permanent offices."""

    path = "/api/offices"
    tags = ["offices"]

    @get(
        "/",
        summary="Every office with its live waiting times per service",
        operation_class=ApiOperation,
        middleware=[AnsweredFromSnapshot],
    )
    async def list_offices(self, request: Request, settings: NamedDependency[Settings]) -> Response[list[OfficeOut]]:
        snapshot = await request.app.state.counter.snapshot()
        base_url = settings.base_url
        body = snapshot.memo(
            _offices_key(base_url),
            lambda: msgspec.json.encode([office_out(office, base_url) for office in snapshot.statuses]),
        )
        return Response(content=body, media_type=MediaType.JSON, headers=NO_STORE)

    @get(
        "/{office_id:int}/board",
        summary="The waiting-room board of an office: the number each window calls now and the latest calls",
        responses=error_responses(404),
        operation_class=ApiOperation,
    )
    async def board(self, request: Request, office_id: FromPath[Id]) -> Response[BoardOut]:
        snapshot = await request.app.state.counter.snapshot()
        board = snapshot.board(office_id)
        if board is None:
            raise NotFound(_("This office does not exist."))
        body = snapshot.memo(("api.board", office_id), lambda: msgspec.json.encode(board_out(board)))
        return Response(content=body, media_type=MediaType.JSON, headers=NO_STORE)


class TicketApi(Controller):
    """Queue tickets (整理券), by the code their holder has."""

    path = "/api/tickets"
    tags = ["tickets"]

    @get(
        "/{code:str}",
        summary="A ticket's place: how many are ahead, the estimated remaining wait, the window once called",
        responses=error_responses(404),
        operation_class=ApiOperation,
    )
    async def ticket(self, request: Request, code: FromPath[str]) -> Response[TicketOut]:
        place = await ticket_place(code, await request.app.state.counter.snapshot())
        if place is None:
            raise NotFound(_("This ticket does not exist."))
        return Response(content=msgspec.json.encode(ticket_out(place)), media_type=MediaType.JSON, headers=NO_STORE)
