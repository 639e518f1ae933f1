"""Retention (DESIGN §7): the scheduled purge anonymises bookings a number of days after their booth and deletes the
residents' emails, keeping every count; the end-of-contract deletion leaves no name, phone or email anywhere in the
database (every table, every text and JSON column scanned), and its deletion report (PDF) says what, how many, when
and by whom — on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from collections import Counter
from dataclasses import fields
from pathlib import Path

import pytest
from piccolo.columns import JSON, Text, Varchar

from booking import retention
from booking.bookings import BookingRequest, cancel_booking, create_booking
from booking.codes import new_code
from booking.deletion_report import deletion_report_pdf, write_deletion_report
from booking.schemas import Needs
from booking.tables import Booking, BoothResult, PurgeRun, Slot, WaitlistEntry
from core import clock
from core.db import is_sqlite, write_transaction
from core.errors import ValidationFailed
from core.tables import AuditEvent, OutboxMessage, Role, StaffUser
from core.users import create_user
from core.wareki import wareki
from planner import invitations
from planner.tables import Invitation
from tests.booking.factories import manage_token_of, publish_booth
from tests.conftest import PASSWORD, all_tables
from tests.venues.factories import make_venue
from venues.schemas import VenueUpdate
from venues.services import update_venue
from venues.tables import Venue

BOOKED_AT = dt.datetime(2027, 5, 20, 9, 0, tzinfo=clock.JST)
OLD_BOOTH = dt.date(2027, 6, 5)
RECENT_BOOTH = dt.date(2027, 7, 20)
PURGE_AT = dt.datetime(2027, 7, 31, 3, 0, tzinfo=clock.JST)  # OLD_BOOTH is 56 days before, RECENT_BOOTH 11

RESIDENTS = [  # (name as typed, name as stored, phone as typed, phone digits, email)
    ("よしだ みつこ", "ヨシダ ミツコ", "090-1357-2468", "09013572468", "mitsuko.yoshida@resident.example.jp"),
    ("サイトウ ケンイチロウ", "サイトウ ケンイチロウ", "080-2468-1357", "08024681357", "k.saito42@resident.example.jp"),
    ("ﾜﾀﾅﾍﾞ ﾕｷｴ", "ワタナベ ユキエ", "070-9753-1864", "07097531864", "yukie-watanabe@resident.example.jp"),
    ("グエン ティ ラン", "グエン ティ ラン", "", "", "nguyen.lan@resident.example.jp"),
]
PARTNER_NAME = "山本 隆志"
PARTNER_EMAIL = "takashi.yamamoto@partner.example.jp"
PARTNER_NOTE = "当日は山本 隆志が不在のため、別の日でお願いします。"
LEAD_EMAIL = "lead.sato@contractor.example.jp"
WAITING = [  # (name, phone digits, email) of residents on the booths' waiting lists: old booth, recent booth
    ("マツモト サチコ", "09086429753", "sachiko.m@resident.example.jp"),
    ("イノウエ ゴロウ", "08031415926", ""),
]


def personal_values() -> list[str]:
    values = [PARTNER_NAME, PARTNER_EMAIL, PARTNER_NOTE, LEAD_EMAIL]
    for _typed, stored, _phone, digits, email in RESIDENTS:
        values += [stored, email] + ([digits] if digits else [])
    for name, phone, email in WAITING:
        values += [name, phone] + ([email] if email else [])
    return values


async def waitlist_entries(old: dict, recent: dict) -> None:
    """One waiting-list entry per booth (booked from the list at the old one, still waiting at the recent one)."""
    for (name, phone, email), booth, date, state in zip(
        WAITING, (old, recent), (OLD_BOOTH, RECENT_BOOTH), ("booked", "waiting"), strict=True
    ):
        await WaitlistEntry.insert(
            WaitlistEntry(
                code=new_code(),
                token_hash="0" * 64,
                kind="booth",
                scope=booth["session"],
                day=date,
                party_size=2,
                name_kana=name,
                phone=phone,
                email=email,
                extra={"note": name},
                state=state,
                idempotency_key="1" * 63 + str(booth["session"] % 10),
            )
        )


async def with_partner(venue: dict, actor) -> dict:
    """Give a venue a partner through the staff edit (which writes the change into the audit log)."""
    values = {f.name: venue[f.name] for f in fields(VenueUpdate)}
    values.update(
        partner_name=PARTNER_NAME,
        partner_email=PARTNER_EMAIL,
        notes=f"鍵の受け取りは{PARTNER_NAME}さん（{PARTNER_EMAIL}）へ。",
    )
    return await update_venue(actor, venue["venue_id"], VenueUpdate(**values))


async def scenario() -> dict:
    """Two booths (one long past at purge time, one recent), bookings in every state by the residents above, a venue
    partner invited who declined with a note (the contractor lead is told by email)."""
    lead = await create_user("lead-sato", PASSWORD, Role.contractor_lead, email=LEAD_EMAIL)
    with clock.frozen(BOOKED_AT):
        venue = await with_partner(await make_venue(), lead)
        old = await publish_booth(OLD_BOOTH, venue=venue, capacity=6)
        recent = await publish_booth(RECENT_BOOTH, capacity=6)
        codes = []
        for n, (typed, _stored, phone, _digits, email) in enumerate(RESIDENTS):
            for booth in (old, recent):
                details, _created = await create_booking(
                    BookingRequest(
                        slot_id=booth["slots"][n % 2]["id"],
                        name_kana=typed,
                        phone=phone,
                        email=email,
                        party_size=n + 1,
                        needs=Needs(wheelchair=n == 0, interpreter="vi" if n == 3 else ""),
                        readiness={"photo_id": True},
                    ),
                    idempotency_key=f"key-{n}-{booth['session']}",
                )
                codes.append(details.code)
        await waitlist_entries(old, recent)
        await cancel_booking(codes[2], await manage_token_of(codes[2]))
        await cancel_booking(codes[3], await manage_token_of(codes[3]))
        async with write_transaction():
            await invitations.booths_published([old["session"]], [], [])
        invitation = await Invitation.select().first()
        token = invitations.answer_token(invitation["id"], invitation["uid"], invitation["sequence"], "decline")
        await invitations.answer_invitation(invitation["id"], "decline", token, PARTNER_NOTE)
    return {"old": old, "recent": recent, "codes": codes, "lead": lead}


async def counts_by_booth() -> dict:
    """What the reports count: bookings per booth, slot, state, source and language; people per booth and state;
    each slot's booked places."""
    rows = await Booking.select(
        Booking.session, Booking.slot, Booking.state, Booking.party_size, Booking.source, Booking.language
    )
    people: Counter = Counter()
    for r in rows:
        people[(r["session"], r["state"])] += r["party_size"]
    return {
        "bookings": Counter((r["session"], r["slot"], r["state"], r["source"], r["language"]) for r in rows),
        "people": people,
        "booked": {r["id"]: r["booked"] for r in await Slot.select(Slot.id, Slot.booked)},
    }


async def database_text() -> list[tuple[str, str, str]]:
    """Every value of every text, varchar and JSON column of every table, as (table, column, text)."""
    found = []
    for table in all_tables():
        columns = [c for c in table._meta.columns if isinstance(c, (Varchar, Text, JSON))]
        if not columns:
            continue
        for row in await table.select(*columns):
            for column in columns:
                value = row[column._meta.name]
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                found.append((table._meta.tablename, column._meta.name, text or ""))
    return found


def leaks(texts: list[tuple[str, str, str]], values: list[str]) -> list[tuple[str, str, str]]:
    return [
        (table, column, value)
        for table, column, text in texts
        for value in values
        if value.lower() in text.lower() or value.replace(" ", "") in text.replace(" ", "").replace("\u3000", "")
    ]


# --- the scheduled purge ------------------------------------------------------------------------------------------


async def test_the_scheduled_purge_anonymises_past_booths_only_and_keeps_every_count():
    world = await scenario()
    assert leaks(await database_text(), [RESIDENTS[0][4]])
    before = await counts_by_booth()
    resident_mail = await OutboxMessage.count().where(OutboxMessage.kind.like("booking.%"))
    assert resident_mail == 8 + 2  # confirmations and the two cancellations

    result = await retention.purge_expired(PURGE_AT, 30)

    assert result.counts == {
        "bookings_anonymised": 4,
        "waitlist_entries_anonymised": 1,
        "resident_messages_deleted": resident_mail,
        "free_texts_scrubbed": 0,
        "audit_entries_scrubbed": 0,
        "pickup_reservations_anonymised": 0,  # the counter's, purged in the same run (counter.pickup_retention)
    }
    assert result.cutoff == dt.date(2027, 7, 1) and result.run_id is not None
    assert await counts_by_booth() == before
    old = await Booking.select().where(Booking.session == world["old"]["session"])
    assert {(b["name_kana"], b["phone"], b["email"], b["request_digest"]) for b in old} == {("", "", "", "")}
    assert all(b["idempotency_key"] is None and b["anonymised_at"] == PURGE_AT for b in old)
    assert all(json.loads(b["needs"]) == {} and json.loads(b["readiness"]) == {} for b in old)
    entries = {e["day"]: e for e in await WaitlistEntry.select()}
    gone = entries[OLD_BOOTH]
    assert (gone["name_kana"], gone["phone"], gone["email"], gone["idempotency_key"]) == ("", "", "", None)
    assert json.loads(gone["extra"]) == {} and gone["anonymised_at"] == PURGE_AT
    assert (gone["state"], gone["party_size"], gone["scope"]) == ("booked", 2, world["old"]["session"])
    kept = entries[RECENT_BOOTH]
    assert kept["name_kana"] == WAITING[1][0] and kept["anonymised_at"] is None
    recent = await Booking.select().where(Booking.session == world["recent"]["session"]).order_by(Booking.id)
    assert [b["name_kana"] for b in recent] == [r[1] for r in RESIDENTS]
    assert [b["email"] for b in recent] == [r[4] for r in RESIDENTS] and all(b["anonymised_at"] is None for b in recent)
    assert await OutboxMessage.count().where(OutboxMessage.kind.like("booking.%")) == 0
    assert await OutboxMessage.count() > 0  # the partner's invitation and the staff notice are not residents' mail
    run = await PurgeRun.select().where(PurgeRun.id == result.run_id).first()
    assert run["kind"] == "scheduled" and run["actor"] == "system" and json.loads(run["counts"]) == result.counts
    event = await AuditEvent.select().where(AuditEvent.action == "retention.scheduled").first()
    assert event["object_id"] == str(result.run_id) and "bookings_anonymised=4" in event["summary"]

    again = await retention.purge_expired(PURGE_AT, 30)
    assert (
        again.counts
        == {
            "bookings_anonymised": 0,
            "waitlist_entries_anonymised": 0,
            "resident_messages_deleted": 0,
            "free_texts_scrubbed": 0,
            "audit_entries_scrubbed": 0,
            "pickup_reservations_anonymised": 0,
        }
        and again.total == 0
    )
    assert await counts_by_booth() == before


async def test_the_scheduled_purge_cuts_the_names_it_erases_out_of_staff_notes():
    """Once a booking is blanked nothing could find its name again, so the same run cuts it out of the notes staff
    typed (a booth's results here) — the end-of-contract run would no longer know it."""
    world = await scenario()
    _typed, name, phone_typed, _digits, _email = RESIDENTS[0]
    await BoothResult.insert(
        BoothResult(
            session=world["old"]["session"], applications=3, notes=f"{name}様 車椅子で来場 {phone_typed} 折り返し済み"
        )
    )
    result = await retention.purge_expired(PURGE_AT, 30)
    assert result.counts["free_texts_scrubbed"] == 1
    notes = (await BoothResult.select(BoothResult.notes).first())["notes"]
    assert name not in notes and phone_typed not in notes and "車椅子で来場" in notes and "折り返し済み" in notes


async def test_the_horizon_is_days_before_today_in_japan_and_defaults_to_the_setting():
    await scenario()
    day_after = dt.datetime.combine(OLD_BOOTH + dt.timedelta(days=31), dt.time(0, 30), clock.JST)
    assert (await retention.purge_expired(day_after - dt.timedelta(hours=1))).counts["bookings_anonymised"] == 0
    assert (await retention.pending(day_after))["bookings_anonymised"] == 4
    assert (await retention.pending(day_after))["waitlist_entries_anonymised"] == 1
    result = await retention.purge_expired(day_after)  # RETENTION_DAYS: 30
    assert result.counts["bookings_anonymised"] == 4 and result.cutoff == OLD_BOOTH + dt.timedelta(days=1)
    assert (await retention.pending(day_after))["bookings_anonymised"] == 0
    with pytest.raises(ValidationFailed):
        await retention.purge_expired(PURGE_AT, -1)


async def test_a_dry_run_counts_and_changes_nothing():
    await scenario()
    before = sorted(await database_text())
    result = await retention.purge_expired(PURGE_AT, 30, dry_run=True)
    assert result.counts["bookings_anonymised"] == 4 and result.dry_run and result.run_id is None
    final = await retention.purge_end_of_contract("佐藤 一郎", PURGE_AT, dry_run=True)
    assert final.counts["bookings_anonymised"] == 8 and final.counts["venue_contacts_erased"] == 1
    assert sorted(await database_text()) == before and await PurgeRun.count() == 0


# --- the end of the contract --------------------------------------------------------------------------------------


async def test_after_the_end_of_contract_deletion_no_name_phone_or_email_is_anywhere(var_dir):
    world = await scenario()
    assert len(leaks(await database_text(), personal_values())) > 20  # the scan finds them before
    before = await counts_by_booth()
    await retention.purge_expired(PURGE_AT, 30)  # some bookings were anonymised on schedule already

    result = await retention.purge_end_of_contract("佐藤 一郎", PURGE_AT + dt.timedelta(days=200))

    assert leaks(await database_text(), personal_values()) == []
    assert await counts_by_booth() == before
    assert await Booking.count() == 8 and await Booking.count().where(Booking.anonymised_at.is_null()) == 0
    assert await OutboxMessage.count() == 0
    counts = result.counts
    assert counts["bookings_anonymised"] == 4  # the recent booth's; the old one's were done on schedule
    assert counts["waitlist_entries_anonymised"] == 1
    assert await WaitlistEntry.count().where(WaitlistEntry.anonymised_at.is_null()) == 0
    assert counts["partner_messages_deleted"] == 1 and counts["staff_messages_deleted"] == 1
    assert counts["venue_contacts_erased"] == 1 and counts["invitation_contacts_erased"] == 1
    assert counts["invitation_notes_erased"] == 1 and counts["audit_entries_scrubbed"] >= 1
    assert counts["free_texts_scrubbed"] == 1 and counts["staff_accounts_deactivated"] == 1
    assert counts["storage_compacted"] == 1
    venue = await Venue.select().where(Venue.id == world["old"]["venue"]["id"]).first()
    assert venue["notes"] == f"鍵の受け取りは{retention.ERASED}さん（{retention.ERASED}）へ。"
    audit = await AuditEvent.select().where(AuditEvent.action == "venue.updated").first()
    changes = json.loads(audit["changes"])
    assert changes["partner_email"] == {"before": "", "after": retention.ERASED}
    assert audit["actor_name"] == "lead-sato"  # who did what stays
    lead = await StaffUser.select().where(StaffUser.username == "lead-sato").first()
    assert lead["active"] is False and lead["email"] == ""
    run = await PurgeRun.select().where(PurgeRun.id == result.run_id).first()
    assert run["kind"] == "end_of_contract" and run["actor"] == "佐藤 一郎" and json.loads(run["counts"]) == counts
    event = await AuditEvent.select().where(AuditEvent.action == "retention.end_of_contract").first()
    assert event["actor_name"] == "佐藤 一郎" and event["object_id"] == str(result.run_id)

    again = await retention.purge_end_of_contract("佐藤 一郎", PURGE_AT + dt.timedelta(days=201))
    assert again.total == 0


async def test_the_account_that_runs_it_keeps_working_and_the_city_keeps_its_accounts():
    await scenario()
    reviewer = await create_user("city-kato", PASSWORD, Role.city_reviewer, email="kato@city.example.jp")
    await retention.purge_end_of_contract("lead-sato", PURGE_AT)
    rows = {r["username"]: r for r in await StaffUser.select()}
    assert rows["lead-sato"]["active"] is True and rows[reviewer.username]["active"] is True
    event = await AuditEvent.select().where(AuditEvent.action == "retention.end_of_contract").first()
    assert event["actor_id"] == rows["lead-sato"]["id"]
    with pytest.raises(ValidationFailed):
        await retention.purge_end_of_contract("  ", PURGE_AT)


async def database_bytes(database: str) -> bytes:
    """What the database holds on disk: the SQLite file (with its journal), or on PostgreSQL the files of every table,
    TOAST table and index of the test database after a checkpoint (read by the server: pg_read_binary_file)."""
    if is_sqlite():
        path = Path(database.split(":///", 1)[1])
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    await Booking.raw("CHECKPOINT")  # the server writes its pages to the files now, not at its next checkpoint
    rows = await Booking.raw(
        "SELECT pg_read_binary_file(pg_relation_filepath(c.oid)) AS data FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'pg_toast') "
        "AND c.relkind IN ('r', 't', 'i') AND pg_relation_filepath(c.oid) IS NOT NULL"
    )
    return b"".join(bytes(row["data"]) for row in rows if row["data"])


async def test_the_deleted_rows_are_not_left_in_the_database_files(database):
    await scenario()
    assert [value for value in personal_values() if value.encode() in await database_bytes(database)]
    await retention.purge_end_of_contract("佐藤 一郎", PURGE_AT)
    raw = await database_bytes(database)
    assert not [value for value in personal_values() if value.encode() in raw]


# --- the deletion report ------------------------------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def pdf_info(path: Path) -> str:
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True, timeout=60).stdout


async def test_the_deletion_report_says_what_how_many_when_and_by_whom(tmp_path):
    await scenario()
    result = await retention.purge_end_of_contract("佐藤 一郎", PURGE_AT)
    path = await write_deletion_report(result, tmp_path / "reports" / "deletion.pdf")
    assert path.read_bytes().startswith(b"%PDF")
    text = pdf_text(path)
    flat = " ".join(text.split())
    assert "個人情報の削除報告書" in flat and "特記事項" in flat
    assert "2027年7月31日 03:00" in flat and wareki(PURGE_AT.date()) in flat  # 令和9年7月31日
    assert "佐藤 一郎" in flat and ("SQLite" in flat if is_sqlite() else "PostgreSQL" in flat)
    assert "postgres:postgres" not in flat and "127.0.0.1" not in flat
    assert re.search(r"resident_booking\s+8\s*件\s+匿名化", text)
    assert re.search(r"waitlist_entry\s+2\s*件\s+匿名化", text)  # table, records, method on the item's row
    assert re.search(r"venue\s+1\s*件\s+削除", text) and re.search(r"合計\s+\d+\s*件", text)
    assert "保持する情報" in flat and "報告者" in flat and "確認者" in flat
    assert not [value for value in personal_values() if value in flat]
    assert "595.276 x 841.89" in pdf_info(path)  # A4 portrait


async def test_the_report_of_a_run_that_found_nothing_still_renders():
    result = await retention.purge_end_of_contract("佐藤 一郎", PURGE_AT)
    assert result.total == 0
    assert deletion_report_pdf(result, "SQLite 3").startswith(b"%PDF")
