"""The counter's public pages: live waiting times of every office (/offices), a queue ticket's page for its holder's
phone (/tickets/{code}) and the waiting room's board (/offices/{id}/board). The ticket page and the board refresh
their live part every LIVE_SECONDS from a small HTML fragment (``.../live``) rendered in the reader's language, so that
the script (static/js/counter-live.js) carries no text of its own. No sign-in, no personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath
from litestar.response import Template
from markupsafe import Markup

from core import clock
from core.errors import NotFound
from core.i18n import N_, get_locale, markup_gettext
from core.i18n import gettext as _
from counter.offices import SERVICE_LABELS
from counter.status import Board, CounterSnapshot, TicketPlace, ticket_place
from portal.web.ids import Id
from portal.web.templating import page

LEVEL_LABELS = {
    "low": N_("Not busy"),
    "amber": N_("Busy"),
    "red": N_("Very busy"),
    "closed": N_("Closed now"),
}
LIVE_SECONDS = 0.75  # how often the ticket page and the board ask for their live part
NO_STORE = {"Cache-Control": "no-store"}


def service_label(kind: str) -> Markup:
    """A service's name in the reader's language (with furigana as markup in やさしい日本語)."""
    labels = {service.value: label for service, label in SERVICE_LABELS.items()}
    return Markup(markup_gettext(labels[kind])) if kind in labels else Markup.escape(kind)


def level_label(level: str) -> Markup:
    """The words of a waiting-time colour (the colour is never the only sign)."""
    return Markup(markup_gettext(LEVEL_LABELS.get(level, LEVEL_LABELS["closed"])))


def clock_time(moment: dt.datetime) -> str:
    """A moment as HH:MM in Japan."""
    return moment.astimezone(clock.JST).strftime("%H:%M")


def counter_context() -> dict[str, Any]:
    """What every counter template uses to write its words."""
    return dict(service_label=service_label, level_label=level_label, clock_time=clock_time)


async def _snapshot(request: Request) -> CounterSnapshot:
    snapshot: CounterSnapshot = await request.app.state.counter.snapshot()
    return snapshot


def _render(request: Request, template_name: str, **context: Any) -> str:
    template = request.app.template_engine.get_template(template_name)
    return str(template.render(request=request, **counter_context(), **context))


@get("/offices", name="offices", include_in_schema=False)
async def offices_page(request: Request) -> Template:
    """Every office: open or closed now and, per service, the people waiting and a new arrival's estimated wait
    with its colour in words."""
    snapshot = await _snapshot(request)
    return page(request, "public/offices.html", offices=snapshot.statuses, as_of=snapshot.now, **counter_context())


async def _place(request: Request, code: str) -> TicketPlace:
    place = await ticket_place(code, await _snapshot(request))
    if place is None:
        raise NotFound(_("This ticket does not exist. Please check the address on your ticket, or ask at reception."))
    return place


@get("/tickets/{code:str}", name="ticket", include_in_schema=False)
async def ticket_page(request: Request, code: FromPath[str]) -> Template:
    """A ticket's page on its holder's phone: the number, how many are ahead and the estimated remaining wait,
    and when called the window to go to."""
    place = await _place(request, code)
    return page(request, "public/ticket.html", place=place, refresh=LIVE_SECONDS, **counter_context())


@get("/tickets/{code:str}/live", name="ticket_live", include_in_schema=False)
async def ticket_live(request: Request, code: FromPath[str]) -> Response:
    """The live part of a ticket's page, as the page shows it."""
    place = await _place(request, code)
    html = _render(request, "public/_ticket_status.html", place=place)
    return Response(content=html, media_type="text/html; charset=utf-8", headers=NO_STORE)


async def _board(request: Request, office_id: int) -> tuple[CounterSnapshot, Board]:
    snapshot = await _snapshot(request)
    board = snapshot.board(office_id)
    if board is None:
        raise NotFound(_("This office does not exist."))
    return snapshot, board


@get("/offices/{office_id:int}/board", name="office_board", include_in_schema=False)
async def board_page(request: Request, office_id: FromPath[Id]) -> Template:
    """The waiting room's board, for a TV (1920×1080): the number each window calls, very large, a chime and a
    spoken-text announcement on each new call; nothing to press."""
    _snapshot_, board = await _board(request, office_id)
    return Template(
        template_name="public/board.html",
        context=dict(board=board, refresh=LIVE_SECONDS, **counter_context()),
    )


@get("/offices/{office_id:int}/board/live", name="office_board_live", include_in_schema=False)
async def board_live(request: Request, office_id: FromPath[Id]) -> Response:
    """The live part of the board, rendered once per snapshot and language."""
    snapshot, board = await _board(request, office_id)
    html = snapshot.memo(
        ("board", office_id, get_locale()), lambda: _render(request, "public/_board_calls.html", board=board)
    )
    return Response(content=html, media_type="text/html; charset=utf-8", headers=NO_STORE)
