"""The counter's API types (hand-written msgspec Structs): offices with their live waiting times, a ticket's place
and the waiting-room board; and how counter.status's read model becomes them."""

from __future__ import annotations

import datetime as dt

import msgspec

from counter.status import Board, BoardCall, OfficeStatus, ServiceStatus, TicketPlace


class OfficeServiceOut(msgspec.Struct):
    service: str  # pickup | certificate | pin_reset | application | other
    waiting: int  # tickets waiting now
    # minutes a person taking a ticket now may expect to wait (whole minutes, rounded up); null while closed
    estimated_wait_minutes: int | None
    letter: str  # the prefix of its ticket numbers (A for A-012)
    level: str  # the colour by the office's thresholds: low | amber | red | closed
    windows: int  # windows serving it now


class OfficeOut(msgspec.Struct):
    id: int
    name: str
    open_now: bool
    services: list[OfficeServiceOut]
    updated_at: dt.datetime
    code: str
    name_en: str
    opens: str | None  # today's hours (HH:MM, Japan time); null when closed all day
    closes: str | None
    amber_minutes: int
    red_minutes: int
    url: str
    board_url: str


class CallOut(msgspec.Struct):
    number: str
    window: int
    service: str
    called_at: dt.datetime
    recalls: int


class BoardOut(msgspec.Struct):
    office_id: int
    name: str
    name_en: str
    open_now: bool
    now_calling: list[CallOut]  # the ticket each window calls now, by window
    recent: list[CallOut]  # the latest calls, newest first
    updated_at: dt.datetime


class TicketOut(msgspec.Struct):
    code: str
    number: str
    service: str
    office_id: int
    office_name: str
    state: str  # waiting | called | served | absent | cancelled
    current: bool  # false for a ticket of an earlier day
    ahead: int | None  # tickets called before it (waiting tickets only)
    estimated_wait_minutes: int | None  # its remaining wait, never the time already waited (waiting tickets only)
    window: int | None  # the window to go to once called
    called_at: dt.datetime | None
    recalls: int
    updated_at: dt.datetime


def _hm(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def service_out(service: ServiceStatus) -> OfficeServiceOut:
    return OfficeServiceOut(
        service=service.kind,
        waiting=service.waiting,
        estimated_wait_minutes=service.estimated_wait_minutes,
        letter=service.letter,
        level=service.level,
        windows=service.windows,
    )


def office_out(office: OfficeStatus, base_url: str) -> OfficeOut:
    return OfficeOut(
        id=office.id,
        name=office.name,
        open_now=office.open_now,
        services=[service_out(service) for service in office.services],
        updated_at=office.updated_at,
        code=office.code,
        name_en=office.name_en,
        opens=_hm(office.hours.opens),
        closes=_hm(office.hours.closes),
        amber_minutes=office.amber_minutes,
        red_minutes=office.red_minutes,
        url=f"{base_url}/offices#office-{office.id}",
        board_url=f"{base_url}/offices/{office.id}/board",
    )


def call_out(call: BoardCall) -> CallOut:
    return CallOut(
        number=call.number, window=call.window, service=call.kind, called_at=call.called_at, recalls=call.recalls
    )


def board_out(board: Board) -> BoardOut:
    return BoardOut(
        office_id=board.office.id,
        name=board.office.name,
        name_en=board.office.name_en,
        open_now=board.office.open_now,
        now_calling=[call_out(call) for call in board.now_calling],
        recent=[call_out(call) for call in board.recent],
        updated_at=board.updated_at,
    )


def ticket_out(place: TicketPlace) -> TicketOut:
    return TicketOut(
        code=place.code,
        number=place.number,
        service=place.kind,
        office_id=place.office_id,
        office_name=place.office_name,
        state=place.state,
        current=place.current,
        ahead=place.ahead,
        estimated_wait_minutes=place.estimated_wait_minutes,
        window=place.window,
        called_at=place.called_at,
        recalls=place.recalls,
        updated_at=place.updated_at,
    )
