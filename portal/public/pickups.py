"""Residents' pickup reservation pages (交付予約): choose the office, the service, the number of people and a day,
then a time that has room for all of them; give each person's notice number and one contact; then the reservation
behind its secret link (QR code, calendar entry, change the time, cancel). A full day offers its waiting list
(空きが出たら知らせる): the same fields and the times that suit, then the entry behind its own secret link (accept or
decline an offer, leave the list)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from booking.codes import display_code
from booking.waitlist import WaitEntry, accept, decline, get_entry, leave
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import get_locale
from core.i18n import gettext as _
from counter.offices import service_label
from counter.pickup_notices import come_by, held_until
from counter.pickup_slots import PickupOffice, PickupTime, pickup_offices, pickup_times
from counter.pickup_waitlist import (
    KIND,
    PickupWaitRequest,
    entry_reservation,
    full_days,
    join_waitlist,
    list_place,
    slot_times,
    waitable_times,
)
from counter.pickups import (
    NOTICE_NUMBER_DIGITS,
    PickupDetails,
    PickupRequest,
    PickupTimeFull,
    cancel_reservation,
    change_reservation,
    get_reservation,
    reserve,
)
from portal.documents import flyer_jobs
from portal.documents.pickup_calendar import pickup_google_calendar_url, pickup_ics
from portal.documents.pickup_slip import resident_pickup_slip_pdf
from portal.documents.qr import qr_svg
from portal.web import forms
from portal.web.app_settings import settings_of
from portal.web.templating import page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        return None


def _choice(offices: list[PickupOffice], office_id: int | None, service_id: int | None) -> tuple[Any, Any]:
    """The office chosen (the only one when there is one) and its service chosen (else its first: card pickup when
    it offers it), or None."""
    office = next((o for o in offices if o.id == office_id), offices[0] if len(offices) == 1 else None)
    if office is None:
        return None, None
    service = next((s for s in office.services if s.id == service_id), office.services[0])
    return office, service


def _days(times: list[PickupTime]) -> list[tuple[dt.date, int]]:
    """The days that have times with room, with how many."""
    counted = Counter(t.start.date() for t in times)
    return sorted(counted.items())


def _many(value: Any) -> list[str]:
    """A form field sent once, many times or not at all, as a list of its values."""
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


async def _pickup_entry(code: str, token: str | None) -> WaitEntry:
    """A pickup list's entry opened with its token (an entry of another kind is not found here)."""
    entry = await get_entry(code, token)
    if entry.kind != KIND:
        raise NotFound(
            _("This waiting list entry does not exist, or its link is incomplete. Open the link from your email again.")
        )
    return entry


class PickupController(Controller):
    """Reserve a time to collect a card (or for another reservable service) at an office's counter."""

    path = "/pickups"
    include_in_schema = False
    cache_control = CacheControlHeader(no_store=True)

    async def _form(
        self,
        request: Request,
        values: dict[str, Any],
        errors: dict[str, str] | None = None,
        status_code: int = 200,
        message: str = "",
        alternatives: list[PickupTime] | None = None,
    ) -> Template:
        offices = await pickup_offices()
        office, service = _choice(offices, forms.whole_number(values, "office"), forms.whole_number(values, "service"))
        most = settings_of(request).max_party_size
        party = min(max(forms.whole_number(values, "party") or 1, 1), most)
        times = await pickup_times(office.id, service.id, party) if office and service else []
        days = _days(times)
        day = _day(values.get("day"))
        if day not in {d for d, _n in days}:
            day = None
        values.setdefault("form_token", secrets.token_urlsafe(16))
        values.setdefault("language", get_locale())
        waitable = await waitable_times(service.id, day, party) if day and service else []
        return page(
            request,
            "public/pickups.html",
            wait_days=await full_days(service.id, party) if office and service else [],
            full_times=[t for t in waitable if t.room < party],
            status_code=status_code,
            offices=offices,
            office=office,
            service=service,
            party=party,
            max_party=most,
            days=days,
            day=day,
            times=[t for t in times if t.start.date() == day] if day else [],
            alternatives=alternatives or [],
            values=values,
            errors=errors or {},
            message=message,
            service_label=service_label,
            digits=NOTICE_NUMBER_DIGITS,
            open_days=settings_of(request).pickup_open_days,
            close_hours=settings_of(request).pickup_close_hours,
        )

    @get("/", name="pickups")
    async def show(
        self,
        request: Request,
        office: FromQuery[str | None] = None,
        service: FromQuery[str | None] = None,
        party: FromQuery[str | None] = None,
        day: FromQuery[str | None] = None,
    ) -> Template:
        values = {"office": office or "", "service": service or "", "party": party or "1", "day": day or ""}
        return await self._form(request, values)

    @post("/", name="pickup_submit")
    async def submit(self, request: Request, data: Form) -> Template | Redirect:
        values: dict[str, Any] = {
            name: forms.text(data, name)
            for name in ("office", "service", "party", "day", "slot", "phone", "email", "language", "form_token")
        }
        party = forms.whole_number(data, "party") or 1
        numbers = [forms.text(data, f"notice_{n}") for n in range(min(party, settings_of(request).max_party_size))]
        values |= {f"notice_{n}": number for n, number in enumerate(numbers)}
        slot = forms.whole_number(data, "slot")
        if slot is None:
            return await self._form(
                request, values, {"slot": _("Choose a time.")}, 422, _("Please correct the marked fields.")
            )
        try:
            details, _created = await reserve(
                PickupRequest(
                    slot_id=slot,
                    notice_numbers=tuple(numbers),
                    phone=values["phone"],
                    email=values["email"],
                    language=values["language"] or get_locale(),
                ),
                values["form_token"] or None,
            )
        except ValidationFailed as error:
            return await self._form(request, values, error.fields, 422, error.message)
        except PickupTimeFull as error:
            values["wait_day"] = str(error.day) if error.day else ""
            return await self._form(request, values, {}, 409, error.message, error.alternatives)
        except (Conflict, NotFound) as error:
            return await self._form(request, values, {}, 409, error.message)
        return Redirect(path=f"/pickups/{details.code}?token={details.manage_token}&new=1", status_code=303)

    # --- waiting list (空きが出たら知らせる) -------------------------------------------------------------------------

    async def _wait_form(
        self,
        request: Request,
        values: dict[str, Any],
        errors: dict[str, str] | None = None,
        status_code: int = 200,
        message: str = "",
    ) -> Template:
        offices = await pickup_offices()
        office, service = _choice(offices, forms.whole_number(values, "office"), forms.whole_number(values, "service"))
        most = settings_of(request).max_party_size
        party = min(max(forms.whole_number(values, "party") or 1, 1), most)
        days = await full_days(service.id, party) if service else []
        day = _day(values.get("day"))
        times = await waitable_times(service.id, day, party) if service and day else []
        values.setdefault("form_token", secrets.token_urlsafe(16))
        values.setdefault("language", get_locale())
        return page(
            request,
            "public/pickup_waitlist.html",
            status_code=status_code,
            office=office,
            service=service,
            party=party,
            days=days,
            day=day if times else None,
            times=[t for t in times if t.room < party],
            whole_day_full=bool(times) and all(t.room < party for t in times),
            chosen={int(v) for v in _many(values.get("slots")) if v.isdigit()},
            values=values,
            errors=errors or {},
            message=message,
            service_label=service_label,
            digits=NOTICE_NUMBER_DIGITS,
        )

    @get("/waitlist", name="pickup_waitlist")
    async def wait_form(
        self,
        request: Request,
        office: FromQuery[str | None] = None,
        service: FromQuery[str | None] = None,
        party: FromQuery[str | None] = None,
        day: FromQuery[str | None] = None,
    ) -> Template:
        values = {"office": office or "", "service": service or "", "party": party or "1", "day": day or ""}
        return await self._wait_form(request, values)

    @post("/waitlist", name="pickup_waitlist_join")
    async def wait_join(self, request: Request, data: Form) -> Template | Redirect:
        values: dict[str, Any] = {
            name: forms.text(data, name)
            for name in ("office", "service", "party", "day", "phone", "email", "language", "form_token")
        }
        values["slots"] = _many(data.get("slots"))
        party = forms.whole_number(data, "party") or 1
        numbers = [forms.text(data, f"notice_{n}") for n in range(min(party, settings_of(request).max_party_size))]
        values |= {f"notice_{n}": number for n, number in enumerate(numbers)}
        service = forms.whole_number(data, "service")
        day = _day(values["day"])
        if service is None or day is None:
            return await self._wait_form(request, values, {}, 422, _("Choose a day."))
        try:
            entry, _created = await join_waitlist(
                PickupWaitRequest(
                    service_id=service,
                    notice_numbers=tuple(numbers),
                    day=day,
                    slot_ids=tuple(int(v) for v in values["slots"] if v.isdigit()),
                    phone=values["phone"],
                    email=values["email"],
                    language=values["language"] or get_locale(),
                ),
                values["form_token"] or None,
            )
        except ValidationFailed as error:
            return await self._wait_form(request, values, error.fields, 422, error.message)
        except (Conflict, NotFound) as error:
            return await self._wait_form(request, values, {}, 409, error.message)
        return Redirect(path=f"/pickups/waitlist/{entry.code}?token={entry.token}&new=1", status_code=303)

    async def _entry_page(
        self,
        request: Request,
        entry: WaitEntry,
        token: str,
        *,
        new: bool = False,
        status_code: int = 200,
        message: str = "",
    ) -> Template:
        place = await list_place(entry.scope)
        times = await slot_times([*entry.slot_ids, *([entry.offered_slot] if entry.offered_slot else [])])
        return page(
            request,
            "public/pickup_waitlist_entry.html",
            status_code=status_code,
            entry=entry,
            token=token,
            code=display_code(entry.code),
            place=place,
            times=[times[i] for i in entry.slot_ids if i in times],
            offered=times.get(entry.offered_slot) if entry.offered_slot else None,
            held_until=held_until(entry.offer_expires_at) if entry.offer_expires_at else "",
            reservation=await entry_reservation(entry, token),
            new=new,
            message=message,
            service_label=service_label,
        )

    @get("/waitlist/{code:str}", name="pickup_waitlist_entry")
    async def wait_entry(
        self,
        request: Request,
        code: FromPath[str],
        token: FromQuery[str | None] = None,
        new: FromQuery[str | None] = None,
    ) -> Template:
        return await self._entry_page(request, await _pickup_entry(code, token), token or "", new=bool(new))

    @post("/waitlist/{code:str}/accept", name="pickup_waitlist_accept")
    async def wait_accept(
        self, request: Request, code: FromPath[str], token: FromQuery[str | None] = None
    ) -> Template | Redirect:
        entry = await _pickup_entry(code, token)
        try:
            details = (await accept(entry.code, token))[1]
        except Conflict as error:
            entry = await _pickup_entry(code, token)
            return await self._entry_page(request, entry, token or "", status_code=409, message=error.message)
        return Redirect(path=f"/pickups/{details.code}?token={details.manage_token}&new=1", status_code=303)

    @post("/waitlist/{code:str}/decline", name="pickup_waitlist_decline")
    async def wait_decline(
        self, request: Request, code: FromPath[str], token: FromQuery[str | None] = None
    ) -> Template | Redirect:
        return await self._finish(request, code, token, decline)

    @post("/waitlist/{code:str}/leave", name="pickup_waitlist_leave")
    async def wait_leave(
        self, request: Request, code: FromPath[str], token: FromQuery[str | None] = None
    ) -> Template | Redirect:
        return await self._finish(request, code, token, leave)

    async def _finish(self, request: Request, code: str, token: str | None, step: Any) -> Template | Redirect:
        entry = await _pickup_entry(code, token)
        try:
            await step(entry.code, token)
        except Conflict as error:
            entry = await _pickup_entry(code, token)
            return await self._entry_page(request, entry, token or "", status_code=409, message=error.message)
        return Redirect(path=f"/pickups/waitlist/{entry.code}?token={token}", status_code=303)

    # --- a reservation ------------------------------------------------------------------------------------------

    async def _manage(
        self,
        request: Request,
        details: PickupDetails,
        token: str,
        *,
        new: bool = False,
        changed: bool = False,
        day: dt.date | None = None,
        status_code: int = 200,
        message: str = "",
    ) -> Template:
        times = [
            t
            for t in await pickup_times(details.office_id, details.service_id, details.party_size)
            if t.id != details.slot_id
        ]
        days = _days(times)
        chosen = day if day in {d for d, _n in days} else None
        return page(
            request,
            "public/pickup.html",
            status_code=status_code,
            details=details,
            token=token,
            code=display_code(details.code),
            qr=qr_svg(details.code),
            new=new,
            changed=changed,
            days=days,
            day=chosen,
            times=[t for t in times if t.start.date() == chosen] if chosen else [],
            message=message,
            service_label=service_label,
            come_by=come_by,
            google_url=pickup_google_calendar_url(details),
        )

    @get("/{code:str}", name="manage_pickup")
    async def manage(
        self,
        request: Request,
        code: FromPath[str],
        token: FromQuery[str | None] = None,
        new: FromQuery[str | None] = None,
        changed: FromQuery[str | None] = None,
        day: FromQuery[str | None] = None,
    ) -> Template:
        details = await get_reservation(code, token)
        return await self._manage(request, details, token or "", new=bool(new), changed=bool(changed), day=_day(day))

    @post("/{code:str}/change", name="change_pickup")
    async def change(
        self, request: Request, code: FromPath[str], data: Form, token: FromQuery[str | None] = None
    ) -> Template | Redirect:
        details = await get_reservation(code, token)
        slot = forms.whole_number(data, "slot")
        if slot is None:
            return await self._manage(request, details, token or "", status_code=422, message=_("Choose a time."))
        try:
            await change_reservation(code, token, slot)
        except Conflict as error:
            return await self._manage(request, details, token or "", status_code=409, message=error.message)
        return Redirect(path=f"/pickups/{details.code}?token={token}&changed=1", status_code=303)

    @post("/{code:str}/cancel", name="cancel_pickup")
    async def cancel(self, code: FromPath[str], token: FromQuery[str | None] = None) -> Redirect:
        details = await cancel_reservation(code, token)
        return Redirect(path=f"/pickups/{details.code}?token={token}", status_code=303)

    @get("/{code:str}/slip.pdf", name="pickup_slip")
    async def slip(self, code: FromPath[str], token: FromQuery[str | None] = None) -> Response[bytes]:
        """The reservation slip as PDF in the resident's language, as a booking's (portal.public.booking): the token
        opens it, as the page's other links; the slip carries the code and its QR code for reception, never the
        manage link. Never kept by a cache: the controller says no-store for every answer."""
        details = await get_reservation(code, token)
        return Response(
            content=await flyer_jobs.render(resident_pickup_slip_pdf, details),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="pickup-{details.code}.pdf"'},
        )

    @get("/{code:str}/calendar.ics", name="pickup_calendar")
    async def calendar(self, code: FromPath[str], token: FromQuery[str | None] = None) -> Response[bytes]:
        details = await get_reservation(code, token)
        return Response(
            content=pickup_ics(details),
            media_type="text/calendar; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="pickup-{details.code}.ics"',
                "Cache-Control": "no-store",
            },
        )
