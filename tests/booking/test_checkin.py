"""Check-in at the booth: by code (as typed or scanned), the refusals staff must see, no-shows that free places
exactly once, undo, and the release of late bookings after NO_SHOW_AFTER_MINUTES — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from booking import checkin
from booking.bookings import BookingRequest, cancel_booking, create_booking
from booking.codes import display_code
from booking.tables import Booking, Slot
from core import clock
from core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from core.i18n import using_locale
from core.settings import get_settings
from core.tables import AuditEvent, Role
from tests.booking.factories import manage_token_of, publish_booth
from tests.venues.factories import make_venue

DAY = dt.date(2027, 6, 5)
BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


def at(hour: int, minute: int = 0, second: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, second), clock.JST)


@pytest.fixture(autouse=True)
def in_english():
    """Messages in English (their wording is checked here)."""
    with using_locale("en"):
        yield


@pytest.fixture
async def staff(make_user):
    return await make_user(Role.contractor_staff)


async def book(slot_id: int, name: str = "やまだ たろう", party_size: int = 1, phone: str = "090-1234-5678") -> str:
    """A booking made days before the booth; returns its code."""
    with clock.frozen(BEFORE):
        details, _created = await create_booking(
            BookingRequest(slot_id=slot_id, name_kana=name, phone=phone, party_size=party_size)
        )
    return details.code


async def state_of(code: str) -> dict:
    return await Booking.select().where(Booking.code == code).first()


async def booked(slot_id: int) -> int:
    return (await Slot.select(Slot.booked).where(Slot.id == slot_id).first())["booked"]


async def test_check_in_by_code_as_printed_typed_in_lower_case_or_scanned(staff):
    booth = await publish_booth(DAY)
    slot = booth["slots"][0]["id"]
    printed, typed, scanned = (
        await book(slot, party_size=2),
        await book(slot, phone="09000000001"),
        await book(slot, phone="09000000002"),
    )
    with clock.frozen(at(10, 5)):
        first = await checkin.check_in_code(staff, booth["session"], display_code(printed))
        second = await checkin.check_in_code(staff, booth["session"], " " + display_code(typed).lower() + " ")
        third = await checkin.check_in_code(staff, booth["session"], scanned)
    assert (first.name_kana, first.party_size, first.state) == ("ヤマダ タロウ", 2, "checked_in")
    assert second.code == typed and third.code == scanned
    row = await state_of(printed)
    assert row["state"] == "checked_in" and row["checked_in_at"] == at(10, 5)
    assert await booked(slot) == 4  # a checked-in party keeps its places
    events = await AuditEvent.select().where(AuditEvent.action == "booking.checked_in")
    assert len(events) == 3 and {e["actor_name"] for e in events} == {staff.username}
    assert all("ヤマダ" not in e["summary"] + str(e["changes"]) for e in events)
    assert {e["scope"] for e in events} == {f"session:{booth['session']}"}


async def test_check_in_refuses_what_staff_must_not_accept(staff):
    booth = await publish_booth(DAY, venue=await make_venue(name="片町きらら"))
    other = await publish_booth(dt.date(2027, 6, 12), venue=await make_venue(name="森本公民館"))
    slot = booth["slots"][0]["id"]
    mine, cancelled = await book(slot), await book(slot, phone="09000000001")
    elsewhere = await book(other["slots"][0]["id"], phone="09000000002")
    with clock.frozen(BEFORE):
        await cancel_booking(cancelled, await manage_token_of(cancelled))
    session = booth["session"]
    # the day before: staff may look, not check in
    with clock.frozen(at(9, 30, day=DAY - dt.timedelta(days=1))), pytest.raises(InvalidTransition):
        await checkin.check_in_code(staff, session, mine)
    with clock.frozen(at(10, 5)):
        with pytest.raises(ValidationFailed) as malformed:
            await checkin.check_in_code(staff, session, "1234")
        assert "code" in malformed.value.fields
        with pytest.raises(NotFound):
            await checkin.check_in_code(staff, session, "0" * 16)
        with pytest.raises(Conflict, match="森本公民館"):
            await checkin.check_in_code(staff, session, elsewhere)
        with pytest.raises(Conflict, match="cancelled"):
            await checkin.check_in_code(staff, session, cancelled)
        await checkin.check_in_code(staff, session, mine)
        with pytest.raises(Conflict, match="10:05"):
            await checkin.check_in_code(staff, session, mine)
    assert (await state_of(elsewhere))["state"] == "confirmed"
    assert (await state_of(cancelled))["state"] == "cancelled"
    assert await AuditEvent.count().where(AuditEvent.action == "booking.checked_in") == 1


async def test_a_no_show_frees_its_places_exactly_once_even_when_tapped_on_several_devices(staff):
    booth = await publish_booth(DAY)
    slot = booth["slots"][0]["id"]
    code = await book(slot, party_size=3)
    booking_id = (await state_of(code))["id"]
    assert await booked(slot) == 3
    with clock.frozen(at(10, 8)):
        results = await asyncio.gather(
            *(checkin.mark_no_show(staff, booth["session"], booking_id) for _ in range(5)), return_exceptions=True
        )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, InvalidTransition) for r in results if isinstance(r, Exception))
    assert await booked(slot) == 0
    row = await state_of(code)
    assert row["state"] == "no_show" and row["released_at"] == at(10, 8)
    assert await AuditEvent.count().where(AuditEvent.action == "booking.no_show") == 1


async def test_undo_puts_a_mistake_back_while_the_slot_has_room(staff):
    booth = await publish_booth(DAY, capacity=2)
    slot = booth["slots"][0]["id"]
    code = await book(slot, party_size=2)
    booking_id = (await state_of(code))["id"]
    session = booth["session"]
    with clock.frozen(at(10, 1)):
        await checkin.check_in_booking(staff, session, booking_id)
        restored = await checkin.undo(staff, session, booking_id)
        assert restored.state == "confirmed" and (await state_of(code))["checked_in_at"] is None
        assert await booked(slot) == 2
        await checkin.mark_no_show(staff, session, booking_id)
        assert await booked(slot) == 0
        await checkin.undo(staff, session, booking_id)
        assert await booked(slot) == 2 and (await state_of(code))["released_at"] is None
        with pytest.raises(InvalidTransition):
            await checkin.undo(staff, session, booking_id)  # confirmed: nothing to undo
        await checkin.mark_no_show(staff, session, booking_id)
    await Slot.update({Slot.booked: 1}).where(Slot.id == slot)  # one place was taken meanwhile
    with clock.frozen(at(10, 2)), pytest.raises(Conflict):
        await checkin.undo(staff, session, booking_id)
    assert (await state_of(code))["state"] == "no_show" and await booked(slot) == 1
    assert await AuditEvent.count().where(AuditEvent.action == "booking.restored") == 2


async def test_late_bookings_are_released_after_the_set_minutes_and_not_before(staff):
    booth = await publish_booth(DAY)
    first, second = booth["slots"][0]["id"], booth["slots"][1]["id"]  # 10:00 and 10:30
    late, on_time, later = (
        await book(first, party_size=2),
        await book(first, phone="09000000001"),
        await book(second, phone="09000000002"),
    )
    assert get_settings().no_show_after_minutes == 15
    with clock.frozen(at(10, 3)):
        await checkin.check_in_code(staff, booth["session"], on_time)
    with clock.frozen(at(10, 15)):
        assert await checkin.release_late_bookings() == 0  # 15 minutes after the start: not yet
    assert (await state_of(late))["state"] == "confirmed" and await booked(first) == 3
    with clock.frozen(at(10, 15, 1)):
        assert await checkin.release_late_bookings(booth["session"]) == 1
        assert await checkin.release_late_bookings() == 0  # once only
    row = await state_of(late)
    assert row["state"] == "no_show" and row["released_at"] == at(10, 15, 1)
    assert await booked(first) == 1  # the checked-in party keeps its place
    assert (await state_of(on_time))["state"] == "checked_in" and (await state_of(later))["state"] == "confirmed"
    event = await AuditEvent.select().where(AuditEvent.action == "booking.released").first()
    assert event["actor_name"] == "system" and event["object_id"] == str(row["id"])
    assert "ヤマダ" not in event["summary"] and late[-4:] in event["summary"]


async def test_the_release_waits_as_long_as_the_setting_says(staff, monkeypatch):
    booth = await publish_booth(DAY)
    code = await book(booth["slots"][0]["id"])
    monkeypatch.setattr(checkin, "get_settings", lambda: dataclasses.replace(get_settings(), no_show_after_minutes=30))
    with clock.frozen(at(10, 20)):
        assert await checkin.release_late_bookings() == 0
    with clock.frozen(at(10, 31)):
        assert await checkin.release_late_bookings() == 1
    assert (await state_of(code))["state"] == "no_show"


async def test_only_todays_booths_are_released_and_a_restored_booking_stays(staff):
    booth = await publish_booth(DAY)
    slot = booth["slots"][0]["id"]
    code = await book(slot)
    booking_id = (await state_of(code))["id"]
    with clock.frozen(at(9, 0, day=DAY + dt.timedelta(days=1))):  # the next morning: yesterday is left alone
        assert await checkin.release_late_bookings() == 0
    with clock.frozen(at(10, 20)):
        assert await checkin.release_late_bookings() == 1
        await checkin.undo(staff, booth["session"], booking_id)  # the party arrived late after all
    with clock.frozen(at(10, 21)):
        assert await checkin.release_late_bookings() == 0
        await checkin.check_in_booking(staff, booth["session"], booking_id)
    assert (await state_of(code))["state"] == "checked_in" and await booked(slot) == 1


async def test_the_booking_list_is_audited_for_every_view_without_names(staff):
    booth = await publish_booth(DAY)
    await book(booth["slots"][1]["id"], name="すずき はなこ", phone="09000000001")
    await book(booth["slots"][0]["id"])
    cancelled = await book(booth["slots"][0]["id"], phone="09000000002")
    with clock.frozen(BEFORE):
        await cancel_booking(cancelled, await manage_token_of(cancelled))
    with clock.frozen(at(9, 0)):
        lines = await checkin.booking_list(staff, booth["session"])
        await checkin.booking_list(staff, booth["session"])
    assert [line.name_kana for line in lines] == ["ヤマダ タロウ", "スズキ ハナコ"]  # by slot; cancelled left out
    events = await AuditEvent.select().where(AuditEvent.action == "bookings.viewed")
    assert len(events) == 2
    assert {(e["object_type"], e["object_id"]) for e in events} == {("session", str(booth["session"]))}
    assert all("ヤマダ" not in e["summary"] and "スズキ" not in e["summary"] for e in events)
    with pytest.raises(NotFound):
        await checkin.booking_list(staff, booth["session"] + 1000)


async def test_names_are_shown_from_the_day_before_the_booth_in_japan(staff):
    booth = await publish_booth(DAY)
    await book(booth["slots"][0]["id"], party_size=2)
    months_ahead = dt.datetime(2027, 2, 5, 9, 0, tzinfo=clock.JST)
    for moment in (months_ahead, at(23, 59, 59, day=DAY - dt.timedelta(days=2))):
        with clock.frozen(moment), pytest.raises(InvalidTransition, match="names are shown from 2027-06-04"):
            await checkin.booking_list(staff, booth["session"])
    assert await AuditEvent.count().where(AuditEvent.action == "bookings.viewed") == 0  # no names were seen
    with clock.frozen(months_ahead):
        counted = await checkin.booking_counts(booth["session"])
    assert (counted.parties, counted.people) == (1, 2)
    # 00:30 on 6/4 in Japan is still 6/3 in UTC: Japan's date decides
    with clock.frozen(at(0, 30, day=DAY - dt.timedelta(days=1))):
        assert [line.name_kana for line in await checkin.booking_list(staff, booth["session"])] == ["ヤマダ タロウ"]
    with clock.frozen(at(9, 0, day=DAY + dt.timedelta(days=7))):  # after the booth: results and questions
        assert len(await checkin.booking_list(staff, booth["session"])) == 1


async def test_a_move_racing_a_no_show_never_frees_places_twice(staff, monkeypatch):
    """Staff mark a party absent while its resident moves it to a later slot (the no-show lands between the move's
    read and its update, as READ COMMITTED allows on PostgreSQL): whichever comes second changes nothing, and every
    slot's booked places stay the sum of its active parties."""
    from booking import bookings

    booth = await publish_booth(DAY, capacity=4)
    first, later = booth["slots"][0]["id"], booth["slots"][6]["id"]  # 10:00, and 13:00 (still open for booking)
    code = await book(first, party_size=2)
    await book(first, name="すずき はなこ", party_size=2, phone="090-8765-4321")
    booking_id = (await state_of(code))["id"]
    open_slot = bookings._open_slot

    async def no_show_meanwhile(slot_id: int) -> dict:
        await checkin.mark_no_show(staff, booth["session"], booking_id)
        return await open_slot(slot_id)

    monkeypatch.setattr(bookings, "_open_slot", no_show_meanwhile)
    with clock.frozen(at(10, 5)), pytest.raises(Conflict) as refused:
        await bookings.move_booking(code, await manage_token_of(code), later)
    for slot in booth["slots"]:
        active = await Booking.select(Booking.party_size).where(
            (Booking.slot == slot["id"]) & Booking.state.is_in(["confirmed", "checked_in"])
        )
        assert await booked(slot["id"]) == sum(row["party_size"] for row in active)
    assert "confirmed booking" in str(refused.value)
    assert (await state_of(code))["slot"] == first


async def test_check_in_and_walk_ins_are_refused_hours_before_the_booth_opens_with_the_reason(staff):
    """At 01:00 on the booth's day a party could be checked in to a booth opening at 10:00."""
    from booking import walkins

    booth = await publish_booth(DAY, start=dt.time(10), end=dt.time(12))
    session, code = booth["session"], await book(booth["slots"][0]["id"])
    for moment in (at(1), at(8, 59, 59)):
        with clock.frozen(moment):
            with pytest.raises(InvalidTransition) as early:
                await checkin.check_in_code(staff, session, code)
            assert str(early.value.message) == (
                "Check-in and walk-ins open at 09:00, 60 minutes before the booth opens at 10:00; it is too early "
                "to register anyone."
            )
            with pytest.raises(InvalidTransition):
                await walkins.register_walk_in(staff, session, 2)
    assert (await state_of(code))["state"] == "confirmed"
    with clock.frozen(at(9)):  # staff set the booth up an hour before: the first parties may come in
        assert (await checkin.check_in_code(staff, session, code)).state == "checked_in"
        assert (await walkins.register_walk_in(staff, session, 2)).number == 1
