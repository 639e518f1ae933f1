"""The public JSON API (DESIGN §5): published sessions, their slots, and bookings by code and token."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from booking.bookings import BookingRequest, cancel_booking, create_booking, get_booking, move_booking
from booking.booths import BoothFilter, filter_booths, with_distance
from booking.codes import manage_token
from booking.schemas import BookingDetails, Booth, BoothSlot, Needs
from booking.walkins import LiveStatus
from core.errors import ValidationFailed
from core.i18n import gettext as _
from core.settings import get_settings


class VenueOut(msgspec.Struct):
    id: str
    name: str
    name_en: str
    address: str
    lat: float
    lon: float
    wheelchair: bool
    barrier_free_toilet: bool
    accessible_route: bool
    priority_parking: bool


class SlotOut(msgspec.Struct):
    id: int
    start: dt.datetime
    end: dt.datetime
    capacity: int
    remaining: int


class LiveOut(msgspec.Struct):
    """A booth's situation on its day (booking.walkins.LiveStatus): places, walk-in queue and estimated wait."""

    as_of: dt.datetime
    phase: str  # before | open | closed
    open_places: int  # places not booked in the slots that have not started
    due_parties: int  # booked parties still expected
    released_places: int  # places of late parties given to walk-ins
    waiting_parties: int  # walk-in parties waiting or called
    waiting_people: int
    wait_minutes: int | None  # estimated wait of a party joining the queue now; null: longer than the day
    now_serving: int | None  # the last queue number called


class SessionOut(msgspec.Struct, omit_defaults=True):
    id: int
    date: dt.date
    start: str
    end: str
    day_type: str
    state: str
    venue_id: str
    venue_name: str
    lat: float
    lon: float
    venue: VenueOut
    capacity: int
    remaining: int
    url: str
    distance_km: float | None = None
    slots: list[SlotOut] | None = None
    live: LiveOut | None = None  # only for a booth held today, only in GET /api/sessions/{id}


class NeedsIn(msgspec.Struct):
    wheelchair: bool = False
    large_print: bool = False
    interpreter: str = ""


class BookingIn(msgspec.Struct):
    """A booking request: a phone or an email (at least one), never anything else about the person."""

    slot_id: int
    name_kana: str
    party_size: int = 1
    phone: str | None = None
    email: str | None = None
    language: str | None = None
    needs: NeedsIn | None = None
    readiness: dict[str, bool] | None = None
    source: str | None = None


class MoveIn(msgspec.Struct):
    slot_id: int


class BookingOut(msgspec.Struct):
    code: str
    token: str
    manage_url: str
    state: str
    slot_id: int
    session_id: int
    start: dt.datetime
    end: dt.datetime
    party_size: int
    name_kana: str
    phone: str
    email: str
    language: str
    needs: NeedsIn
    venue_name: str
    address: str


def slot_out(slot: BoothSlot) -> SlotOut:
    return SlotOut(id=slot.id, start=slot.start, end=slot.end, capacity=slot.capacity, remaining=slot.remaining)


def session_out(booth: Booth, with_slots: bool = False) -> SessionOut:
    return SessionOut(
        id=booth.id,
        date=booth.date,
        start=booth.start.strftime("%H:%M"),
        end=booth.end.strftime("%H:%M"),
        day_type=booth.day_type,
        state=booth.state,
        venue_id=booth.venue_id,
        venue_name=booth.venue_name,
        lat=booth.lat,
        lon=booth.lon,
        venue=VenueOut(
            id=booth.venue_id,
            name=booth.venue_name,
            name_en=booth.venue_name_en,
            address=booth.address,
            lat=booth.lat,
            lon=booth.lon,
            wheelchair=booth.wheelchair,
            barrier_free_toilet=booth.barrier_free_toilet,
            accessible_route=booth.accessible_route,
            priority_parking=booth.priority_parking,
        ),
        capacity=sum(slot.capacity for slot in booth.slots),
        remaining=booth.remaining,
        url=f"{get_settings().base_url}/booths/{booth.id}",
        distance_km=booth.distance_km,
        slots=[slot_out(slot) for slot in booth.slots] if with_slots else None,
    )


def live_out(live: LiveStatus) -> LiveOut:
    return LiveOut(
        as_of=live.as_of,
        phase=live.phase,
        open_places=live.open_places,
        due_parties=live.due_parties,
        released_places=live.released_places,
        waiting_parties=live.waiting_parties,
        waiting_people=live.waiting_people,
        wait_minutes=live.wait_minutes,
        now_serving=live.now_serving,
    )


def booking_out(details: BookingDetails) -> BookingOut:
    return BookingOut(
        code=details.code,
        token=manage_token(details.code),
        manage_url=details.manage_url,
        state=details.state,
        slot_id=details.slot_id,
        session_id=details.booth.id,
        start=details.slot_start,
        end=details.slot_end,
        party_size=details.party_size,
        name_kana=details.name_kana,
        phone=details.phone,
        email=details.email,
        language=details.language,
        needs=NeedsIn(details.needs.wheelchair, details.needs.large_print, details.needs.interpreter),
        venue_name=details.booth.venue_name,
        address=details.booth.address,
    )


def parse_near(near: str | None) -> tuple[float, float] | None:
    """``near=LAT,LON`` → (lat, lon); a malformed value is a 422 naming the parameter."""
    if not near:
        return None
    try:
        lat, lon = (float(part) for part in near.split(","))
    except ValueError:
        lat = lon = float("nan")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationFailed(
            _("near must be LAT,LON in degrees, e.g. 36.56,136.65."),
            {"near": _("near must be LAT,LON in degrees, e.g. 36.56,136.65.")},
        )
    return lat, lon


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


class SessionApi(Controller):
    """Published booths."""

    path = "/api/sessions"
    tags = ["sessions"]

    @get("/", summary="Published upcoming sessions (booths)")
    async def list_sessions(
        self,
        request: Request,
        date_from: Annotated[dt.date | None, QueryParameter(name="from", description="first date (YYYY-MM-DD)")] = None,
        date_to: Annotated[dt.date | None, QueryParameter(name="to", description="last date (YYYY-MM-DD)")] = None,
        near: Annotated[str | None, QueryParameter(description="LAT,LON: nearest first, with distance_km")] = None,
        limit: Annotated[int | None, QueryParameter(ge=1, le=1000)] = None,
        day_type: Annotated[str | None, QueryParameter(description="weekday or holiday")] = None,
    ) -> Response[list[SessionOut]]:
        point = parse_near(near)
        cache = request.app.state.booths
        booths = await cache.booths()

        def encode() -> bytes:
            chosen = filter_booths(booths, BoothFilter(date_from=date_from, date_to=date_to, day_type=day_type))
            if point:
                chosen = with_distance(chosen, *point)
            return msgspec.json.encode([session_out(b) for b in chosen[:limit]])

        body = cache.memo(("api.sessions", date_from, date_to, point, limit, day_type, get_settings().base_url), encode)
        return Response(content=body, media_type=MediaType.JSON)

    @get("/{session_id:int}", summary="One session with its slots")
    async def get_session(self, request: Request, session_id: FromPath[int]) -> SessionOut:
        from core.errors import NotFound

        cache = request.app.state.booths
        booth = await cache.booth(session_id)
        if booth is None:
            raise NotFound(_("This booth does not exist."))
        out = session_out(booth, with_slots=True)
        live = cache.live().get(booth.id)
        if live is not None:
            out.live = live_out(live)
        return out


class BookingApi(Controller):
    """Bookings: make one (idempotent with the Idempotency-Key header), read, move or cancel it with its token."""

    path = "/api/bookings"
    tags = ["bookings"]

    @post("/", summary="Book places in a slot", status_code=201)
    async def create(
        self,
        request: Request,
        data: JSONBody[BookingIn],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key", max_length=200)] = None,
    ) -> Response[BookingOut]:
        from core.i18n import get_locale

        details, created = await create_booking(
            booking_request(data, get_locale()), idempotency_key, booths=request.app.state.booths
        )
        return Response(
            booking_out(details), status_code=201, headers={} if created else {"Idempotent-Replayed": "true"}
        )

    @get("/{code:str}", summary="A booking, with its token")
    async def read(
        self, request: Request, code: FromPath[str], token: Annotated[str | None, QueryParameter(name="token")] = None
    ) -> BookingOut:
        return booking_out(await get_booking(code, token, request.app.state.booths))

    @post("/{code:str}/cancel", summary="Cancel a booking", status_code=200)
    async def cancel(
        self, request: Request, code: FromPath[str], token: Annotated[str | None, QueryParameter(name="token")] = None
    ) -> BookingOut:
        details = await cancel_booking(code, token, request.app.state.booths)
        return booking_out(details)

    @post("/{code:str}/move", summary="Move a booking to another slot", status_code=200)
    async def move(
        self,
        request: Request,
        code: FromPath[str],
        data: JSONBody[MoveIn],
        token: Annotated[str | None, QueryParameter(name="token")] = None,
    ) -> BookingOut:
        details = await move_booking(code, token, data.slot_id)
        return booking_out(details)


def json_error(status_code: int, detail: str, **extra: Any) -> Response:
    return Response(
        content={"status_code": status_code, "detail": detail, **extra},
        status_code=status_code,
        media_type=MediaType.JSON,
    )
