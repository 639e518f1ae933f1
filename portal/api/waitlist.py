"""The public JSON API of the booths' waiting lists (空きが出たら知らせる, DESIGN §5): join a full booth's list, read
the entry, accept or decline its offer, leave the list, by code and token."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from booking.booth_waitlist import (
    accept_booth_offer,
    booth_entry,
    decline_booth_offer,
    join_booth,
    leave_booth_list,
    offered_times,
)
from booking.waitlist import WaitEntry, WaitRequest
from portal.api.bookings import strictly
from portal.api.responses import ApiOperation, error_responses
from portal.api.schemas import BookingOut, booking_out
from portal.api.waitlist_schemas import WaitlistIn, WaitlistOut, waitlist_out

ENTRY_404 = "Not found: no such entry, or a wrong token (no hint which)."
JOIN_ERRORS = {
    404: "Not found: no booth has this id.",
    409: "Conflict: a time asked for has room for the party now (book it instead), no time of the day can still be "
    "booked online, the booth takes no bookings, or the contact already waits on this list.",
}
ACCEPT_ERRORS = {
    404: ENTRY_404,
    409: "Conflict: nothing is offered (yet), or the offer expired, was declined, or the entry left the list or was "
    "closed; the detail says which.",
}
FINISH_ERRORS = {
    404: ENTRY_404,
    409: "Conflict: the entry can no longer change that way (declining when nothing is offered, leaving after "
    "booking); the detail says which.",
}
Token = Annotated[str | None, QueryParameter(name="token", description="the secret of the entry's link")]


def wait_request(data: WaitlistIn, language: str | None) -> WaitRequest:
    return WaitRequest(
        scope=data.session_id,
        name_kana=data.name_kana,
        party_size=data.party_size,
        slot_ids=tuple(data.slot_ids or ()),
        phone=data.phone or "",
        email=data.email or "",
        language=data.language or language or "ja",
    )


async def entry_out(entry: WaitEntry) -> WaitlistOut:
    return waitlist_out(entry, await offered_times(entry))


class WaitlistApi(Controller):
    """Waiting lists of full booths: join one (idempotent with the Idempotency-Key header), then read the entry,
    accept or decline an offer, or leave, with the token of the entry's link."""

    path = "/api/waitlist"
    tags = ["waiting lists"]
    cache_control = CacheControlHeader(no_store=True)  # personal data and the link's token: never kept

    @post(
        "/",
        summary="Wait for a freed place at a full booth",
        status_code=201,
        responses=error_responses(404, 409, 413, 422, 429, descriptions=JOIN_ERRORS),
        operation_class=ApiOperation,
    )
    async def join(
        self,
        request: Request,
        data: JSONBody[WaitlistIn],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key", max_length=200)] = None,
    ) -> Response[WaitlistOut]:
        from core.i18n import get_locale

        data = await strictly(request, WaitlistIn)
        entry, created = await join_booth(data.session_id, wait_request(data, get_locale()), idempotency_key)
        return Response(
            await entry_out(entry), status_code=201, headers={} if created else {"Idempotent-Replayed": "true"}
        )

    @get(
        "/{code:str}",
        summary="A waiting list entry, with its token",
        responses=error_responses(404, 429, descriptions={404: ENTRY_404}),
        operation_class=ApiOperation,
    )
    async def read(self, code: FromPath[str], token: Token = None) -> WaitlistOut:
        return await entry_out(await booth_entry(code, token))

    @post(
        "/{code:str}/accept",
        summary="Accept the offer: book the held places",
        status_code=201,
        responses={
            200: ResponseSpec(
                data_container=BookingOut,
                description="Accepted before: the same booking (never a second one).",
                generate_examples=False,
            ),
            **error_responses(404, 409, 429, descriptions=ACCEPT_ERRORS),
        },
        operation_class=ApiOperation,
    )
    async def accept(self, code: FromPath[str], token: Token = None) -> Response[BookingOut]:
        details, created = await accept_booth_offer(code, token)
        return Response(booking_out(details), status_code=201 if created else 200)

    @post(
        "/{code:str}/decline",
        summary="Decline the offer: the places go to the next entry",
        status_code=200,
        responses=error_responses(404, 409, 429, descriptions=FINISH_ERRORS),
        operation_class=ApiOperation,
    )
    async def decline(self, code: FromPath[str], token: Token = None) -> WaitlistOut:
        return await entry_out(await decline_booth_offer(code, token))

    @post(
        "/{code:str}/leave",
        summary="Leave the waiting list",
        status_code=200,
        responses=error_responses(404, 409, 429, descriptions=FINISH_ERRORS),
        operation_class=ApiOperation,
    )
    async def leave(self, code: FromPath[str], token: Token = None) -> WaitlistOut:
        return await entry_out(await leave_booth_list(code, token))
