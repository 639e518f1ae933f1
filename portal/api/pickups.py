"""The public JSON API of pickup reservations (交付予約): the offices and times that take them, reserve one
(idempotent with the Idempotency-Key header), read, change or cancel it with its code and token; wait for a full day
(空きが出たら知らせる) and accept, decline or leave with the entry's code and token."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from msgspec import Meta

from booking.waitlist import MAX_SLOT_IDS, WaitEntry, accept, decline, get_entry, leave
from core.db import MAX_ID
from core.errors import NotFound
from core.i18n import get_locale
from core.i18n import gettext as _
from counter.offices import service_label
from counter.pickup_slots import PickupOffice, PickupTime, pickup_offices, pickup_times
from counter.pickup_waitlist import KIND, PickupWaitRequest, entry_url, join_waitlist
from counter.pickups import (
    MAX_TYPED,
    PickupDetails,
    PickupRequest,
    cancel_reservation,
    change_reservation,
    get_reservation,
    reserve,
)
from portal.api.bookings import strictly
from portal.api.responses import ApiOperation, error_responses
from portal.web.ids import Id


class PickupServiceOut(msgspec.Struct):
    id: int
    service: str  # pickup | certificate | pin_reset | ...
    name: str  # in the caller's language
    minutes_per_person: float


class PickupOfficeOut(msgspec.Struct):
    id: int
    name: str
    name_en: str
    services: list[PickupServiceOut]


class PickupTimeOut(msgspec.Struct):
    id: int
    start: dt.datetime
    end: dt.datetime
    capacity: int
    remaining: int


class PickupIn(msgspec.Struct):
    """A pickup reservation: the 交付通知書 number of each person coming (10 digits; never the My Number, never a
    birth date), a phone or an email (at least one) and the language. Types are strict."""

    slot_id: Id
    notice_numbers: Annotated[
        list[Annotated[str, Meta(max_length=MAX_TYPED["notice_number"])]],
        Meta(min_length=1, max_length=20, description="the 10-digit number on each person's notice"),
    ]
    phone: Annotated[str, Meta(max_length=MAX_TYPED["phone"], description="a Japanese phone number")] | None = None
    email: Annotated[str, Meta(max_length=MAX_TYPED["email"], description="one email address")] | None = None
    language: Annotated[str, Meta(max_length=MAX_TYPED["language"], description="ja, en, ja-easy, ...")] | None = None


class PickupWaitIn(msgspec.Struct):
    """Wait for a full day of a service (空きが出たら知らせる): what a reservation needs, and the times that suit
    (``slot_ids``; none: any time of ``day``). ``day`` may be left out when ``slot_ids`` name the day."""

    service_id: Id
    notice_numbers: Annotated[
        list[Annotated[str, Meta(max_length=MAX_TYPED["notice_number"])]],
        Meta(min_length=1, max_length=20, description="the 10-digit number on each person's notice"),
    ]
    day: dt.date | None = None
    slot_ids: Annotated[list[Id], Meta(max_length=MAX_SLOT_IDS)] | None = None
    phone: Annotated[str, Meta(max_length=MAX_TYPED["phone"], description="a Japanese phone number")] | None = None
    email: Annotated[str, Meta(max_length=MAX_TYPED["email"], description="one email address")] | None = None
    language: Annotated[str, Meta(max_length=MAX_TYPED["language"], description="ja, en, ja-easy, ...")] | None = None


class PickupWaitOut(msgspec.Struct):
    """A waiting-list entry; ``token`` and ``link`` only for the caller that holds the token."""

    code: str
    token: str
    link: str
    state: str  # waiting | offered | booked | declined | expired | left | closed
    service_id: int
    day: dt.date
    slot_ids: list[int]
    party_size: int
    offered_slot: int | None
    offer_expires_at: dt.datetime | None
    reservation_code: str


class PickupChangeIn(msgspec.Struct):
    slot_id: Id


class PickupOut(msgspec.Struct):
    code: str
    token: str
    manage_url: str
    state: str
    office_id: int
    office_name: str
    service: str
    service_name: str
    slot_id: int
    start: dt.datetime
    end: dt.datetime
    party_size: int
    notice_numbers: list[str]
    phone: str
    email: str
    language: str


def office_out(office: PickupOffice) -> PickupOfficeOut:
    return PickupOfficeOut(
        id=office.id,
        name=office.name,
        name_en=office.name_en,
        services=[PickupServiceOut(s.id, s.kind, service_label(s.kind), s.minutes_per_person) for s in office.services],
    )


def time_out(time: PickupTime) -> PickupTimeOut:
    return PickupTimeOut(time.id, time.start, time.end, time.capacity, time.remaining)


def pickup_out(details: PickupDetails) -> PickupOut:
    return PickupOut(
        code=details.code,
        token=details.manage_token,
        manage_url=details.manage_url,
        state=details.state,
        office_id=details.office_id,
        office_name=details.office_name,
        service=details.service_kind,
        service_name=service_label(details.service_kind),
        slot_id=details.slot_id,
        start=details.start,
        end=details.end,
        party_size=details.party_size,
        notice_numbers=list(details.notice_numbers),
        phone=details.phone,
        email=details.email,
        language=details.language,
    )


def wait_out(entry: WaitEntry) -> PickupWaitOut:
    return PickupWaitOut(
        code=entry.code,
        token=entry.token,
        link=entry_url(entry.code, entry.token) if entry.token else "",
        state=entry.state,
        service_id=entry.scope,
        day=entry.day,
        slot_ids=list(entry.slot_ids),
        party_size=entry.party_size,
        offered_slot=entry.offered_slot,
        offer_expires_at=entry.offer_expires_at,
        reservation_code=entry.booking_code,
    )


async def _pickup_entry(code: str, token: str | None) -> WaitEntry:
    """A pickup list's entry opened with its token (an entry of another kind is not found here)."""
    entry = await get_entry(code, token)
    if entry.kind != KIND:
        raise NotFound(
            _("This waiting list entry does not exist, or its link is incomplete. Open the link from your email again.")
        )
    return entry


Token = Annotated[str | None, QueryParameter(name="token", max_length=200)]


class PickupApi(Controller):
    """Pickup reservations at the counter (交付予約)."""

    path = "/api/pickups"
    tags = ["pickups"]
    cache_control = CacheControlHeader(no_store=True)  # personal data and live places: never kept

    @get("/offices", summary="Offices that take pickup reservations, with their services", operation_class=ApiOperation)
    async def offices(self) -> list[PickupOfficeOut]:
        return [office_out(office) for office in await pickup_offices()]

    @get(
        "/times",
        summary="The times of a service that can be reserved now for a party",
        responses=error_responses(422),
        operation_class=ApiOperation,
    )
    async def times(
        self,
        office: Annotated[int, QueryParameter(ge=1, le=MAX_ID)],
        service: Annotated[int, QueryParameter(ge=1, le=MAX_ID)],
        party: Annotated[int, QueryParameter(ge=1, le=100)] = 1,
    ) -> list[PickupTimeOut]:
        return [time_out(t) for t in await pickup_times(office, service, party)]

    @post(
        "/",
        summary="Reserve a time at the counter",
        status_code=201,
        responses=error_responses(404, 409, 413, 422, 429),
        operation_class=ApiOperation,
    )
    async def create(
        self,
        request: Request,
        data: JSONBody[PickupIn],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key", max_length=200)] = None,
    ) -> Response[PickupOut]:
        data = await strictly(request, PickupIn)
        details, created = await reserve(
            PickupRequest(
                slot_id=data.slot_id,
                notice_numbers=tuple(data.notice_numbers),
                phone=data.phone or "",
                email=data.email or "",
                language=data.language or get_locale(),
            ),
            idempotency_key,
        )
        return Response(
            pickup_out(details), status_code=201, headers={} if created else {"Idempotent-Replayed": "true"}
        )

    @get(
        "/{code:str}",
        summary="A reservation, with its token",
        responses=error_responses(404, 429),
        operation_class=ApiOperation,
    )
    async def read(self, code: FromPath[str], token: Token = None) -> PickupOut:
        return pickup_out(await get_reservation(code, token))

    @post(
        "/{code:str}/cancel",
        summary="Cancel a reservation",
        status_code=200,
        responses=error_responses(404, 409, 429),
        operation_class=ApiOperation,
    )
    async def cancel(self, code: FromPath[str], token: Token = None) -> PickupOut:
        return pickup_out(await cancel_reservation(code, token))

    @post(
        "/{code:str}/change",
        summary="Move a reservation to another time of the same service",
        status_code=200,
        responses=error_responses(404, 409, 413, 422, 429),
        operation_class=ApiOperation,
    )
    async def change(
        self, request: Request, code: FromPath[str], data: JSONBody[PickupChangeIn], token: Token = None
    ) -> PickupOut:
        data = await strictly(request, PickupChangeIn)
        return pickup_out(await change_reservation(code, token, data.slot_id))

    @post(
        "/waitlist",
        summary="Wait for a full day of a service (空きが出たら知らせる)",
        description="409 when a time asked for has room (reserve it instead) or the contact already waits.",
        status_code=201,
        responses=error_responses(404, 409, 413, 422, 429),
        operation_class=ApiOperation,
    )
    async def join_list(
        self,
        request: Request,
        data: JSONBody[PickupWaitIn],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key", max_length=200)] = None,
    ) -> Response[PickupWaitOut]:
        data = await strictly(request, PickupWaitIn)
        entry, created = await join_waitlist(
            PickupWaitRequest(
                service_id=data.service_id,
                notice_numbers=tuple(data.notice_numbers),
                day=data.day,
                slot_ids=tuple(data.slot_ids or ()),
                phone=data.phone or "",
                email=data.email or "",
                language=data.language or get_locale(),
            ),
            idempotency_key,
        )
        return Response(wait_out(entry), status_code=201, headers={} if created else {"Idempotent-Replayed": "true"})

    @get(
        "/waitlist/{code:str}",
        summary="A waiting-list entry, with its token",
        responses=error_responses(404, 429),
        operation_class=ApiOperation,
    )
    async def read_entry(self, code: FromPath[str], token: Token = None) -> PickupWaitOut:
        return wait_out(await _pickup_entry(code, token))

    @post(
        "/waitlist/{code:str}/accept",
        summary="Accept the offer: the held places become an ordinary reservation (once)",
        status_code=200,
        responses=error_responses(404, 409, 429),
        operation_class=ApiOperation,
    )
    async def accept_offer(self, code: FromPath[str], token: Token = None) -> PickupOut:
        await _pickup_entry(code, token)
        return pickup_out((await accept(code, token))[1])

    @post(
        "/waitlist/{code:str}/decline",
        summary="Decline the offer (the places go to the next person)",
        status_code=200,
        responses=error_responses(404, 409, 429),
        operation_class=ApiOperation,
    )
    async def decline_offer(self, code: FromPath[str], token: Token = None) -> PickupWaitOut:
        await _pickup_entry(code, token)
        return wait_out(await decline(code, token))

    @post(
        "/waitlist/{code:str}/leave",
        summary="Leave the waiting list",
        status_code=200,
        responses=error_responses(404, 409, 429),
        operation_class=ApiOperation,
    )
    async def leave_list(self, code: FromPath[str], token: Token = None) -> PickupWaitOut:
        await _pickup_entry(code, token)
        return wait_out(await leave(code, token))
