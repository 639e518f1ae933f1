"""The booths' waiting lists in the back office (キャンセル待ち): the booths whose lists have open entries, a booth's
list with its offers and outcomes (every view with names audited), accepting or declining an offer for a resident
on the phone, and, for leads, the booth's bookable places (booking.booth_waitlist_staff, booking.booth_capacity)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from booking import booth_capacity, booth_waitlist_staff
from booking.checkin import current_booth
from core.errors import DomainError
from core.roles import BOOTH_KEEPERS, EDITORS
from core.users import Actor
from portal.staff.checkin import status_of
from portal.web import forms
from portal.web.guards import requires
from portal.web.templating import page

WAITLISTS = "/staff/waitlists"


def list_path(booth_id: int, query: str = "") -> str:
    return f"{WAITLISTS}/{booth_id}" + (f"?{query}" if query else "")


class WaitlistController(Controller):
    """Contractor staff, leads and admins (city reviewers do not see residents' names); places: leads and admins."""

    path = "/waitlists"
    include_in_schema = False
    guards = [requires(*EDITORS)]

    @get("/", name="staff_waitlists")
    async def index(self, request: Request) -> Template:
        return page(request, "staff/waitlists/index.html", lists=await booth_waitlist_staff.open_lists())

    async def _render(
        self, request: Request, actor: Actor, session_id: int, status_code: int = 200, **context: Any
    ) -> Template:
        keeps_places = actor.role in BOOTH_KEEPERS
        return page(
            request,
            "staff/waitlists/booth.html",
            status_code=status_code,
            waitlist=await booth_waitlist_staff.booth_waitlist(actor, session_id),
            slots=await booth_capacity.slot_places(session_id) if keeps_places else [],
            keeps_places=keeps_places,
            most_places=booth_capacity.MAX_SLOT_CAPACITY,
            done=request.query_params.get("done", ""),
            **context,
        )

    @get("/{session_id:int}", name="staff_waitlist_booth")
    async def booth(self, request: Request, session_id: FromPath[int], actor: NamedDependency[Actor]) -> Template:
        return await self._render(request, actor, await current_booth(session_id))

    async def _act(self, request: Request, actor: Actor, shown: int, action: Any, done: str) -> Template | Redirect:
        session_id = await current_booth(shown)
        try:
            await action(session_id)
        except DomainError as exc:
            return await self._render(
                request,
                actor,
                session_id,
                status_of(exc),
                error=exc.message,
                errors=dict(getattr(exc, "fields", {}) or {}),
                form=dict(await request.form()),
            )
        request.app.state.booths.invalidate()  # the public pages' places
        return Redirect(path=list_path(shown, f"done={done}"), status_code=303)

    @post("/{session_id:int}/entries/{entry_id:int}/accept", name="staff_waitlist_accept")
    async def accept(
        self, request: Request, session_id: FromPath[int], entry_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        return await self._act(
            request,
            actor,
            session_id,
            lambda current: booth_waitlist_staff.accept_for_resident(actor, current, entry_id),
            "accepted",
        )

    @post("/{session_id:int}/entries/{entry_id:int}/decline", name="staff_waitlist_decline")
    async def decline(
        self, request: Request, session_id: FromPath[int], entry_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        return await self._act(
            request,
            actor,
            session_id,
            lambda current: booth_waitlist_staff.decline_for_resident(actor, current, entry_id),
            "declined",
        )

    @post("/{session_id:int}/places", name="staff_waitlist_places", guards=[requires(*BOOTH_KEEPERS)])
    async def places(
        self, request: Request, session_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        form = await request.form()
        capacity = forms.whole_number(form, "capacity", booth_capacity.MAX_SLOT_CAPACITY)
        slot = forms.whole_number(form, "slot")  # empty or 0: every slot
        return await self._act(
            request,
            actor,
            session_id,
            lambda current: booth_capacity.set_capacity(actor, current, capacity, slot or None),
            "places",
        )
