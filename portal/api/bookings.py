"""The public JSON API of bookings (DESIGN §5): book, read, move and cancel by code and token."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import ValidationException
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from booking.bookings import (
    BookingRequest,
    SlotFull,
    cancel_booking,
    create_booking,
    get_booking,
    move_booking,
)
from booking.schemas import Needs
from portal.api.responses import ApiOperation, error_responses
from portal.api.schemas import BookingIn, BookingOut, MoveIn, NeedsIn, booking_out
from portal.web.errors import full_slot_response

Body = TypeVar("Body", bound=msgspec.Struct)
_AT = re.compile(r"at `\$\.([^`\[]+)")


async def strictly(request: Request, kind: type[Body]) -> Body:
    """The JSON body decoded again with msgspec's strict rules, as the schema promises: Litestar converts what it
    parsed leniently ("2" becomes 2, "true" becomes True). The body is at most 8 KB and already read."""
    try:
        return msgspec.json.decode(await request.body(), type=kind)
    except msgspec.ValidationError as error:
        found = _AT.search(str(error))
        raise ValidationException(extra=[{"key": found.group(1) if found else "body"}]) from None


def booking_request(data: JSONBody[BookingIn], language: str | None) -> BookingRequest:
    needs = data.needs or NeedsIn()
    return BookingRequest(
        slot_id=data.slot_id,
        name_kana=data.name_kana,
        phone=data.phone or "",
        email=data.email or "",
        party_size=data.party_size,
        language=data.language or language or "ja",
        needs=Needs(needs.wheelchair, needs.large_print, needs.interpreter),
        readiness=data.readiness or {},
        source=data.source or "",
    )


class BookingApi(Controller):
    """Bookings: make one (idempotent with the Idempotency-Key header), read, move or cancel it with its token."""

    path = "/api/bookings"
    tags = ["bookings"]
    cache_control = CacheControlHeader(no_store=True)  # personal data: never kept by browsers or proxies

    @post(
        "/",
        summary="Book places in a slot",
        status_code=201,
        responses=error_responses(404, 409, 413, 422, 429),
        operation_class=ApiOperation,
    )
    async def create(
        self,
        request: Request,
        data: JSONBody[BookingIn],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key", max_length=200)] = None,
    ) -> Response[BookingOut]:
        from core.i18n import get_locale

        data = await strictly(request, BookingIn)
        try:
            details, created = await create_booking(
                booking_request(data, get_locale()), idempotency_key, booths=request.app.state.booths
            )
        except SlotFull as full:  # answered here, not by the exception handlers: a rush on a full slot is mostly this
            return full_slot_response(409, full.message, full.alternatives)
        return Response(
            booking_out(details), status_code=201, headers={} if created else {"Idempotent-Replayed": "true"}
        )

    @get(
        "/{code:str}",
        summary="A booking, with its token",
        responses=error_responses(404, 429),
        operation_class=ApiOperation,
    )
    async def read(
        self, request: Request, code: FromPath[str], token: Annotated[str | None, QueryParameter(name="token")] = None
    ) -> BookingOut:
        return booking_out(await get_booking(code, token, request.app.state.booths))

    @post(
        "/{code:str}/cancel",
        summary="Cancel a booking",
        status_code=200,
        responses=error_responses(404, 409, 429),
        operation_class=ApiOperation,
    )
    async def cancel(
        self, request: Request, code: FromPath[str], token: Annotated[str | None, QueryParameter(name="token")] = None
    ) -> BookingOut:
        details = await cancel_booking(code, token, request.app.state.booths)
        return booking_out(details)

    @post(
        "/{code:str}/move",
        summary="Move a booking to another slot",
        status_code=200,
        responses=error_responses(404, 409, 413, 422, 429),
        operation_class=ApiOperation,
    )
    async def move(
        self,
        request: Request,
        code: FromPath[str],
        data: JSONBody[MoveIn],
        token: Annotated[str | None, QueryParameter(name="token")] = None,
    ) -> BookingOut:
        details = await move_booking(code, token, (await strictly(request, MoveIn)).slot_id)
        return booking_out(details)


def json_error(status_code: int, detail: str, **extra: Any) -> Response:
    return Response(
        content={"status_code": status_code, "detail": detail, **extra},
        status_code=status_code,
        media_type=MediaType.JSON,
    )
