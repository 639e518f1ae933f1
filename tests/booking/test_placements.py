"""Publicity placements: the register (codes, validation, audit) and the results by placement and by booth, with
direct bookings, cancelled ones and codes that are no placement — on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.bookings import BookingRequest, cancel_booking, create_booking
from booking.placements import (
    DIRECT,
    PlacementInput,
    clean_code,
    create_placement,
    get_placement,
    list_placements,
    placement_report,
    placement_url,
    set_active,
    update_placement,
)
from booking.tables import Booking, BookingState
from core import clock
from core.errors import NotFound, ValidationFailed
from core.tables import AuditEvent, Role
from core.users import Actor
from tests.booking.factories import manage_token_of, publish_booth
from tests.venues.factories import make_venue

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)
STAFF = Actor(id=1, username="staff", display_name="Staff", role=Role.contractor_staff)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


_phones = iter(f"090{n:08d}" for n in range(10_000_000, 20_000_000))


async def book(
    booth: dict, source: str = "", *, party_size: int = 1, slot_index: int = 0, made_at: dt.datetime | None = None
) -> str:
    """A booking through the service (a new phone each time), made at ``made_at``; returns its code."""
    details, _ = await create_booking(
        BookingRequest(
            slot_id=booth["slots"][slot_index]["id"],
            name_kana="カナザワ ハナコ",
            phone=next(_phones),
            party_size=party_size,
            source=source,
        )
    )
    await Booking.update({Booking.created_at: made_at or BEFORE}).where(Booking.code == details.code)
    return details.code


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2027, 5, day, hour, tzinfo=clock.JST)


@pytest.fixture
async def publicity():
    """Two booths, four placements (one deactivated, one without bookings) and bookings from each kind of source."""
    venue = await make_venue(name="イオン金沢店")
    aeon = await create_placement(
        STAFF, PlacementInput(name="イオン金沢店 掲示板", kind="poster", code="aeon", venue=venue["id"])
    )
    news = await create_placement(STAFF, PlacementInput(name="公民館だより 10月号", kind="newsletter", code="news-10"))
    line = await create_placement(STAFF, PlacementInput(name="LINE 公式アカウント", kind="social", code="line"))
    retired = await create_placement(STAFF, PlacementInput(name="古いポスター", kind="poster", code="old.poster"))
    unused = await create_placement(STAFF, PlacementInput(name="市役所ウェブサイト", kind="web", code="web"))
    await set_active(STAFF, retired["id"], False)
    first = await publish_booth(dt.date(2027, 6, 5), venue=venue, capacity=10)
    second = await publish_booth(dt.date(2027, 6, 12), capacity=10)
    await book(first, "aeon", party_size=2, made_at=at(10))
    await book(first, "aeon", made_at=at(20))
    await book(second, "aeon", made_at=at(21))
    cancelled = await book(second, "aeon", party_size=3, made_at=at(22))
    await cancel_booking(cancelled, await manage_token_of(cancelled))
    await book(first, "news-10", party_size=2, made_at=at(15))
    no_show = await book(second, "news-10", made_at=at(16))
    await Booking.update({Booking.state: BookingState.no_show.value}).where(Booking.code == no_show)
    await book(second, "line", made_at=at(25))
    await book(second, "old.poster", made_at=at(3))
    await book(first, "", made_at=at(11))  # typed the address: direct
    await book(second, "イオン", made_at=at(12))  # nothing of the code survives the sanitising: direct
    await book(first, "flyer-2026", made_at=at(13))  # a code nobody registered
    return {
        "aeon": aeon,
        "news": news,
        "line": line,
        "retired": retired,
        "unused": unused,
        "first": first,
        "second": second,
    }


async def test_report_counts_bookings_people_and_cancellations_per_placement(publicity):
    report = await placement_report()
    rows = {row.code: row for row in report.placements}
    assert set(rows) == {"aeon", "news-10", "line", "old.poster", "web", "flyer-2026", DIRECT}
    aeon = rows["aeon"]
    assert (aeon.bookings, aeon.people, aeon.cancelled, aeon.no_show) == (3, 4, 1, 0)
    assert aeon.known and aeon.name == "イオン金沢店 掲示板" and aeon.kind == "poster"
    assert aeon.first_booking == at(10) and aeon.last_booking == at(22)  # the cancelled one was made last
    news = rows["news-10"]
    assert (news.bookings, news.people, news.no_show) == (1, 2, 1)
    assert rows["old.poster"].known and not rows["old.poster"].active and rows["old.poster"].bookings == 1
    assert rows["web"].bookings == 0 and rows["web"].first_booking is None  # active, brought nothing: still shown
    unknown = rows["flyer-2026"]
    assert not unknown.known and unknown.bookings == 1 and unknown.name == ""
    assert rows[DIRECT].bookings == 2 and rows[DIRECT].is_direct
    assert report.placements[0].code == "aeon" and report.placements[-1].code == DIRECT
    assert (report.bookings, report.people) == (9, 11)


async def test_report_counts_each_booth_by_placement(publicity):
    report = await placement_report()
    first, second = report.booths
    assert (first.session_id, second.session_id) == (publicity["first"]["session"], publicity["second"]["session"])
    assert first.venue_name == "イオン金沢店" and first.date == dt.date(2027, 6, 5)
    assert first.counts == {"aeon": 2, "news-10": 1, DIRECT: 1, "flyer-2026": 1} and first.total == 5
    assert second.counts == {"aeon": 1, "line": 1, "old.poster": 1, DIRECT: 1}  # cancelled and no-show left out
    assert "web" not in report.columns and report.columns[-1] == DIRECT
    for code in report.columns:  # each column adds up to the placement's bookings
        assert sum(booth.counts.get(code, 0) for booth in report.booths) == report.result(code).bookings


async def test_report_period_by_the_day_of_booking_or_of_the_booth(publicity):
    booked = await placement_report(dt.date(2027, 5, 20), dt.date(2027, 5, 22))
    rows = {row.code: row for row in booked.placements}
    assert (rows["aeon"].bookings, rows["aeon"].cancelled) == (2, 1)
    assert "old.poster" not in rows and DIRECT not in rows  # retired and nothing in the period; no direct ones
    assert rows["line"].bookings == 0  # an active placement is listed with nothing
    assert (await placement_report(dt.date(2027, 5, 25))).bookings == 1
    by_booth = await placement_report(dt.date(2027, 6, 12), dt.date(2027, 6, 12), basis="booth")
    assert [b.session_id for b in by_booth.booths] == [publicity["second"]["session"]]
    assert by_booth.bookings == 4 and by_booth.basis == "booth"
    # a day boundary is a Japan day: a booking at 00:30 JST on 5/26 is not on 5/25
    await book(publicity["first"], "line", made_at=dt.datetime(2027, 5, 26, 0, 30, tzinfo=clock.JST))
    assert (await placement_report(dt.date(2027, 5, 25), dt.date(2027, 5, 25))).bookings == 1
    assert (await placement_report(dt.date(2027, 5, 26), dt.date(2027, 5, 26))).bookings == 1


async def test_an_empty_report():
    report = await placement_report()
    assert (report.placements, report.booths, report.columns, report.bookings, report.most) == ([], [], [], 0, 0)


async def test_create_edit_and_deactivate_write_the_audit_log():
    venue = await make_venue()
    created = await create_placement(
        STAFF, PlacementInput(name="  公民館だより   11月号 ", kind="newsletter", code="news-11", venue=venue["id"])
    )
    assert (created["name"], created["code"], created["venue.name"], created["active"]) == (
        "公民館だより 11月号",
        "news-11",
        venue["name"],
        True,
    )
    updated = await update_placement(
        STAFF, created["id"], PlacementInput(name="公民館だより 11月号", kind="poster", code="ignored", notes="A4 両面")
    )
    assert (updated["kind"], updated["code"], updated["venue"], updated["notes"]) == (
        "poster",
        "news-11",
        None,
        "A4 両面",
    )
    await set_active(STAFF, created["id"], False)
    await set_active(STAFF, created["id"], False)  # twice: one entry
    assert [p["id"] for p in await list_placements(active=False)] == [created["id"]]
    events = await AuditEvent.select().where(AuditEvent.object_type == "placement").order_by(AuditEvent.id)
    assert [e["action"] for e in events] == ["placement.created", "placement.updated", "placement.deactivated"]
    assert all(e["object_id"] == str(created["id"]) and e["actor_name"] == "staff" for e in events)
    with pytest.raises(NotFound):
        await get_placement(created["id"] + 1000)


async def test_an_empty_code_becomes_a_short_random_one():
    first = await create_placement(STAFF, PlacementInput(name="掲示板 A", kind="poster"))
    second = await create_placement(STAFF, PlacementInput(name="掲示板 B", kind="poster"))
    assert first["code"] != second["code"]
    for code in (first["code"], second["code"]):
        assert clean_code(code) == code and code.startswith("p-") and len(code) == 8


async def test_codes_are_checked_and_unique_ignoring_case():
    await create_placement(STAFF, PlacementInput(name="イオン", kind="poster", code="AEON"))
    with pytest.raises(ValidationFailed) as duplicate:
        await create_placement(STAFF, PlacementInput(name="イオン 2", kind="poster", code="aeon"))
    assert set(duplicate.value.fields) == {"code"}
    with pytest.raises(ValidationFailed) as bad:
        await create_placement(STAFF, PlacementInput(name="", kind="flyer", code="イオン/1", venue=999_999))
    assert set(bad.value.fields) == {"name", "kind", "code", "venue"}
    with pytest.raises(ValidationFailed):
        await create_placement(STAFF, PlacementInput(name="長すぎる", kind="web", code="x" * 65))


def test_placement_urls_carry_the_code():
    assert placement_url("https://booth.example.jp/", "aeon") == "https://booth.example.jp/?src=aeon"
    assert placement_url("https://booth.example.jp", "news-10", 42) == "https://booth.example.jp/booths/42?src=news-10"


def test_clean_code_keeps_only_well_formed_codes():
    assert clean_code("news-10.v2_A") == "news-10.v2_A"
    assert clean_code(" aeon ") == "aeon"
    assert [clean_code(v) for v in ("", None, "a b", "<script>", "x" * 65, "イオン")] == [""] * 6
