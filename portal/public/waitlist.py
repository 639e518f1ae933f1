"""Residents' waiting-list pages of the booths (空きが出たら知らせる): the form that puts a resident on a full booth's
list, and the entry's page behind its secret link (its place, the offer to accept or decline, leaving the list)."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from booking.booth_waitlist import KIND, waitable
from booking.codes import display_code
from booking.schemas import Booth, BoothSlot
from booking.waitlist import (
    WaitEntry,
    WaitRequest,
    accept,
    decline,
    entry_path,
    get_entry,
    get_kind,
    join,
    leave,
    waiting_before,
)
from core import clock
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import get_locale
from core.i18n import gettext as _
from portal.public.booking import Form
from portal.web import forms
from portal.web.app_settings import settings_of
from portal.web.ids import QueryId
from portal.web.templating import page

# Pages whose address carries the entry's token: never kept by a browser or proxy, never sent on as a referrer.
PRIVATE_HEADERS = [ResponseHeader(name="Referrer-Policy", value="no-referrer")]


def _form_values(form: dict[str, Any]) -> dict[str, Any]:
    """What the resident typed, to show the form again after an error."""
    values: dict[str, Any] = {
        name: forms.text(form, name) for name in ("name_kana", "phone", "email", "party_size", "language", "form_token")
    }
    values["any_time"] = forms.checkbox(form, "any_time")
    values["slot_ids"] = [str(n) for n in _chosen(form)]
    return values


def _chosen(form: dict[str, Any]) -> list[int]:
    """The times ticked (a checkbox sent once is a string, sent several times a list); what is no plain number is
    left out (the engine refuses what is not a time of the list)."""
    raw = form.get("slot_ids")
    items = raw if isinstance(raw, list) else [raw] if raw is not None else []
    numbers = [forms.whole_number({"n": item}, "n") for item in items[:100]]
    return [n for n in numbers if n is not None]


class WaitlistFormController(Controller):
    """A booth's waiting list: the form, and joining it."""

    path = "/booths/{session_id:int}/waitlist"
    include_in_schema = False
    cache_control = CacheControlHeader(no_store=True)

    async def _form(
        self,
        request: Request,
        session_id: int,
        values: dict[str, Any],
        errors: dict[str, str],
        status_code: int = 200,
        message: str = "",
        book_slot: BoothSlot | None = None,
    ) -> Template:
        booth = await request.app.state.booths.booth(session_id)
        if booth is None:
            raise NotFound(_("This booth does not exist."))
        values.setdefault("form_token", secrets.token_urlsafe(16))
        values.setdefault("language", get_locale())
        party = forms.whole_number(values, "party_size") or 1
        return page(
            request,
            "public/waitlist_join.html",
            status_code=status_code,
            booth=booth,
            times=waitable(booth),
            values=values,
            errors=errors,
            message=message,
            book_slot=book_slot,
            party=party,
            max_party=settings_of(request).max_party_size,
        )

    @get("/", name="waitlist_form")
    async def show(
        self, request: Request, session_id: FromPath[int], slot: QueryId = None, party_size: QueryId = None
    ) -> Template:
        party = min(party_size or 1, settings_of(request).max_party_size)
        return await self._form(
            request,
            session_id,
            {"slot_ids": [str(slot)] if slot else [], "party_size": str(party), "any_time": False},
            {},
        )

    @post("/", name="waitlist_join")
    async def submit(self, request: Request, session_id: FromPath[int], data: Form) -> Template | Redirect:
        values = _form_values(data)
        booth: Booth | None = await request.app.state.booths.booth(session_id)
        if booth is None:
            raise NotFound(_("This booth does not exist."))
        slot_ids = () if values["any_time"] else tuple(_chosen(data))
        wanted = WaitRequest(
            scope=booth.id,
            name_kana=values["name_kana"],
            party_size=forms.whole_number(data, "party_size") or 0,  # 0: refused with the party size's message
            slot_ids=slot_ids,
            phone=values["phone"],
            email=values["email"],
            language=values["language"] or get_locale(),
        )
        # every field's error at once: the times here, the rest by the list's own check (the booking's rules)
        errors = (
            {}
            if slot_ids or values["any_time"]
            else {"slot_ids": _("Choose the times that suit you, or any time of the day.")}
        )
        try:
            get_kind(KIND).check(wanted)
        except ValidationFailed as error:
            errors.update(error.fields)
        if errors:
            return await self._form(request, session_id, values, errors, 422, _("Please correct the marked fields."))
        try:
            entry, _created = await join(KIND, wanted, values["form_token"] or None)
        except ValidationFailed as error:
            if "idempotency_key" in error.fields:  # this form made an entry already (then back, and changed)
                del values["form_token"]  # a new key: sent again, it makes a new entry (or says this contact waits)
                message = _("This form was already sent with other details. Check them and send it again.")
                return await self._form(request, session_id, values, {}, 422, message)
            return await self._form(request, session_id, values, error.fields, 422, error.message)
        except Conflict as error:
            # a time with room now: offer to book it (the first of those asked for that takes the party)
            party = wanted.party_size
            with_room = [s for s in booth.slots if s.fits(party) and (not slot_ids or s.id in slot_ids)]
            return await self._form(
                request, session_id, values, {}, 409, error.message, with_room[0] if with_room else None
            )
        return Redirect(path=f"/waitlist/{entry.code}?token={entry.token}&joined=1", status_code=303)


class WaitlistEntryController(Controller):
    """A waiting-list entry behind its secret link: its place, the offer (accept, decline), leaving the list."""

    path = "/waitlist"
    include_in_schema = False
    cache_control = CacheControlHeader(no_store=True)  # personal data and the token: never kept
    response_headers = PRIVATE_HEADERS

    async def _page(
        self,
        request: Request,
        entry: WaitEntry,
        token: str,
        *,
        joined: bool = False,
        status_code: int = 200,
        message: str = "",
    ) -> Template:
        booth: Booth | None = await request.app.state.booths.booth(entry.scope) if entry.kind == KIND else None
        slots = {slot.id: slot for slot in booth.slots} if booth else {}
        booking = None
        if entry.state == "booked" and entry.booking_code:
            booking = await get_kind(entry.kind).booked(entry, token)
        return page(
            request,
            "public/waitlist_entry.html",
            status_code=status_code,
            entry=entry,
            token=token,
            code=display_code(entry.code),
            booth=booth,
            times=[slots[i] for i in entry.slot_ids if i in slots],
            offered=slots.get(entry.offered_slot or 0),
            held_until=entry.offer_expires_at.astimezone(clock.JST) if entry.offer_expires_at else None,
            ahead=await waiting_before(entry) if entry.state == "waiting" else 0,
            booking=booking,
            joined=joined,
            message=message,
        )

    @get("/{code:str}", name="waitlist_entry")
    async def show(
        self,
        request: Request,
        code: FromPath[str],
        token: FromQuery[str | None] = None,
        joined: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        entry = await get_entry(code, token)
        if entry.kind != KIND:  # another kind's entry (a pickup day): its own pages
            return Redirect(path=entry_path(entry.code, token or "", entry.kind), status_code=303)
        return await self._page(request, entry, token or "", joined=bool(joined))

    @post("/{code:str}/accept", name="waitlist_accept")
    async def accept_offer(
        self, request: Request, code: FromPath[str], token: FromQuery[str | None] = None
    ) -> Template | Redirect:
        """The offer becomes a booking, shown on the booking's own confirmation page."""
        try:
            entry, booking, _created = await accept(code, token)
        except Conflict as error:
            entry = await get_entry(code, token)
            return await self._page(request, entry, token or "", status_code=409, message=error.message)
        manage_token = getattr(booking, "manage_token", "")
        if entry.kind == KIND and manage_token:
            return Redirect(path=f"/bookings/{booking.code}?token={manage_token}&new=1", status_code=303)
        return Redirect(path=f"/waitlist/{entry.code}?token={token}", status_code=303)

    @post("/{code:str}/decline", name="waitlist_decline")
    async def decline_offer(
        self, request: Request, code: FromPath[str], token: FromQuery[str | None] = None
    ) -> Template | Redirect:
        return await self._finish(request, code, token, decline)

    @post("/{code:str}/leave", name="waitlist_leave")
    async def leave_list(
        self, request: Request, code: FromPath[str], token: FromQuery[str | None] = None
    ) -> Template | Redirect:
        return await self._finish(request, code, token, leave)

    async def _finish(self, request: Request, code: str, token: str | None, step: Any) -> Template | Redirect:
        try:
            entry = await step(code, token)
        except Conflict as error:
            entry = await get_entry(code, token)
            return await self._page(request, entry, token or "", status_code=409, message=error.message)
        return Redirect(path=f"/waitlist/{entry.code}?token={token}", status_code=303)
