"""The counter's offices (窓口), their services and their opening days: lookups, "open now" by the business calendar
(Japan time), and the staff's edits of offices, services and designated days (each audited).

An office opens on every weekday (平日) that is not a national holiday and not 12/29–1/3 when ``opens_weekdays``;
an ``OfficeDay`` adds a designated opening (e.g. a Saturday in March) or closes a weekday, with its own hours or the
office's. 12/29–1/3 is closed whatever the days say (年末年始)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core import calendar, clock
from core.audit import record_event
from core.db import MAX_ID, write_transaction
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.i18n import N_
from core.i18n import gettext as _
from core.roles import EDITORS
from core.users import Actor
from counter.tables import CounterService, Office, OfficeDay, ServiceKind
from venues.tables import Venue

SERVICE_LABELS: dict[ServiceKind, str] = {
    ServiceKind.pickup: N_("Card pickup"),
    ServiceKind.certificate: N_("Electronic certificates (issue or renewal)"),
    ServiceKind.pin_reset: N_("PIN reset"),
    ServiceKind.application: N_("Card application"),
    ServiceKind.other: N_("Other procedures"),
}
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
LETTER_PATTERN = re.compile(r"^[A-Z]{1,2}$")
HOURS_PATTERN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class OfficeInfo:
    """An office as the counter's pages and commands use it."""

    id: int
    code: str
    name: str
    name_en: str
    opens: dt.time
    closes: dt.time
    opens_weekdays: bool
    pickup_enabled: bool
    amber_minutes: int
    red_minutes: int
    active: bool


@dataclass(frozen=True)
class ServiceInfo:
    """A service of an office (交付, 電子証明書, 暗証番号, 申請, その他)."""

    id: int
    office_id: int
    kind: ServiceKind
    letter: str
    minutes_per_person: float
    windows: int
    reservable: bool
    active: bool


@dataclass(frozen=True)
class DayInfo:
    """A designated day of an office: an opening (休日開庁) or a closure, with its own hours or ""."""

    id: int
    office_id: int
    date: dt.date
    open: bool
    opens: str
    closes: str
    note: str


@dataclass(frozen=True)
class Opening:
    """When an office opens on one date (Japan time)."""

    date: dt.date
    opens: dt.datetime
    closes: dt.datetime

    def covers(self, moment: dt.datetime) -> bool:
        return self.opens <= moment < self.closes


def parse_hours(value: str) -> dt.time:
    """``HH:MM`` as a time."""
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def _office(row: dict[str, Any]) -> OfficeInfo:
    return OfficeInfo(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        name_en=row["name_en"],
        opens=parse_hours(row["opens"]),
        closes=parse_hours(row["closes"]),
        opens_weekdays=row["opens_weekdays"],
        pickup_enabled=row["pickup_enabled"],
        amber_minutes=row["amber_minutes"],
        red_minutes=row["red_minutes"],
        active=row["active"],
    )


def _service(row: dict[str, Any]) -> ServiceInfo:
    return ServiceInfo(
        id=row["id"],
        office_id=row["office"],
        kind=ServiceKind(row["kind"]),
        letter=row["letter"],
        minutes_per_person=row["minutes_per_person"],
        windows=row["windows"],
        reservable=row["reservable"],
        active=row["active"],
    )


def _day(row: dict[str, Any]) -> DayInfo:
    return DayInfo(
        id=row["id"],
        office_id=row["office"],
        date=row["date"],
        open=row["open"],
        opens=row["opens"],
        closes=row["closes"],
        note=row["note"],
    )


def _office_columns() -> list[Any]:
    return [
        Office.id,
        Office.code,
        Office.name,
        Office.name_en,
        Office.opens,
        Office.closes,
        Office.opens_weekdays,
        Office.pickup_enabled,
        Office.amber_minutes,
        Office.red_minutes,
        Office.active,
    ]


def service_label(kind: ServiceKind | str) -> str:
    """The translated name of a service (交付, 電子証明書の発行・更新, 暗証番号の再設定, 申請, その他)."""
    return _(SERVICE_LABELS[ServiceKind(kind)])


# --- lookups ---------------------------------------------------------------------------------------------------------


def _unknown_office(reference: str | int) -> NotFound:
    return NotFound(_("There is no office {office}.").format(office=reference))


async def get_office(reference: str | int) -> OfficeInfo:
    """An office by its code (``CITYHALL``) or its id; NotFound otherwise (inactive offices included)."""
    row = None
    if isinstance(reference, str):
        row = await Office.select(*_office_columns()).where(Office.code == reference.strip()).first()
        if row is None and reference.strip().isascii() and reference.strip().isdecimal():
            reference = int(reference.strip())
    if row is None and isinstance(reference, int) and 0 < reference <= MAX_ID:
        row = await Office.select(*_office_columns()).where(Office.id == reference).first()
    if row is None:
        raise _unknown_office(reference)
    return _office(row)


async def list_offices(active_only: bool = True) -> list[OfficeInfo]:
    """The offices in the order they were added."""
    query = Office.select(*_office_columns()).order_by(Office.id)
    if active_only:
        query = query.where(Office.active.eq(True))
    return [_office(row) for row in await query]


async def office_services(office_id: int, active_only: bool = True) -> list[ServiceInfo]:
    """An office's services, in the order they were added."""
    query = CounterService.select().where(CounterService.office == office_id).order_by(CounterService.id)
    if active_only:
        query = query.where(CounterService.active.eq(True))
    return [_service(row) for row in await query]


async def get_service(service_id: int) -> ServiceInfo:
    """A service by id (NotFound otherwise)."""
    row = await CounterService.select().where(CounterService.id == service_id).first() if service_id <= MAX_ID else None
    if row is None:
        raise NotFound(_("This service does not exist."))
    return _service(row)


async def service_of(office: OfficeInfo, kind: ServiceKind | str) -> ServiceInfo:
    """The office's active service of a kind; NotFound (with a message for the resident) when it does not offer it."""
    value = kind.value if isinstance(kind, ServiceKind) else kind
    row = (
        await CounterService.select()
        .where((CounterService.office == office.id) & (CounterService.kind == value) & CounterService.active.eq(True))
        .first()
    )
    if row is None:
        raise NotFound(_("{office} does not offer this service.").format(office=office.name))
    return _service(row)


async def office_days(office_id: int, start: dt.date, end: dt.date) -> list[DayInfo]:
    """The designated days of an office from ``start`` to ``end`` (both included), in date order."""
    rows = (
        await OfficeDay.select()
        .where((OfficeDay.office == office_id) & (OfficeDay.date >= start) & (OfficeDay.date <= end))
        .order_by(OfficeDay.date)
    )
    return [_day(row) for row in rows]


# --- opening days ----------------------------------------------------------------------------------------------------


def opening_on(office: OfficeInfo, date: dt.date, day: DayInfo | None) -> Opening | None:
    """When the office opens on ``date`` given its designated day there (if any); None when it is closed."""
    if calendar.is_year_end_closure(date) or not office.active:
        return None
    if day is not None:
        is_open = day.open
    else:
        is_open = office.opens_weekdays and calendar.day_type(date) is calendar.DayType.weekday
    if not is_open:
        return None
    opens = parse_hours(day.opens) if day is not None and day.opens else office.opens
    closes = parse_hours(day.closes) if day is not None and day.closes else office.closes
    return Opening(
        date=date,
        opens=dt.datetime.combine(date, opens, clock.JST),
        closes=dt.datetime.combine(date, closes, clock.JST),
    )


async def opening(office: OfficeInfo, date: dt.date) -> Opening | None:
    """When the office opens on a date (None: closed that day)."""
    days = await office_days(office.id, date, date)
    return opening_on(office, date, days[0] if days else None)


async def openings(office: OfficeInfo, start: dt.date, end: dt.date) -> list[Opening]:
    """Every day the office opens from ``start`` to ``end`` (both included), with its hours."""
    days = {day.date: day for day in await office_days(office.id, start, end)}
    found = [opening_on(office, date, days.get(date)) for date in calendar.dates(start, end)]
    return [item for item in found if item is not None]


async def is_open_now(office: OfficeInfo, at: dt.datetime | None = None) -> bool:
    """Whether the office serves now (or ``at``): an opening day, inside its hours, Japan time."""
    moment = at or clock.now()
    found = await opening(office, moment.astimezone(clock.JST).date())
    return found is not None and found.covers(moment)


# --- staff's edits ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeInput:
    """What staff give for an office."""

    code: str
    name: str
    name_en: str = ""
    opens: str = "09:00"
    closes: str = "17:45"
    opens_weekdays: bool = True
    pickup_enabled: bool = False
    amber_minutes: int = 20
    red_minutes: int = 60
    active: bool = True
    venue: int | None = None  # its row in the venue list (e.g. the facility list's 市役所本庁舎), set when added


@dataclass(frozen=True)
class ServiceInput:
    """What staff give for a service of an office."""

    kind: str
    letter: str
    minutes_per_person: float = 10.0
    windows: int = 1
    reservable: bool = False
    active: bool = True


def _require_editor(actor: Actor) -> None:
    if actor.role not in EDITORS:
        raise PermissionDenied(_("Your role does not allow this page or action."))


def _check_hours(opens: str, closes: str, errors: dict[str, str], required: bool = True) -> None:
    for name, value in (("opens", opens), ("closes", closes)):
        if (value or required) and not HOURS_PATTERN.match(value or ""):
            errors[name] = _("Write the time as HH:MM, e.g. 09:00.")
    if "opens" not in errors and "closes" not in errors and opens and closes and opens >= closes:
        errors["closes"] = _("The closing time must be after the opening time.")


def validate_office(data: OfficeInput) -> OfficeInput:
    """The input with its text trimmed, or ValidationFailed naming every field to fix."""
    errors: dict[str, str] = {}
    code, name = data.code.strip(), data.name.strip()
    if not CODE_PATTERN.match(code):
        errors["code"] = _("Use 1 to 32 letters, digits, '-' or '_' (e.g. CITYHALL).")
    if not name or len(name) > 200:
        errors["name"] = _("Give a name of at most 200 characters.")
    if len(data.name_en.strip()) > 200:
        errors["name_en"] = _("Give a name of at most 200 characters.")
    _check_hours(data.opens, data.closes, errors)
    if not 0 < data.amber_minutes < data.red_minutes <= 24 * 60:
        errors["red_minutes"] = _("The red threshold must be above the amber one (both in minutes, above 0).")
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors)
    return OfficeInput(
        code=code,
        name=name,
        name_en=data.name_en.strip(),
        opens=data.opens,
        closes=data.closes,
        opens_weekdays=data.opens_weekdays,
        pickup_enabled=data.pickup_enabled,
        amber_minutes=data.amber_minutes,
        red_minutes=data.red_minutes,
        active=data.active,
        venue=data.venue,
    )


def _office_values(data: OfficeInput) -> dict[Any, Any]:
    return {
        Office.code: data.code,
        Office.name: data.name,
        Office.name_en: data.name_en,
        Office.opens: data.opens,
        Office.closes: data.closes,
        Office.opens_weekdays: data.opens_weekdays,
        Office.pickup_enabled: data.pickup_enabled,
        Office.amber_minutes: data.amber_minutes,
        Office.red_minutes: data.red_minutes,
        Office.active: data.active,
    }


def _code_taken(code: str) -> ValidationFailed:
    message = _("Another office already has the code {code}.").format(code=code)
    return ValidationFailed(message, {"code": message})


async def create_office(actor: Actor | None, data: OfficeInput) -> OfficeInfo:
    """Add an office (``actor`` None: a command run by the operator)."""
    if actor is not None:
        _require_editor(actor)
    data = validate_office(data)
    async with write_transaction():
        if await Office.exists().where(Office.code == data.code):
            raise _code_taken(data.code)
        if data.venue is not None and not await Venue.exists().where(Venue.id == data.venue):
            raise NotFound(_("Venue {venue_id} was not found.").format(venue_id=data.venue))
        row = (
            await Office.insert(
                Office(
                    code=data.code,
                    name=data.name,
                    name_en=data.name_en,
                    opens=data.opens,
                    closes=data.closes,
                    opens_weekdays=data.opens_weekdays,
                    pickup_enabled=data.pickup_enabled,
                    amber_minutes=data.amber_minutes,
                    red_minutes=data.red_minutes,
                    active=data.active,
                    venue=data.venue,
                    created_at=clock.now(),
                )
            )
        )[0]
        await record_event(actor, "office.created", "office", row["id"], data.code, scope=f"office:{row['id']}")
    return await get_office(int(row["id"]))


async def update_office(actor: Actor, office_id: int, data: OfficeInput) -> OfficeInfo:
    """Change an office's name, hours, thresholds or flags."""
    _require_editor(actor)
    data = validate_office(data)
    async with write_transaction():
        before = await get_office(office_id)
        if data.code != before.code and await Office.exists().where(Office.code == data.code):
            raise _code_taken(data.code)
        await Office.update(_office_values(data)).where(Office.id == office_id)
        changes: dict[str, Any] = {
            "code": {"before": before.code, "after": data.code},
            "opens": {"before": before.opens.strftime("%H:%M"), "after": data.opens},
            "closes": {"before": before.closes.strftime("%H:%M"), "after": data.closes},
        }
        for name in ("name", "name_en", "opens_weekdays", "pickup_enabled", "amber_minutes", "red_minutes"):
            if getattr(before, name) != getattr(data, name):  # what else changed: the waiting lamp, pickups, names
                changes[name] = {"before": getattr(before, name), "after": getattr(data, name)}
        await record_event(
            actor, "office.updated", "office", office_id, data.code, changes, scope=f"office:{office_id}"
        )
    return await get_office(office_id)


def validate_service(data: ServiceInput) -> ServiceInput:
    """The input checked (kind, letter, minutes, windows), or ValidationFailed."""
    errors: dict[str, str] = {}
    if data.kind not in {kind.value for kind in ServiceKind}:
        errors["kind"] = _("Choose a service from the list.")
    letter = data.letter.strip().upper()
    if not LETTER_PATTERN.match(letter):
        errors["letter"] = _("Use one or two letters A-Z for the ticket numbers (e.g. A).")
    if not 0 < data.minutes_per_person <= 240:
        errors["minutes_per_person"] = _("Give the minutes per person, above 0 and at most 240.")
    if not 1 <= data.windows <= 50:
        errors["windows"] = _("Give the number of windows, from 1 to 50.")
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors)
    return ServiceInput(data.kind, letter, data.minutes_per_person, data.windows, data.reservable, data.active)


async def _check_unique_service(office_id: int, data: ServiceInput, except_id: int = 0) -> None:
    others = await CounterService.select(CounterService.id, CounterService.kind, CounterService.letter).where(
        (CounterService.office == office_id) & (CounterService.id != except_id)
    )
    if any(row["kind"] == data.kind for row in others):
        message = _("This office already has this service.")
        raise ValidationFailed(message, {"kind": message})
    if any(row["letter"] == data.letter for row in others):
        message = _("Another service of this office already uses the letter {letter}.").format(letter=data.letter)
        raise ValidationFailed(message, {"letter": message})


async def create_service(actor: Actor | None, office_id: int, data: ServiceInput) -> ServiceInfo:
    """Add a service to an office (one per kind, each with its own ticket letter)."""
    if actor is not None:
        _require_editor(actor)
    data = validate_service(data)
    async with write_transaction():
        await get_office(office_id)
        await _check_unique_service(office_id, data)
        row = (
            await CounterService.insert(
                CounterService(
                    office=office_id,
                    kind=data.kind,
                    letter=data.letter,
                    minutes_per_person=data.minutes_per_person,
                    windows=data.windows,
                    reservable=data.reservable,
                    active=data.active,
                )
            )
        )[0]
        await record_event(
            actor, "counter_service.created", "counter_service", row["id"], data.kind, scope=f"office:{office_id}"
        )
    return await get_service(int(row["id"]))


async def update_service(actor: Actor, service_id: int, data: ServiceInput) -> ServiceInfo:
    """Change a service's letter, minutes, windows or flags (its kind stays)."""
    _require_editor(actor)
    data = validate_service(data)
    async with write_transaction():
        before = await get_service(service_id)
        if data.kind != before.kind.value:
            raise Conflict(_("A service's kind cannot change; add another service instead."))
        await _check_unique_service(before.office_id, data, except_id=service_id)
        await CounterService.update(
            {
                CounterService.letter: data.letter,
                CounterService.minutes_per_person: data.minutes_per_person,
                CounterService.windows: data.windows,
                CounterService.reservable: data.reservable,
                CounterService.active: data.active,
            }
        ).where(CounterService.id == service_id)
        await record_event(
            actor,
            "counter_service.updated",
            "counter_service",
            service_id,
            data.kind,
            {
                "minutes_per_person": {"before": before.minutes_per_person, "after": data.minutes_per_person},
                "windows": {"before": before.windows, "after": data.windows},
                **{
                    name: {"before": getattr(before, name), "after": getattr(data, name)}
                    for name in ("letter", "reservable", "active")
                    if getattr(before, name) != getattr(data, name)
                },
            },
            scope=f"office:{before.office_id}",
        )
    return await get_service(service_id)


async def set_office_day(
    actor: Actor | None,
    office_id: int,
    date: dt.date,
    is_open: bool,
    opens: str = "",
    closes: str = "",
    note: str = "",
) -> DayInfo:
    """Designate a day: an opening (e.g. the month's Saturday opening) or a closure, replacing what the day said."""
    if actor is not None:
        _require_editor(actor)
    errors: dict[str, str] = {}
    if calendar.is_year_end_closure(date) and is_open:
        errors["date"] = _("The counter is closed from 29 December to 3 January.")
    if opens or closes:
        _check_hours(opens, closes, errors, required=bool(opens) != bool(closes))
    if len(note) > 200:
        errors["note"] = _("Keep the note under 200 characters.")
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors)
    async with write_transaction():
        await get_office(office_id)
        await OfficeDay.delete().where((OfficeDay.office == office_id) & (OfficeDay.date == date))
        row = (
            await OfficeDay.insert(
                OfficeDay(office=office_id, date=date, open=is_open, opens=opens, closes=closes, note=note.strip())
            ).returning(*OfficeDay.all_columns())
        )[0]
        await record_event(
            actor,
            "office_day.opened" if is_open else "office_day.closed",
            "office",
            office_id,
            date.isoformat(),
            scope=f"office:{office_id}",
        )
    return _day(row)


async def clear_office_day(actor: Actor | None, office_id: int, date: dt.date) -> None:
    """Back to the office's rule on that date."""
    if actor is not None:
        _require_editor(actor)
    async with write_transaction():
        removed = (
            await OfficeDay.delete()
            .where((OfficeDay.office == office_id) & (OfficeDay.date == date))
            .returning(OfficeDay.id)
        )
        if removed:
            await record_event(
                actor, "office_day.cleared", "office", office_id, date.isoformat(), scope=f"office:{office_id}"
            )


def kinds_in_order(services: Sequence[ServiceInfo]) -> list[ServiceInfo]:
    """Services in the order of ServiceKind (交付 first), as reception's buttons show them."""
    order = {kind: index for index, kind in enumerate(ServiceKind)}
    return sorted(services, key=lambda service: (order[service.kind], service.id))
