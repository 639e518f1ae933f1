"""The booth day in the back office (当日受付): today's booths, and a booth's page for a tablet or phone at the
booth — check-in by code (typed or scanned from the slip's QR code), the booking list with names (every view
audited), no-shows and undo, the walk-in queue with its numbers, and the live figures. Late bookings are released
to walk-ins whenever the page is used (a POST), and every minute in the background (booking.jobs); a GET writes
nothing but the audit entry of who saw the names."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from itertools import groupby
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from booking import checkin, walkins
from booking.checkin import BookingLine
from core import clock
from core.errors import DomainError, ValidationFailed
from core.i18n import gettext as _
from core.roles import EDITORS
from core.users import Actor
from portal.web import forms
from portal.web.app_settings import settings_of
from portal.web.errors import STATUS_FOR_DOMAIN_ERROR
from portal.web.guards import requires
from portal.web.templating import page

log = logging.getLogger(__name__)

CHECKIN = "/staff/checkin"
UPCOMING_DAYS = 7  # the list also shows the booths of the coming week, so that staff can prepare
STAFF_REFRESH_SECONDS = 30


def booth_path(session_id: int, query: str = "") -> str:
    return f"{CHECKIN}/{session_id}" + (f"?{query}" if query else "")


def status_of(exc: DomainError) -> int:
    return next((code for cls, code in STATUS_FOR_DOMAIN_ERROR if isinstance(exc, cls)), 400)


def done_message(done: str, line: BookingLine | None, walk_in: walkins.WalkInLine | None) -> str:
    """The confirmation shown after an action (names only here, on the staff page)."""
    if line is not None:
        who = {"name": line.name_kana, "n": line.party_size}
        if done == "checked_in":
            return _("Checked in: {name} (party of {n}).").format(**who)
        if done == "no_show":
            return _("{name} (party of {n}) marked as a no-show; the places went to walk-ins.").format(**who)
        if done == "undone":
            return _("{name} (party of {n}) is expected again.").format(**who)
    if walk_in is not None:
        labels = {
            "called": _("No. {number} called."),
            "served": _("No. {number} served."),
            "left": _("No. {number} left the queue."),
        }
        if done in labels:
            return labels[done].format(number=walk_in.number)
    return ""


def slot_groups(lines: list[BookingLine]) -> list[tuple[dt.datetime, dt.datetime, list[BookingLine]]]:
    """The bookings grouped by slot, in time order."""
    return [
        (start, items[0].slot_end, items)
        for start, group in groupby(lines, key=lambda line: line.slot_start)
        for items in [list(group)]
    ]


class CheckInController(Controller):
    """The booth day: contractor staff, leads and admins (city reviewers do not see residents' names)."""

    path = "/checkin"
    include_in_schema = False
    guards = [requires(*EDITORS)]
    cache_control = CacheControlHeader(no_store=True)  # residents' names: never kept by a shared tablet's browser

    @get("/", name="checkin_list")
    async def list(self, request: Request) -> Template:
        today = clock.today()
        days = await checkin.booth_days(today, today + dt.timedelta(days=UPCOMING_DAYS))
        return page(
            request,
            "staff/checkin/list.html",
            today=today,
            todays=[d for d in days if d.date == today],
            upcoming=[d for d in days if d.date != today],
        )

    async def _render(
        self, request: Request, actor: Actor, session_id: int, status_code: int = 200, **context: Any
    ) -> Template:
        booth = await checkin.booking_counts(session_id)
        names_shown = checkin.names_shown(booth)
        lines = await checkin.booking_list(actor, session_id) if names_shown else []
        queue = await walkins.queue(session_id)
        query = request.query_params
        done = query.get("done", "")
        line = next((b for b in lines if str(b.id) == query.get("booking")), None)
        walk_in = next((w for w in queue if str(w.id) == query.get("walk_in")), None)
        context.setdefault("message", done_message(done, line, walk_in))
        return page(
            request,
            "staff/checkin/booth.html",
            status_code=status_code,
            booth=booth,
            names_shown=names_shown,
            names_from=checkin.names_shown_from(booth.date),
            groups=slot_groups(lines),
            lines=lines,
            queue=queue,
            live=await walkins.live_status(session_id),
            version=await checkin.board_version(session_id),
            done=done,
            new_walk_in=walk_in if done == "walk_in" else None,
            refresh_seconds=STAFF_REFRESH_SECONDS,
            max_party=settings_of(request).max_party_size,
            no_show_minutes=settings_of(request).no_show_after_minutes,
            reception_opens=walkins.reception_opens(booth.date, booth.start),
            reception_lead=walkins.RECEPTION_LEAD_MINUTES,
            now=clock.now(),
            **context,
        )

    @get("/{session_id:int}", name="checkin_booth")
    async def booth(self, request: Request, session_id: FromPath[int], actor: NamedDependency[Actor]) -> Template:
        session_id = await checkin.current_booth(session_id)
        return await self._render(request, actor, session_id)

    @get("/{session_id:int}/status.json", name="checkin_status")
    async def status(self, session_id: FromPath[int]) -> Response:
        """The live figures and the list's fingerprint, for the page's periodic refresh (no names)."""
        session_id = await checkin.current_booth(session_id)
        await checkin.booth_day(session_id)
        live = asdict(await walkins.live_status(session_id))
        live["as_of"] = live["as_of"].isoformat()
        return Response(
            {"version": await checkin.board_version(session_id), "live": live}, headers={"Cache-Control": "no-store"}
        )

    async def _act(
        self,
        request: Request,
        actor: Actor,
        session_id: int,
        action: Callable[[], Awaitable[Any]],
        done: Callable[[Any], str],
        field: str = "",
    ) -> Template | Redirect:
        await checkin.release_late_bookings(session_id)
        try:
            result = await action()
        except DomainError as exc:
            errors = dict(getattr(exc, "fields", {}) or {})
            if field:
                errors.setdefault(field, exc.message)
            return await self._render(
                request,
                actor,
                session_id,
                status_of(exc),
                message="",
                error=exc.message,
                errors=errors,
                form=dict(await request.form()),
            )
        request.app.state.booths.invalidate()
        # back to the address the page was opened at (the booth's public one), whatever version now runs the booth
        shown = int(request.path_params.get("session_id", session_id))
        return Redirect(path=booth_path(shown, done(result)), status_code=303)

    @post("/{session_id:int}/check-in", name="checkin_code")
    async def check_in_code(
        self, request: Request, session_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        code = str((await request.form()).get("code") or "")
        session_id = await checkin.current_booth(session_id)
        return await self._act(
            request,
            actor,
            session_id,
            lambda: checkin.check_in_code(actor, session_id, code),
            lambda line: f"done=checked_in&booking={line.id}",
            field="code",
        )

    async def _booking(
        self,
        request: Request,
        actor: Actor,
        session_id: int,
        booking_id: int,
        service: Callable[[Actor, int, int], Awaitable[BookingLine]],
        done: str,
    ) -> Template | Redirect:
        session_id = await checkin.current_booth(session_id)
        return await self._act(
            request,
            actor,
            session_id,
            lambda: service(actor, session_id, booking_id),
            lambda line: f"done={done}&booking={line.id}#booking-{line.id}",
        )

    @post("/{session_id:int}/bookings/{booking_id:int}/check-in", name="checkin_booking")
    async def check_in_booking(
        self, request: Request, session_id: FromPath[int], booking_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        return await self._booking(request, actor, session_id, booking_id, checkin.check_in_booking, "checked_in")

    @post("/{session_id:int}/bookings/{booking_id:int}/no-show", name="checkin_no_show")
    async def no_show(
        self, request: Request, session_id: FromPath[int], booking_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        return await self._booking(request, actor, session_id, booking_id, checkin.mark_no_show, "no_show")

    @post("/{session_id:int}/bookings/{booking_id:int}/undo", name="checkin_undo")
    async def undo(
        self, request: Request, session_id: FromPath[int], booking_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        return await self._booking(request, actor, session_id, booking_id, checkin.undo, "undone")

    @post("/{session_id:int}/walk-ins", name="checkin_walk_in")
    async def register_walk_in(
        self, request: Request, session_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        party = forms.whole_number(await request.form(), "party_size")
        session_id = await checkin.current_booth(session_id)

        async def register() -> walkins.WalkInLine:
            if party is None:
                message = _("Party size must be between 1 and {most}.").format(most=settings_of(request).max_party_size)
                raise ValidationFailed(message, {"party_size": message})
            return await walkins.register_walk_in(actor, session_id, party)

        return await self._act(
            request,
            actor,
            session_id,
            register,
            lambda walk_in: f"done=walk_in&walk_in={walk_in.id}#new-walk-in",
            field="party_size",
        )

    async def _walk_in(
        self, request: Request, actor: Actor, session_id: int, walk_in_id: int, action: str
    ) -> Template | Redirect:
        session_id = await checkin.current_booth(session_id)
        return await self._act(
            request,
            actor,
            session_id,
            lambda: walkins.move_walk_in(actor, session_id, walk_in_id, action),
            lambda walk_in: f"done={walk_in.state}&walk_in={walk_in.id}#queue",
        )

    @post("/{session_id:int}/walk-ins/{walk_in_id:int}/call", name="checkin_walk_in_call")
    async def call_walk_in(
        self, request: Request, session_id: FromPath[int], walk_in_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        return await self._walk_in(request, actor, session_id, walk_in_id, "call")

    @post("/{session_id:int}/walk-ins/{walk_in_id:int}/serve", name="checkin_walk_in_serve")
    async def serve_walk_in(
        self, request: Request, session_id: FromPath[int], walk_in_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        return await self._walk_in(request, actor, session_id, walk_in_id, "serve")

    @post("/{session_id:int}/walk-ins/{walk_in_id:int}/left", name="checkin_walk_in_left")
    async def walk_in_left(
        self, request: Request, session_id: FromPath[int], walk_in_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        return await self._walk_in(request, actor, session_id, walk_in_id, "left")
