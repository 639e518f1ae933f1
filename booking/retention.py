"""Retention of personal data (個人情報の保存期間と削除, DESIGN §7): the scheduled purge that anonymises bookings a
number of days after their booth (連絡先の削除; the counts stay), and the end-of-contract deletion of every piece of
personal data the work holds (契約終了時の個人情報の削除, 特記事項 第8・第20(6)), each recorded as a PurgeRun and an
audit entry that carry counts only.

Where personal data sits, and what happens to it:

- ``resident_booking``: name (kana), phone, email, needs, readiness answers, the Idempotency-Key digests → anonymised
  (blanked, ``anonymised_at`` set); party size, state, slot, booth, source, language and times are kept, so every
  count of the reports stays the same.
- ``waitlist_entry``: the waiting lists' name (kana), phone, email, ``extra`` (what a kind's booking needs besides)
  and Idempotency-Key digest → anonymised on the bookings' schedule, by the entry's day (a booth's date, a pickup
  day); kind, list, party size, state, times and the booking an offer made are kept, so the reports' counts of
  places filled from the lists stay the same.
- ``outbox_message``: emails to residents (kind ``booking.*``) → deleted after the same horizon; at the end of the
  contract every message (residents, venue partners, staff notices) is deleted.
- ``venue``: the partner's name and email; ``partner_invitation``: the partner's name, email and answer note →
  blanked at the end of the contract.
- ``audit_event``: changes of partner contacts (``venue.updated``) and any known name, phone or email in a summary or
  change; free-text notes (venue notes, placement notes, booth results, report analyses, review comments, blackout
  reasons) → the names, phones and emails of the bookings a scheduled purge anonymises are cut out in the same run
  (afterwards nothing could find them); at the end of the contract every known personal value is.
- ``staff_user``: the contractor's own staff. Their accounts are deactivated and their email addresses erased at the
  end of the contract; usernames and display names stay, because the audit trail the city keeps names who did what.
  The account named as the actor keeps working, and the city's reviewer and admin accounts are left as they are so
  that the city can still sign in and download the deletion report.
- Files under ``var/`` (flyer jobs, reports) hold no personal data.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from piccolo.columns import Column
from piccolo.table import Table

from booking.tables import Booking, BoothResult, Placement, PurgeRun, ReportNote, WaitlistEntry
from core import clock
from core.audit import record_event
from core.db import engine, is_sqlite, write_transaction
from core.errors import NotFound, ValidationFailed
from core.i18n import N_
from core.i18n import gettext as _
from core.roles import CONTRACTORS
from core.settings import get_settings
from core.tables import AuditEvent, OutboxMessage, StaffUser
from core.users import actor_from_row
from planner.invitations import KIND as PARTNER_MAIL
from planner.tables import Invitation, PlanVersion, Session
from venues.tables import BlackoutDate, Venue

log = logging.getLogger("outreach.retention")

SCHEDULED = "scheduled"
END_OF_CONTRACT = "end_of_contract"
SYSTEM = "system"
RESIDENT_MAIL = "booking."  # the outbox kinds of the emails to residents (booking.notices)
ERASED = "（削除済み）"  # what replaces a personal value cut out of a text
CHUNK = 500  # ids per IN (...) list

# The counts a run reports, in the order they are shown; each label is translated at display time.
COUNT_LABELS: dict[str, str] = {
    "bookings_anonymised": N_("Bookings anonymised (name, phone, email, needs, answers)"),
    "waitlist_entries_anonymised": N_("Waiting list entries anonymised (name, phone, email)"),
    "resident_messages_deleted": N_("Emails to residents deleted"),
    "partner_messages_deleted": N_("Emails to venue partners deleted"),
    "staff_messages_deleted": N_("Staff notification emails deleted"),
    "venue_contacts_erased": N_("Venue partner contacts erased"),
    "invitation_contacts_erased": N_("Invitation partner contacts erased"),
    "invitation_notes_erased": N_("Partners' answer notes erased"),
    "audit_entries_scrubbed": N_("Audit log entries with personal data removed"),
    "free_texts_scrubbed": N_("Notes and comments with personal data removed"),
    "staff_accounts_deactivated": N_("Contractor staff accounts deactivated (email erased)"),
    "storage_compacted": N_("Database storage rebuilt, so that deleted data cannot be read back"),
}
SCHEDULED_COUNTS = (
    "bookings_anonymised",
    "waitlist_entries_anonymised",
    "resident_messages_deleted",
    "free_texts_scrubbed",
    "audit_entries_scrubbed",
)
END_OF_CONTRACT_COUNTS = tuple(COUNT_LABELS)
# Keys of audit changes whose values are personal data (a partner's contact, a resident's contact).
PERSONAL_KEYS = frozenset(
    {"partner_name", "partner_email", "name_kana", "phone", "email", "recipient", "response_note", "note"}
)


@dataclass(frozen=True)
class PurgeStep:
    """Personal data a higher app keeps on the bookings' schedule (the counter's pickup reservations), purged inside
    the same transaction as the bookings without booking knowing that app: ``run(cutoff, cutoff_at, now)`` erases
    what belongs to days before ``cutoff`` (and its emails to residents written before ``cutoff_at``), or everything
    when both are None (the end of the contract), and returns its counts (a count named like one of booking's is
    added to it). ``labels`` name its own counts (N_ strings); ``tables`` are rebuilt with the others."""

    run: Callable[[dt.date | None, dt.datetime | None, dt.datetime], Awaitable[dict[str, int]]]
    labels: dict[str, str] = field(default_factory=dict)
    tables: tuple[str, ...] = ()


_steps: dict[str, PurgeStep] = {}


def register_purge_step(name: str, step: PurgeStep) -> None:
    """Purge a higher app's personal data with the bookings (called through ``wiring.register``; again: replaced)."""
    _steps[name] = step


async def _run_steps(
    counts: dict[str, int], cutoff: dt.date | None, cutoff_at: dt.datetime | None, now: dt.datetime
) -> None:
    for step in _steps.values():
        for key, value in (await step.run(cutoff, cutoff_at, now)).items():
            counts[key] = counts.get(key, 0) + value


def count_label(key: str) -> str:
    """The translated label of a count (the key itself for an unknown one)."""
    if key in COUNT_LABELS:
        return _(COUNT_LABELS[key])
    label = next((step.labels[key] for step in _steps.values() if key in step.labels), None)
    return _(label) if label else key


def count_text(key: str, value: int) -> str:
    """A count as shown: the number, or done/not done for the storage rebuild."""
    if key == "storage_compacted":
        return _("done") if value else _("not done")
    return str(value)


@dataclass(frozen=True)
class PurgeResult:
    """What one run did (or, for a dry run, would do)."""

    kind: str
    actor: str
    started_at: dt.datetime
    finished_at: dt.datetime
    counts: dict[str, int]
    dry_run: bool = False
    run_id: int | None = None  # None for a dry run
    cutoff: dt.date | None = None  # scheduled: bookings of booths before this date were anonymised
    report_file: str = ""

    @property
    def total(self) -> int:
        """How many records were changed or deleted (the storage rebuild not counted)."""
        return sum(value for key, value in self.counts.items() if key != "storage_compacted")


class _DryRun(Exception):
    """Raised at the end of a dry run's transaction so that nothing it did is kept."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__("dry run")
        self.counts = counts


async def _once(work: Callable[[], Awaitable[dict[str, int]]], dry_run: bool) -> dict[str, int]:
    """Run ``work`` in one write transaction; a dry run rolls it back and returns the counts it would have had."""
    try:
        async with write_transaction():
            counts = await work()
            if dry_run:
                raise _DryRun(counts)
    except _DryRun as rolled_back:
        return rolled_back.counts
    return counts


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _anonymised_values(now: dt.datetime) -> dict[Column, Any]:
    return {
        Booking.name_kana: "",
        Booking.phone: "",
        Booking.email: "",
        Booking.needs: {},
        Booking.readiness: {},
        Booking.idempotency_key: None,
        Booking.request_digest: "",
        Booking.anonymised_at: now,
    }


async def _anonymise(booking_ids: list[int], now: dt.datetime) -> int:
    done = 0
    for chunk in _chunks(booking_ids):
        done += len(await Booking.update(_anonymised_values(now)).where(Booking.id.is_in(chunk)).returning(Booking.id))
    return done


async def _anonymise_entries(entry_ids: list[int], now: dt.datetime) -> int:
    """Blank the waiting-list entries' name, contacts and ``extra`` (the counts stay)."""
    done = 0
    for chunk in _chunks(entry_ids):
        done += len(
            await WaitlistEntry.update(
                {
                    WaitlistEntry.name_kana: "",
                    WaitlistEntry.phone: "",
                    WaitlistEntry.email: "",
                    WaitlistEntry.extra: {},
                    WaitlistEntry.idempotency_key: None,
                    WaitlistEntry.anonymised_at: now,
                }
            )
            .where(WaitlistEntry.id.is_in(chunk))
            .returning(WaitlistEntry.id)
        )
    return done


async def _record(kind: str, actor_name: str, now: dt.datetime, counts: dict[str, int], report_file: str) -> int:
    """The PurgeRun row and its audit entry (counts only: DESIGN §7)."""
    run_id = (
        await PurgeRun.insert(
            PurgeRun(
                kind=kind,
                started_at=now,
                finished_at=clock.now(),
                actor=actor_name,
                counts=counts,
                report_file=report_file,
            )
        ).returning(PurgeRun.id)
    )[0]["id"]
    summary = ", ".join(f"{key}={value}" for key, value in counts.items())
    changes = {key: {"before": None, "after": value} for key, value in counts.items()}
    account = await StaffUser.select().where(StaffUser.username == actor_name).first()
    if account is not None:
        await record_event(actor_from_row(account), f"retention.{kind}", "purge_run", run_id, summary, changes)
    else:  # a command run by someone without an account (or by cron): the name as given
        await AuditEvent.insert(
            AuditEvent(
                occurred_at=clock.now(),
                actor_name=actor_name[:100],
                action=f"retention.{kind}",
                object_type="purge_run",
                object_id=str(run_id),
                summary=summary,
                changes=changes,
            )
        )
    return run_id


def _actor(actor_name: str | None, required: bool) -> str:
    name = " ".join((actor_name or "").split())[:200]
    if required and not name:
        raise ValidationFailed(
            _("Name the person who runs the deletion."), {"actor": _("Name the person who runs the deletion.")}
        )
    return name or SYSTEM


# --- the scheduled purge ------------------------------------------------------------------------------------------


def horizon(now: dt.datetime, days: int) -> tuple[dt.date, dt.datetime]:
    """The first booth date that is kept, and the same day's start (Japan time): bookings of booths before the
    date, and emails to residents written before that moment, are purged."""
    cutoff = now.astimezone(clock.JST).date() - dt.timedelta(days=days)
    return cutoff, dt.datetime.combine(cutoff, dt.time(), clock.JST)


async def _expired_bookings(cutoff: dt.date) -> list[int]:
    sessions = [row["id"] for row in await Session.select(Session.id).where(Session.date < cutoff)]
    found: list[int] = []
    for chunk in _chunks(sessions):
        found += [
            row["id"]
            for row in await Booking.select(Booking.id).where(
                Booking.session.is_in(chunk) & Booking.anonymised_at.is_null()
            )
        ]
    return found


async def _expired_entries(cutoff: dt.date) -> list[dict]:
    """The waiting-list entries of days before ``cutoff`` not anonymised yet, with their personal values."""
    return await WaitlistEntry.select(
        WaitlistEntry.id, WaitlistEntry.name_kana, WaitlistEntry.phone, WaitlistEntry.email
    ).where((WaitlistEntry.day < cutoff) & WaitlistEntry.anonymised_at.is_null())


async def purge_expired(
    now: dt.datetime | None = None, days: int | None = None, *, actor_name: str | None = None, dry_run: bool = False
) -> PurgeResult:
    """The scheduled purge (`outreach purge`, from cron): anonymise the bookings of booths more than ``days`` days
    before today (Japan time; default the RETENTION_DAYS setting) and delete the emails to residents written before
    the same horizon. Idempotent: a second run finds nothing. One transaction; a dry run changes nothing."""
    now = now or clock.now()
    days = get_settings().retention_days if days is None else days
    if days < 0:
        raise ValidationFailed(_("The number of days must be 0 or more."), {"days": _("Enter 0 or more days.")})
    actor = _actor(actor_name, required=False)
    cutoff, cutoff_at = horizon(now, days)

    async def work() -> dict[str, int]:
        expired = await _expired_bookings(cutoff)
        scrubber = _Scrubber(personal_keys=False)  # their names and contacts are cut out of notes and the audit
        for chunk in _chunks(expired):  # log first: once blanked, nothing could find them there again
            for row in await Booking.select(Booking.name_kana, Booking.phone, Booking.email).where(
                Booking.id.is_in(chunk)
            ):
                scrubber.add(row["name_kana"])
                scrubber.add(row["email"])
                scrubber.add(row["phone"], phone=True)
        entries = await _expired_entries(cutoff)
        for row in entries:
            scrubber.add(row["name_kana"])
            scrubber.add(row["email"])
            scrubber.add(row["phone"], phone=True)
        counts = {
            "bookings_anonymised": await _anonymise(expired, now),
            "waitlist_entries_anonymised": await _anonymise_entries([row["id"] for row in entries], now),
        }
        counts["free_texts_scrubbed"] = await _scrub_free_text(scrubber)
        counts["audit_entries_scrubbed"] = await _scrub_audit(scrubber) if scrubber.pattern() else 0
        deleted = (
            await OutboxMessage.delete()
            .where(OutboxMessage.kind.like(RESIDENT_MAIL + "%") & (OutboxMessage.created_at < cutoff_at))
            .returning(OutboxMessage.id)
        )
        counts["resident_messages_deleted"] = len(deleted)
        await _run_steps(counts, cutoff, cutoff_at, now)
        if not dry_run:
            nonlocal run_id
            run_id = await _record(SCHEDULED, actor, now, counts, "")
        return counts

    run_id: int | None = None
    counts = await _once(work, dry_run)
    log.info("retention purge%s: %s", " (dry run)" if dry_run else "", counts)
    return PurgeResult(
        kind=SCHEDULED,
        actor=actor,
        started_at=now,
        finished_at=clock.now(),
        counts=counts,
        dry_run=dry_run,
        run_id=run_id,
        cutoff=cutoff,
    )


async def pending(now: dt.datetime | None = None, days: int | None = None) -> dict[str, int]:
    """What the next scheduled purge would erase now (staff see it to notice a cron job that does not run)."""
    now = now or clock.now()
    days = get_settings().retention_days if days is None else days
    cutoff, cutoff_at = horizon(now, days)
    return {
        "bookings_anonymised": len(await _expired_bookings(cutoff)),
        "waitlist_entries_anonymised": len(await _expired_entries(cutoff)),
        "resident_messages_deleted": await OutboxMessage.count().where(
            OutboxMessage.kind.like(RESIDENT_MAIL + "%") & (OutboxMessage.created_at < cutoff_at)
        ),
    }


# --- the end of the contract --------------------------------------------------------------------------------------


@dataclass
class _Scrubber:
    """Cuts known personal values (names, phones, emails, notes) out of free text and audit changes."""

    values: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    personal_keys: bool = True  # also blank every value under a personal key (the end of the contract)
    _pattern: re.Pattern[str] | None = None

    def add(self, value: str | None, phone: bool = False) -> None:
        value = " ".join((value or "").split())
        if phone:
            digits = re.sub(r"\D", "", value)
            if len(digits) >= 10:
                self.phones.add(digits)
        elif "@" in value or len(value.replace(" ", "")) >= 4 or (" " in value and len(value) >= 3):
            self.values.add(value)  # a short single word ("タナカ") is left alone: it would cut ordinary words

    def pattern(self) -> re.Pattern[str] | None:
        if self._pattern is None and (self.values or self.phones):
            parts = [
                r"[\s\u3000]*".join(re.escape(word) for word in value.split(" "))
                for value in sorted(self.values, key=len, reverse=True)
            ]
            parts += [r"[\s\-‐－ー()（）]?".join(phone) for phone in sorted(self.phones, key=len, reverse=True)]
            self._pattern = re.compile("|".join(parts), re.IGNORECASE)
        return self._pattern

    def text(self, value: str) -> str:
        pattern = self.pattern()
        return pattern.sub(ERASED, value) if pattern and value else value

    def data(self, value: Any, personal: bool = False) -> Any:
        """A JSON value with every value under a personal key (``partner_email``, ...) and every known personal
        value in its strings replaced."""
        if isinstance(value, dict):
            return {
                key: self.data(item, personal or (self.personal_keys and key in PERSONAL_KEYS))
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.data(item, personal) for item in value]
        if isinstance(value, str):
            return ERASED if personal and value else self.text(value)
        return value


def _json(value: Any) -> Any:
    return json.loads(value or "{}") if isinstance(value, str) else value


async def _scrub_audit(scrubber: _Scrubber) -> int:
    scrubbed = 0
    for row in await AuditEvent.select(AuditEvent.id, AuditEvent.summary, AuditEvent.changes):
        changes = _json(row["changes"])
        summary, cleaned = scrubber.text(row["summary"]), scrubber.data(changes)
        if summary != row["summary"] or cleaned != changes:
            await AuditEvent.update({AuditEvent.summary: summary, AuditEvent.changes: cleaned}).where(
                AuditEvent.id == row["id"]
            )
            scrubbed += 1
    return scrubbed


def _free_text_columns() -> list[tuple[type[Table], Column]]:
    """The free-text columns staff type into, where a name, phone or email may have been written."""
    return [
        (Venue, Venue.notes),
        (Venue, Venue.hours_note),
        (BlackoutDate, BlackoutDate.reason),
        (Placement, Placement.notes),
        (BoothResult, BoothResult.notes),
        (ReportNote, ReportNote.analysis),
        (Session, Session.reviewer_comment),
        (PlanVersion, PlanVersion.review_comment),
    ]


async def _scrub_free_text(scrubber: _Scrubber) -> int:
    if scrubber.pattern() is None:
        return 0
    scrubbed = 0
    for table, column in _free_text_columns():
        for row in await table.select(table.id, column).where(column != ""):
            cleaned = scrubber.text(row[column._meta.name])
            if cleaned != row[column._meta.name]:
                await table.update({column: cleaned}).where(table.id == row["id"])
                scrubbed += 1
    return scrubbed


async def _collect(scrubber: _Scrubber, actor: str) -> tuple[list[int], list[int], list[int], list[int]]:
    """Every known personal value into the scrubber; returns the bookings, waiting-list entries, venues and
    contractor accounts to erase."""
    bookings = await Booking.select(Booking.id, Booking.name_kana, Booking.phone, Booking.email).where(
        Booking.anonymised_at.is_null() | (Booking.name_kana != "") | (Booking.phone != "") | (Booking.email != "")
    )
    entries = await WaitlistEntry.select(
        WaitlistEntry.id, WaitlistEntry.name_kana, WaitlistEntry.phone, WaitlistEntry.email
    ).where(
        WaitlistEntry.anonymised_at.is_null()
        | (WaitlistEntry.name_kana != "")
        | (WaitlistEntry.phone != "")
        | (WaitlistEntry.email != "")
    )
    for row in [*bookings, *entries]:
        scrubber.add(row["name_kana"])
        scrubber.add(row["email"])
        scrubber.add(row["phone"], phone=True)
    venues = await Venue.select(Venue.id, Venue.partner_name, Venue.partner_email).where(
        (Venue.partner_name != "") | (Venue.partner_email != "")
    )
    invitations = await Invitation.select(Invitation.partner_name, Invitation.partner_email, Invitation.response_note)
    for row in [*venues, *invitations]:
        scrubber.add(row["partner_name"])
        scrubber.add(row["partner_email"])
    for row in invitations:
        scrubber.add(row["response_note"])
    staff = await StaffUser.select(StaffUser.id, StaffUser.email).where(
        StaffUser.role.is_in([role.value for role in CONTRACTORS])
        & (StaffUser.username != actor)
        & ((StaffUser.active == True) | (StaffUser.email != ""))
    )
    for row in staff:
        scrubber.add(row["email"])
    return (
        [row["id"] for row in bookings],
        [row["id"] for row in entries],
        [row["id"] for row in venues],
        [row["id"] for row in staff],
    )


async def _delete_outbox() -> dict[str, int]:
    deleted = await OutboxMessage.delete(force=True).returning(OutboxMessage.kind)
    kinds = [row["kind"] or "" for row in deleted]
    residents = sum(1 for kind in kinds if kind.startswith(RESIDENT_MAIL))
    partners = sum(1 for kind in kinds if kind == PARTNER_MAIL)
    return {
        "resident_messages_deleted": residents,
        "partner_messages_deleted": partners,
        "staff_messages_deleted": len(kinds) - residents - partners,
    }


async def purge_end_of_contract(
    actor_name: str, now: dt.datetime | None = None, *, report_file: str = "", dry_run: bool = False
) -> PurgeResult:
    """Delete every piece of personal data the work holds, whatever its date (契約終了時の個人情報の削除): all
    bookings and waiting-list entries anonymised, every outbox message deleted, partner contacts and answer notes
    blanked, personal values cut out of the audit log and of staff notes, the contractor's staff accounts
    deactivated; then (not for a dry run) the database storage rebuilt so that the deleted rows cannot be read back
    from the file. ``actor_name`` (who runs it) is required unless it is a dry run; ``report_file`` is recorded with
    the run."""
    now = now or clock.now()
    actor = _actor(actor_name, required=not dry_run)

    async def work() -> dict[str, int]:
        scrubber = _Scrubber()
        bookings, entries, venues, staff = await _collect(scrubber, actor)
        counts = {
            "bookings_anonymised": await _anonymise(bookings, now),
            "waitlist_entries_anonymised": await _anonymise_entries(entries, now),
            **await _delete_outbox(),
        }
        for chunk in _chunks(venues):
            await Venue.update({Venue.partner_name: "", Venue.partner_email: "", Venue.updated_at: now}).where(
                Venue.id.is_in(chunk)
            )
        counts["venue_contacts_erased"] = len(venues)
        counts["invitation_contacts_erased"] = len(
            await Invitation.update({Invitation.partner_name: "", Invitation.partner_email: ""})
            .where((Invitation.partner_name != "") | (Invitation.partner_email != ""))
            .returning(Invitation.id)
        )
        counts["invitation_notes_erased"] = len(
            await Invitation.update({Invitation.response_note: ""})
            .where(Invitation.response_note != "")
            .returning(Invitation.id)
        )
        counts["audit_entries_scrubbed"] = await _scrub_audit(scrubber)
        counts["free_texts_scrubbed"] = await _scrub_free_text(scrubber)
        for chunk in _chunks(staff):
            await StaffUser.update(
                {StaffUser.active: False, StaffUser.email: "", StaffUser.session_version: StaffUser.session_version + 1}
            ).where(StaffUser.id.is_in(chunk))
        counts["staff_accounts_deactivated"] = len(staff)
        await _run_steps(counts, None, None, now)
        if not dry_run:
            nonlocal run_id
            run_id = await _record(END_OF_CONTRACT, actor, now, counts, report_file)
        return counts

    run_id: int | None = None
    counts = await _once(work, dry_run)
    if not dry_run and run_id is not None:  # after the commit: VACUUM cannot run inside a transaction
        counts["storage_compacted"] = 1 if await compact_storage() else 0
        async with write_transaction():
            await PurgeRun.update({PurgeRun.counts: counts, PurgeRun.finished_at: clock.now()}).where(
                PurgeRun.id == run_id
            )
    log.info("end-of-contract deletion%s: %s", " (dry run)" if dry_run else "", counts)
    return PurgeResult(
        kind=END_OF_CONTRACT,
        actor=actor,
        started_at=now,
        finished_at=clock.now(),
        counts=counts,
        dry_run=dry_run,
        run_id=run_id,
        report_file=report_file,
    )


PURGED_TABLES = (
    "resident_booking",
    "waitlist_entry",
    "outbox_message",
    "venue",
    "partner_invitation",
    "audit_event",
    "staff_user",
    "venue_blackout_date",
    "publicity_placement",
    "booth_result",
    "report_note",
    "plan_session",
    "plan_version",
)


async def compact_storage() -> bool:
    """Rebuild the database storage so that deleted rows and old values are not left in free pages: SQLite
    ``VACUUM`` and a truncating WAL checkpoint; PostgreSQL ``VACUUM FULL`` of the tables the purge touched. False
    (and a warning in the log) when the database refused, e.g. because another process held a lock."""
    try:
        if is_sqlite():
            await engine().run_ddl("VACUUM")
            await engine().run_ddl("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            tables = [*PURGED_TABLES, *(table for step in _steps.values() for table in step.tables)]
            await engine().run_ddl("VACUUM FULL " + ", ".join(tables))
    except Exception as error:  # noqa: BLE001 - the deletion itself is committed; the report says the rebuild failed
        log.warning("database storage was not rebuilt after the deletion: %s", type(error).__name__)
        return False
    return True


# --- the record -----------------------------------------------------------------------------------------------------


def _run(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "counts": _json(row["counts"]) or {}}


async def list_runs(limit: int = 200) -> list[dict[str, Any]]:
    """The purge runs, newest first, with their counts as a dict."""
    rows = (
        await PurgeRun.select()
        .order_by(PurgeRun.started_at, ascending=False)
        .order_by(PurgeRun.id, ascending=False)
        .limit(limit)
    )
    return [_run(row) for row in rows]


async def get_run(run_id: int) -> dict[str, Any]:
    """One purge run, or NotFound."""
    row = await PurgeRun.select().where(PurgeRun.id == run_id).first()
    if row is None:
        raise NotFound(_("That deletion run was not found."))
    return _run(row)


async def set_report_file(run_id: int, report_file: str) -> None:
    """Record where a run's deletion report was written."""
    async with write_transaction():
        await PurgeRun.update({PurgeRun.report_file: report_file}).where(PurgeRun.id == run_id)


async def scheduled_purge_ran_since(moment: dt.datetime) -> bool:
    """Whether a scheduled purge ran at or after ``moment`` (the background work runs it once a day)."""
    return await PurgeRun.exists().where((PurgeRun.kind == SCHEDULED) & (PurgeRun.started_at >= moment))
