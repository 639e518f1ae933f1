"""Residents' booking pages: the booking form, the confirmation and manage page behind the secret link (view,
move, cancel), the booking slip (PDF), the calendar entry, and finding a booking again by code and contact."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from booking.bookings import (
    INTERPRETER_LANGUAGES,
    BookingRequest,
    SlotFull,
    cancel_booking,
    create_booking,
    get_booking,
    move_booking,
    reissue_manage_link,
)
from booking.booth_waitlist import waitable
from booking.codes import display_code
from booking.schemas import Needs
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import get_locale
from core.i18n import gettext as _
from portal.documents import flyer_jobs
from portal.documents.calendar_entry import booking_ics, google_calendar_url
from portal.documents.qr import qr_svg
from portal.documents.slip import booking_slip_pdf
from portal.web import forms
from portal.web.app_settings import settings_of
from portal.web.ids import QueryId
from portal.web.templating import page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def form_values(form: dict[str, Any]) -> dict[str, Any]:
    """What the resident typed, to show the form again after an error."""
    return {
        name: forms.text(form, name)
        for name in (
            "name_kana",
            "phone",
            "email",
            "party_size",
            "interpreter",
            "language",
            "slot",
            "form_token",
            "src",
        )
    } | {
        name: forms.checkbox(form, name)
        for name in ("wheelchair", "large_print", "photo_id", "notification_card", "not_moving", "guardian")
    }


def request_from_form(form: dict[str, Any], slot_id: int) -> BookingRequest:
    return BookingRequest(
        slot_id=slot_id,
        name_kana=forms.text(form, "name_kana"),
        phone=forms.text(form, "phone"),
        email=forms.text(form, "email"),
        party_size=forms.whole_number(form, "party_size") or 0,  # 0: refused with the party size's message
        language=forms.text(form, "language") or get_locale(),
        needs=Needs(
            forms.checkbox(form, "wheelchair"), forms.checkbox(form, "large_print"), forms.text(form, "interpreter")
        ),
        readiness={
            key: forms.checkbox(form, key) for key in ("photo_id", "notification_card", "not_moving", "guardian")
        },
        source=forms.text(form, "src"),
    )


class BookingFormController(Controller):
    """The booking form of a booth."""

    path = "/booths/{session_id:int}/book"
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
        alternatives: list | None = None,
        refused: int | None = None,
    ) -> Template:
        booth = await request.app.state.booths.booth(session_id)
        if booth is None:
            raise NotFound(_("This booth does not exist."))
        values.setdefault("form_token", secrets.token_urlsafe(16))
        values.setdefault("language", get_locale())
        max_party = settings_of(request).max_party_size
        party = forms.whole_number(values, "party_size") or 1
        # The times offered: this booth's that still have room (as last read; not the time just refused), then the
        # alternatives at other booths; those without room for the party chosen are hidden (static/js/party-fit.js
        # shows them when the party changes).
        offered = [slot for slot in booth.slots if slot.room > 0 and slot.id != refused]
        offered += [slot for slot in alternatives or [] if slot.id not in {s.id for s in booth.slots}]
        return page(
            request,
            "public/book.html",
            status_code=status_code,
            booth=booth,
            values=values,
            errors=errors,
            message=message,
            alternatives=alternatives or [],
            offered=offered,
            party=party,
            family_room=min(max_party, max((s.room for s in offered if s.room > s.remaining), default=0)),
            # a full time refused (409) can be waited for: 空きが出たら知らせる
            waitable_ids=(wait_ids := {slot.id for slot in waitable(booth)}),
            wait_slot=refused if refused in wait_ids else None,
            interpreter_languages=INTERPRETER_LANGUAGES,
            # the party sizes some offered time takes (and the one chosen, so that the form keeps it)
            max_party=min(max_party, max([party, *(slot.room for slot in offered)])),
        )

    @get("/", name="booking_form")
    async def show(
        self,
        request: Request,
        session_id: FromPath[int],
        slot: QueryId = None,
        src: FromQuery[str | None] = None,
    ) -> Template:
        return await self._form(request, session_id, {"slot": str(slot or ""), "src": src or "", "party_size": "1"}, {})

    @post("/", name="booking_submit")
    async def submit(self, request: Request, session_id: FromPath[int], data: Form) -> Template | Redirect:
        values = form_values(data)
        slot = forms.whole_number(data, "slot")
        if slot is None:
            return await self._form(
                request, session_id, values, {"slot": _("Choose a time.")}, 422, _("Please correct the marked fields.")
            )
        try:
            details, _created = await create_booking(
                request_from_form(data, slot), values["form_token"], booths=request.app.state.booths
            )
        except ValidationFailed as error:
            return await self._form(request, session_id, values, error.fields, 422, error.message)
        except SlotFull as error:  # said once, above the times that have room for the whole party
            return await self._form(request, session_id, values, {}, 409, error.message, error.alternatives, slot)
        except Conflict as error:
            return await self._form(request, session_id, values, {}, 409, error.message)
        return Redirect(path=f"/bookings/{details.code}?token={details.manage_token}&new=1", status_code=303)


class ManageController(Controller):
    """A booking behind its secret link: view, move, cancel, slip, calendar entry."""

    path = "/bookings"
    include_in_schema = False
    cache_control = CacheControlHeader(no_store=True)  # personal data: never kept by browsers or proxies

    @get("/find", name="find_booking")
    async def find_form(self, request: Request, code: FromQuery[str | None] = None) -> Template:
        return page(request, "public/find.html", values={"code": (code or "")[:40]}, errors={}, message="")

    @post("/find", name="find_booking_submit")
    async def find(self, request: Request, data: Form) -> Template | Redirect:
        """A new manage link for the code and contact (the old link stops working), opened at once."""
        values = {"code": forms.text(data, "code"), "contact": forms.text(data, "contact")}
        try:
            details = await reissue_manage_link(values["code"], values["contact"])
        except ValidationFailed as error:
            return page(
                request, "public/find.html", status_code=422, values=values, errors=error.fields, message=error.message
            )
        return Redirect(path=f"/bookings/{details.code}?token={details.manage_token}&reissued=1", status_code=303)

    @get("/{code:str}", name="manage_booking")
    async def manage(
        self,
        request: Request,
        code: FromPath[str],
        token: FromQuery[str | None] = None,
        new: FromQuery[str | None] = None,
        moved: FromQuery[str | None] = None,
        reissued: FromQuery[str | None] = None,
        booth: QueryId = None,
    ) -> Template:
        details = await get_booking(code, token)
        return await self._manage(
            request,
            details,
            token or "",
            new=bool(new),
            moved=bool(moved),
            reissued=bool(reissued),
            chosen_booth=booth,
        )

    async def _manage(
        self,
        request: Request,
        details,
        token: str,
        *,
        new: bool = False,
        moved: bool = False,
        reissued: bool = False,
        chosen_booth: int | None = None,
        status_code: int = 200,
        message: str = "",
        alternatives: list | None = None,
    ) -> Template:
        booths = [
            b
            for b in await request.app.state.booths.booths()
            if b.largest_party >= details.party_size or b.id == details.booth.id
        ]
        chosen = chosen_booth or details.booth.id
        move_booth = await request.app.state.booths.booth(chosen)
        return page(
            request,
            "public/booking.html",
            status_code=status_code,
            details=details,
            token=token,
            new=new,
            moved=moved,
            reissued=reissued,
            code=display_code(details.code),
            qr=qr_svg(details.code),
            booths=booths,
            move_booth=move_booth,
            message=message,
            alternatives=alternatives or [],
            google_url=google_calendar_url(details),
        )

    @post("/{code:str}/move", name="move_booking")
    async def move(
        self, request: Request, code: FromPath[str], data: Form, token: FromQuery[str | None] = None
    ) -> Template | Redirect:
        slot = forms.whole_number(data, "slot")
        details = await get_booking(code, token)
        if slot is None:
            return await self._manage(request, details, token or "", status_code=422, message=_("Choose a time."))
        try:
            await move_booking(code, token, slot)
        except SlotFull as error:
            return await self._manage(
                request, details, token or "", status_code=409, message=error.message, alternatives=error.alternatives
            )
        except Conflict as error:
            return await self._manage(request, details, token or "", status_code=409, message=error.message)
        return Redirect(path=f"/bookings/{details.code}?token={token}&moved=1", status_code=303)

    @get("/{code:str}/cancel", name="cancel_booking_confirm")
    async def confirm_cancel(
        self, request: Request, code: FromPath[str], token: FromQuery[str | None] = None
    ) -> Template:
        details = await get_booking(code, token)
        return page(request, "public/cancel.html", details=details, token=token, code=display_code(details.code))

    @post("/{code:str}/cancel", name="cancel_booking")
    async def cancel(self, request: Request, code: FromPath[str], token: FromQuery[str | None] = None) -> Redirect:
        details = await cancel_booking(code, token)
        return Redirect(path=f"/bookings/{details.code}?token={token}", status_code=303)

    @get("/{code:str}/slip.pdf", name="booking_slip")
    async def slip(self, code: FromPath[str], token: FromQuery[str | None] = None) -> Response:
        """The booking slip 予約票 as PDF, rendered in the flyer threads (WeasyPrint, about 0.15 s): never on the
        event loop, and never more than two at a time per worker, flyers included."""
        details = await get_booking(code, token)
        return Response(
            content=await flyer_jobs.render(booking_slip_pdf, details),
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="booking-{details.code}.pdf"',
                "Cache-Control": "no-store",
            },
        )

    @get("/{code:str}/calendar.ics", name="booking_calendar")
    async def calendar(self, code: FromPath[str], token: FromQuery[str | None] = None) -> Response:
        details = await get_booking(code, token)
        return Response(
            content=booking_ics(details),
            media_type="text/calendar; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="booking-{details.code}.ics"',
                "Cache-Control": "no-store",
            },
        )
