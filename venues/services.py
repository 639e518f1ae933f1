"""Venue registry workflows: list, edit, deactivate, blackout dates, import and export (会場台帳)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, fields
from typing import Any

from core import clock
from core.audit import diff, record_event
from core.db import is_sqlite, write_transaction
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import gettext as _
from core.users import Actor
from venues.facility_list import (
    VENUE_KINDS,
    ParseResult,
    VenueRecord,
    export_facility_list,
)
from venues.hours_notes import read_hours
from venues.opening_rules import is_valid_rule
from venues.reading import gojuon_key
from venues.schemas import BlackoutCreate, ImportOutcome, VenueFilter, VenueUpdate
from venues.tables import BlackoutDate, Venue

DAY_LETTERS = "月火水木金土日祝"
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Fields the facility list owns: a re-import updates these and leaves staff-managed ones (partner, cap, active) alone.
IMPORTED_FIELDS = (
    "name", "name_kana", "name_en", "kind", "kind_source", "poi_code", "address", "town", "postal_code", "phone",
    "lat", "lon", "open_days", "open_from", "open_until", "hours_note", "wheelchair", "barrier_free_toilet",
    "accessible_route", "priority_parking", "url", "notes", "opening_hours", "hours_unread",
)  # fmt: skip
HOURS_INPUTS = ("open_days", "open_from", "open_until", "hours_note")
"""What the opening rules are read from: while these stay the same, a re-import keeps the rules staff confirmed."""
STAFF_KIND_SOURCES = ("manual", "override")
"""``kind_source`` of a kind chosen by staff: edited on the venue page, or set in the import preview."""


def canonical_days(value: str) -> str:
    """Opening-day letters in the canonical order 月火水木金土日祝."""
    return "".join(letter for letter in DAY_LETTERS if letter in value)


async def list_venues(filters: VenueFilter | None = None) -> list[dict[str, Any]]:
    """Venues matching the filters, by kind (booth venues first, as VENUE_KINDS lists them) then in 50音 order of
    their reading."""
    filters = filters or VenueFilter()
    query = Venue.select()
    if filters.kind:
        query = query.where(Venue.kind == filters.kind)
    if filters.town:
        query = query.where(Venue.town == filters.town)
    if filters.wheelchair:
        query = query.where(Venue.wheelchair == True)
    if filters.barrier_free_toilet:
        query = query.where(Venue.barrier_free_toilet == True)
    if filters.priority_parking:
        query = query.where(Venue.priority_parking == True)
    if filters.active is not None:
        query = query.where(Venue.active == filters.active)
    if filters.query:
        pattern = f"%{filters.query.strip()}%"
        # Case-insensitive on both: SQLite's LIKE already is (and has no ILIKE), PostgreSQL needs ILIKE.
        query = query.where(Venue.name.like(pattern) if is_sqlite() else Venue.name.ilike(pattern))
    rows = await query
    order = {kind: index for index, kind in enumerate(VENUE_KINDS)}
    rows.sort(key=lambda row: (order.get(row["kind"], len(order)), gojuon_key(row["name_kana"], row["name"])))
    return rows


async def towns() -> list[str]:
    """Distinct areas (町字) of the registered venues, for the area filter."""
    rows = await Venue.select(Venue.town).distinct().where(Venue.town != "").order_by(Venue.town)
    return [row["town"] for row in rows]


async def registry_exists() -> bool:
    """Whether the venue registry's table exists: it does not before ``outreach db migrate``, when a dry run of an
    import still checks the file on its own."""
    return bool(await Venue.table_exists())


async def known_venue_ids(venue_ids: Iterable[str]) -> frozenset[str]:
    """Those of ``venue_ids`` that are already registered (an import updates them and creates the others)."""
    wanted = list(dict.fromkeys(venue_ids))
    if not wanted:
        return frozenset()
    rows = await Venue.select(Venue.venue_id).where(Venue.venue_id.is_in(wanted))
    return frozenset(row["venue_id"] for row in rows)


async def registry_points() -> list[tuple[str, float, float]]:
    """``(venue_id, lat, lon)`` of every registered venue: an upload's facility far from all of them is doubtful."""
    return [(r["venue_id"], r["lat"], r["lon"]) for r in await Venue.select(Venue.venue_id, Venue.lat, Venue.lon)]


async def get_venue(venue_id: str) -> dict[str, Any]:
    """One venue by its facility-list ID."""
    row = await Venue.select().where(Venue.venue_id == venue_id).first()
    if row is None:
        raise NotFound(_("Venue {venue_id} was not found.").format(venue_id=venue_id))
    return row


def validate_update(update: VenueUpdate) -> VenueUpdate:
    """Check an edit and return it normalised; raises ValidationFailed naming every bad field."""
    errors: dict[str, str] = {}
    if not update.name.strip():
        errors["name"] = _("Enter the venue's name.")
    if update.kind not in VENUE_KINDS:
        errors["kind"] = _("Choose a kind from the list.")
    if update.lat is None or not 20.0 <= update.lat <= 46.0:
        errors["lat"] = _("Enter a latitude in Japan (between 20 and 46).")
    if update.lon is None or not 122.0 <= update.lon <= 154.0:
        errors["lon"] = _("Enter a longitude in Japan (between 122 and 154).")
    if set(update.open_days) - set(DAY_LETTERS):
        errors["open_days"] = _("Use only the letters 月火水木金土日祝.")
    for name in ("open_from", "open_until"):
        value = getattr(update, name)
        if value and not _TIME.match(value):
            errors[name] = _("Enter a time as HH:MM, for example 09:30.")
    times_valid = "open_until" not in errors and "open_from" not in errors
    if update.open_from and update.open_until and times_valid and update.open_until <= update.open_from:
        errors["open_until"] = _("The closing time must be after the opening time.")
    if update.partner_email and not _EMAIL.match(update.partner_email.strip()):
        errors["partner_email"] = _("Enter an email address such as name@example.jp.")
    if update.session_cap is not None and update.session_cap < 0:
        errors["session_cap"] = _("Enter zero or a positive number.")
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors)
    return VenueUpdate(
        **{
            **asdict(update),
            "name": update.name.strip(),
            "open_days": canonical_days(update.open_days),
            "partner_email": update.partner_email.strip(),
        }
    )


async def update_venue(actor: Actor, venue_id: str, update: VenueUpdate) -> dict[str, Any]:
    """Apply a staff edit to a venue and audit what changed."""
    update = validate_update(update)
    async with write_transaction():
        before = await get_venue(venue_id)
        values = asdict(update)
        if values["kind"] != before["kind"]:
            values["kind_source"] = "manual"
        if any(values[name] != before[name] for name in HOURS_INPUTS):  # the rules follow the new hours or note
            hours = read_hours(values["open_days"], values["open_from"], values["open_until"], values["hours_note"])
            values.update(opening_hours=hours.rule, hours_unread="\n".join(hours.unread), hours_confirmed=False)
        changes = diff(before, values)
        if changes:
            await Venue.update(
                {
                    **{getattr(Venue, key): value for key, value in values.items()},
                    Venue.updated_at: clock.now(),
                }
            ).where(Venue.venue_id == venue_id)
            await record_event(actor, "venue.updated", "venue", venue_id, before["name"], changes)
        return await get_venue(venue_id)


async def set_opening_rules(actor: Actor, venue_id: str, rule: str) -> dict[str, Any]:
    """Staff confirm a venue's opening rules (開館日・開館時間), as they stand or corrected; the venue can then be
    planned even where the importer could not read its note.  ``rule`` is in OpenStreetMap opening_hours syntax."""
    rule = " ".join(rule.split())
    if not is_valid_rule(rule):
        message = _(
            "These opening rules could not be read; write them like 「Mo-Fr 09:00-17:00; Sa 09:00-12:00; PH off」."
        )
        raise ValidationFailed(message, {"opening_hours": message})
    async with write_transaction():
        before = await get_venue(venue_id)
        values = {"opening_hours": rule, "hours_confirmed": True}
        changes = diff(before, values)
        if changes:
            await Venue.update(
                {Venue.opening_hours: rule, Venue.hours_confirmed: True, Venue.updated_at: clock.now()}
            ).where(Venue.venue_id == venue_id)
            await record_event(actor, "venue.hours_confirmed", "venue", venue_id, before["name"], changes)
        return await get_venue(venue_id)


async def set_active(actor: Actor, venue_id: str, active: bool) -> dict[str, Any]:
    """Deactivate (no longer a candidate, kept for history) or reactivate a venue."""
    async with write_transaction():
        before = await get_venue(venue_id)
        if before["active"] != active:
            await Venue.update({Venue.active: active, Venue.updated_at: clock.now()}).where(Venue.venue_id == venue_id)
            action = "venue.reactivated" if active else "venue.deactivated"
            await record_event(
                actor, action, "venue", venue_id, before["name"], {"active": {"before": not active, "after": active}}
            )
        return await get_venue(venue_id)


async def list_blackouts(venue_pk: int) -> list[dict[str, Any]]:
    """A venue's blackout dates, earliest first."""
    return await BlackoutDate.select().where(BlackoutDate.venue == venue_pk).order_by(BlackoutDate.date)


async def add_blackout(actor: Actor, venue_id: str, blackout: BlackoutCreate) -> None:
    """Mark a date on which the venue cannot host a booth."""
    async with write_transaction():
        venue = await get_venue(venue_id)
        exists = await BlackoutDate.exists().where(
            (BlackoutDate.venue == venue["id"]) & (BlackoutDate.date == blackout.date)
        )
        if exists:
            raise Conflict(_("{date} is already a blackout date.").format(date=blackout.date.isoformat()))
        await BlackoutDate.insert(BlackoutDate(venue=venue["id"], date=blackout.date, reason=blackout.reason.strip()))
        await record_event(
            actor,
            "venue.blackout_added",
            "venue",
            venue_id,
            f"{blackout.date.isoformat()} {blackout.reason}".strip(),
            {"blackout": {"before": None, "after": blackout.date.isoformat()}},
        )


async def remove_blackout(actor: Actor, venue_id: str, blackout_id: int) -> None:
    """Remove a blackout date."""
    async with write_transaction():
        venue = await get_venue(venue_id)
        row = (
            await BlackoutDate.select()
            .where((BlackoutDate.id == blackout_id) & (BlackoutDate.venue == venue["id"]))
            .first()
        )
        if row is None:
            raise NotFound(_("That blackout date was not found."))
        await BlackoutDate.delete().where(BlackoutDate.id == blackout_id)
        await record_event(
            actor,
            "venue.blackout_removed",
            "venue",
            venue_id,
            row["date"].isoformat(),
            {"blackout": {"before": row["date"].isoformat(), "after": None}},
        )


def _record_values(record: VenueRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in IMPORTED_FIELDS}


def _kept_staff_rules(before: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Opening rules staff confirmed survive a re-import of the same hours; new hours or a new note need a new look."""
    if before["hours_confirmed"] and all(before[name] == values[name] for name in HOURS_INPUTS):
        return {**values, "opening_hours": before["opening_hours"], "hours_unread": before["hours_unread"]}
    if before["hours_confirmed"]:
        return {**values, "hours_confirmed": False}
    return values


async def _registered(result: ParseResult) -> dict[str, dict[str, Any]]:
    """The registered venues of a parsed file's records, by venue ID."""
    if not result.records:
        return {}
    ids = [record.venue_id for record in result.records]
    return {row["venue_id"]: row for row in await Venue.select().where(Venue.venue_id.is_in(ids))}


def _kept_staff_kind(before: dict[str, Any], record: VenueRecord, values: dict[str, Any]) -> dict[str, Any]:
    """A kind chosen by staff (on the edit page, or in an earlier import's preview) survives re-imports; only a new
    choice in this import's preview replaces it."""
    if before["kind_source"] in STAFF_KIND_SOURCES and record.kind_source != "override":
        return {**values, "kind": before["kind"], "kind_source": before["kind_source"]}
    return values


async def planned_import(result: ParseResult) -> dict[str, dict[str, dict[str, Any]] | None]:
    """What importing a parsed file would do to each of its venues, by venue ID: None for a new venue, else the
    fields it would change (``{field: {"before", "after"}}``; empty when the row is the same as the registry's).
    The import itself decides the same way (``import_facility_list``)."""
    existing = await _registered(result)
    planned: dict[str, dict[str, dict[str, Any]] | None] = {}
    for record in result.records:
        before = existing.get(record.venue_id)
        planned[record.venue_id] = (
            None
            if before is None
            else diff(before, _kept_staff_rules(before, _kept_staff_kind(before, record, _record_values(record))))
        )
    return planned


async def import_facility_list(
    actor: Actor | None, result: ParseResult, *, accept_partial: bool = False, source_name: str = ""
) -> ImportOutcome:
    """Create or update (by ID) the venues of a parsed facility list, all in one transaction.

    A file with errors imports nothing unless ``accept_partial`` confirms importing only the good rows.
    """
    if result.has_errors and not accept_partial:
        raise ValidationFailed(
            _(
                "The file has {n} rows with errors; nothing was imported. Fix them, or confirm importing only the "
                "good rows."
            ).format(n=len({p.row_number for p in result.errors}))
        )
    outcome = ImportOutcome(skipped_rows=result.total_rows - len(result.records))
    now = clock.now()
    async with write_transaction():
        existing = await _registered(result)
        for record in result.records:
            values = _record_values(record)
            before = existing.get(record.venue_id)
            if before is None:
                await Venue.insert(Venue(venue_id=record.venue_id, source_row=record.raw, **values))
                await record_event(actor, "venue.imported", "venue", record.venue_id, record.name)
                outcome.created.append(record.venue_id)
                continue
            values = _kept_staff_rules(before, _kept_staff_kind(before, record, values))
            changes = diff(before, values)
            if not changes:
                outcome.unchanged.append(record.venue_id)
                continue
            await Venue.update(
                {
                    **{getattr(Venue, key): value for key, value in values.items()},
                    Venue.source_row: record.raw,
                    Venue.updated_at: now,
                }
            ).where(Venue.venue_id == record.venue_id)
            await record_event(actor, "venue.reimported", "venue", record.venue_id, record.name, changes)
            outcome.updated.append(record.venue_id)
        await record_event(
            actor,
            "venues.import",
            "facility_list",
            source_name or "upload",
            _("{created} created, {updated} updated, {unchanged} unchanged, {skipped} rows left out").format(
                created=len(outcome.created),
                updated=len(outcome.updated),
                unchanged=len(outcome.unchanged),
                skipped=outcome.skipped_rows,
            ),
        )
    return outcome


def record_from_row(row: dict[str, Any], row_number: int = 0) -> VenueRecord:
    """A VenueRecord (the facility-list shape) from a Venue row, for export."""
    names = {f.name for f in fields(VenueRecord)}
    values = {name: row[name] for name in IMPORTED_FIELDS if name in names}
    raw = row["source_row"]
    raw = json.loads(raw) if isinstance(raw, str) else raw  # Piccolo returns JSON columns as text
    return VenueRecord(row_number=row_number, venue_id=row["venue_id"], raw=dict(raw or {}), **values)


async def export_venues(filters: VenueFilter | None = None, *, encoding: str = "utf-8-sig") -> bytes:
    """The registry as a standard 公共施設一覧 CSV (UTF-8 with BOM, or CP932 for Excel on Windows)."""
    rows = await list_venues(filters or VenueFilter(active=None))
    return export_facility_list([record_from_row(row, index + 2) for index, row in enumerate(rows)], encoding=encoding)
