"""Approval publishes: every session of the approved version becomes a booth with slots (part of each slot kept
for walk-ins), and both sides are told by email through the outbox — sent to a real SMTP server (aiosmtpd),
retried while it is down, never lost and never sent twice."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.booths import slot_counts
from booking.services import slot_times, split_capacity
from booking.tables import Slot
from core import outbox
from core.settings import get_settings
from core.tables import OutboxMessage, Role
from planner import services, workflow
from planner.tables import Session
from tests.planner.test_services import solved_version


def test_slots_cover_the_window_and_keep_places_for_walk_ins():
    times = slot_times(dt.date(2027, 6, 5), dt.time(10), dt.time(17), 30)
    assert len(times) == 14 and times[0][0].hour == 10 and times[-1][1].hour == 17
    assert split_capacity(3, 1 / 3) == (2, 1)
    assert split_capacity(6, 0.25) == (4, 2)


async def test_approval_publishes_booths_with_slots_and_emails_both_sides(city, people, smtp):
    inbox = smtp.inbox
    staff, reviewer = people[Role.contractor_staff], people[Role.city_reviewer]
    version = await solved_version(staff)
    await workflow.submit(staff, version.id)
    version = await services.get_version(version.id)
    assert await outbox.send_pending() == 1  # the reviewer is told
    assert inbox.messages[0][0] == [f"{reviewer.username}@example.jp"]
    await workflow.approve(reviewer, version.id, version.revision)
    sessions = await Session.select().where(Session.version == version.id)
    assert sessions and all(s["state"] == "published" for s in sessions)
    slots = await Slot.select().where(Slot.session.is_in([s["id"] for s in sessions]))
    settings = get_settings()
    per_session = len(slot_times(sessions[0]["date"], sessions[0]["start"], sessions[0]["end"], settings.slot_minutes))
    assert len(slots) == per_session * len(sessions)
    assert await slot_counts([s["id"] for s in sessions]) == {s["id"]: per_session for s in sessions}
    assert {(s["capacity"], s["walk_in"]) for s in slots} == {
        split_capacity(settings.slot_capacity, settings.walk_in_share)
    }
    assert await outbox.send_pending() == 2  # the submitter and the lead are told
    recipients = sorted(r for to, _content in inbox.messages[1:] for r in to)
    assert recipients == sorted([f"{staff.username}@example.jp", f"{people[Role.contractor_lead].username}@example.jp"])


async def test_an_smtp_outage_loses_and_duplicates_nothing(city, people, smtp):
    inbox, server = smtp.inbox, smtp
    staff = people[Role.contractor_staff]
    version = await solved_version(staff)
    server.stop()
    await workflow.submit(staff, version.id)
    assert await outbox.send_pending() == 0
    row = await OutboxMessage.select().first()
    assert row["status"] == "queued" and row["attempts"] == 1 and row["last_error"]
    assert await outbox.send_pending() == 0  # not due yet: backing off
    server.start()
    await OutboxMessage.update({OutboxMessage.next_attempt_at: dt.datetime.now(dt.UTC)}).where(
        OutboxMessage.id == row["id"]
    )
    assert await outbox.send_pending() == 1
    assert await outbox.send_pending() == 0
    assert len(inbox.messages) == 1
    assert (await OutboxMessage.select().first())["status"] == "sent"


async def test_a_change_after_approval_cancels_one_booth_and_publishes_its_replacement(city, people):
    from core.errors import InvalidTransition
    from venues.schemas import BlackoutCreate
    from venues.services import add_blackout

    staff, reviewer = people[Role.contractor_staff], people[Role.city_reviewer]
    version = await solved_version(staff)
    await workflow.submit(staff, version.id)
    version = await services.get_version(version.id)
    await workflow.approve(reviewer, version.id, version.revision)
    booths = await Session.select().where(Session.version == version.id)
    slots_before = {row["id"] for row in await Slot.select(Slot.id)}
    with pytest.raises(InvalidTransition):
        await services.remove_session(staff, booths[0]["id"])  # the approved version itself stays as it is

    change_id = await workflow.start_change(staff, version.plan)
    draft = await services.sessions_of(change_id)
    assert len(draft) == len(booths) and all(s.locked and s.origin for s in draft)
    cancelled = draft[0]  # the venue cancels this date
    await add_blackout(staff, cancelled.venue_id, BlackoutCreate(cancelled.date, "館の都合"))
    await services.remove_session(staff, cancelled.id)
    await services.request_replan(staff, change_id)
    await services.run_solve(change_id, progress_interval=0.05)
    replanned = await services.sessions_of(change_id)
    assert len(replanned) == len(booths)
    kept = [s for s in replanned if s.origin]
    assert len(kept) == len(booths) - 1  # every other booth stays as it was
    assert all((s.venue, s.date) != (cancelled.venue, cancelled.date) for s in replanned)

    await workflow.submit(staff, change_id)
    change = await services.get_version(change_id)
    differences = await workflow.differences(version.id, change_id)
    assert len(differences) in (1, 2) and {d.kind for d in differences} <= {"moved", "venue", "added", "removed"}
    await workflow.approve(reviewer, change_id, change.revision)

    old_states = {row["id"]: row["state"] for row in await Session.select().where(Session.version == version.id)}
    assert sorted(old_states.values()).count("cancelled") == 1
    assert (
        old_states[[b["id"] for b in booths if (b["venue"], b["date"]) == (cancelled.venue, cancelled.date)][0]]
        == "cancelled"
    )
    new_states = [row["state"] for row in await Session.select().where(Session.version == change_id)]
    assert new_states == ["published"] * len(booths)
    slots_after = await Slot.select()
    cancelled_id = [i for i, state in old_states.items() if state == "cancelled"][0]
    new_ids = {r["id"] for r in await Session.select(Session.id).where(Session.version == change_id)}
    assert sum(1 for s in slots_after if s["session"] == cancelled_id) == 14  # kept with the cancelled booth
    for session_id in new_ids:  # every booth of the change has its slots: taken over, or new for the replacement
        assert sum(1 for s in slots_after if s["session"] == session_id) == 14
    taken_over = {s["id"] for s in slots_after if s["session"] in new_ids and s["id"] in slots_before}
    assert len(taken_over) == 14 * (len(booths) - 1)  # the same slot rows (and their bookings) carry on


async def test_venue_partners_hear_of_new_and_cancelled_booths_through_the_outbox(city, people):
    from venues.tables import Venue

    await Venue.update({Venue.partner_email: "kanchou@example.jp"}, force=True)
    staff, reviewer = people[Role.contractor_staff], people[Role.city_reviewer]
    version = await solved_version(staff)
    await workflow.submit(staff, version.id)
    version = await services.get_version(version.id)
    await workflow.approve(reviewer, version.id, version.revision)
    partner_mail = await OutboxMessage.select().where(OutboxMessage.kind == "venue.partner")
    sessions = await Session.select().where(Session.version == version.id)
    assert len(partner_mail) == len(sessions) and all(m["recipient"] == "kanchou@example.jp" for m in partner_mail)
    change_id = await workflow.start_change(staff, version.plan)
    dropped = (await services.sessions_of(change_id))[0]
    await services.remove_session(staff, dropped.id)
    await workflow.submit(staff, change_id)
    change = await services.get_version(change_id)
    await workflow.approve(reviewer, change_id, change.revision)
    after = await OutboxMessage.select().where(OutboxMessage.kind == "venue.partner")
    (cancellation,) = after[len(partner_mail) :]  # one message only: the dropped booth (the others continue)
    assert dropped.date.isoformat() in cancellation["subject"] and "中止" in cancellation["subject"]


async def test_residents_booked_on_a_cancelled_booth_are_told_and_keep_their_booking(city, people, smtp):
    """Issue 4: a change after approval cancels a booth; its residents get an email with a link to choose another
    time, their booking is kept until they do, and moving it from that link works."""
    import re

    from booking.bookings import BookingRequest, create_booking, get_booking, move_booking
    from booking.tables import Booking
    from core.errors import NotFound

    staff, reviewer = people[Role.contractor_staff], people[Role.city_reviewer]
    version = await solved_version(staff)
    await workflow.submit(staff, version.id)
    version = await services.get_version(version.id)
    await workflow.approve(reviewer, version.id, version.revision)
    booths = await Session.select().where(Session.version == version.id).order_by(Session.date)
    doomed, other = booths[0], booths[1]
    doomed_slot = (await Slot.select().where(Slot.session == doomed["id"]).order_by(Slot.start).first())["id"]
    other_slot = (await Slot.select().where(Slot.session == other["id"]).order_by(Slot.start).first())["id"]
    told, _ = await create_booking(
        BookingRequest(slot_id=doomed_slot, name_kana="ミナト ハナ", email="hana@example.jp", language="en")
    )
    phone_only, _ = await create_booking(
        BookingRequest(slot_id=doomed_slot, name_kana="ミナト ジロウ", phone="0761234567")
    )
    unaffected, _ = await create_booking(
        BookingRequest(slot_id=other_slot, name_kana="カワ タロウ", email="kawa@example.jp")
    )
    await outbox.send_pending()
    smtp.inbox.messages.clear()

    from venues.schemas import BlackoutCreate
    from venues.services import add_blackout

    change_id = await workflow.start_change(staff, version.plan)
    draft = {s.origin: s for s in await services.sessions_of(change_id)}
    await add_blackout(
        staff, doomed["venue"] and draft[doomed["id"]].venue_id, BlackoutCreate(doomed["date"], "館の都合")
    )
    await services.remove_session(staff, draft[doomed["id"]].id)
    await services.request_replan(staff, change_id)
    await services.run_solve(change_id, progress_interval=0.05)
    await workflow.submit(staff, change_id)
    await workflow.approve(reviewer, change_id, (await services.get_version(change_id)).revision)
    await outbox.send_pending()

    rebook = [(to, body) for to, body in smtp.inbox.messages if b"choose a new time" in body]
    assert [to for to, _ in rebook] == [["hana@example.jp"]]  # the one resident with an email, once
    import email

    text = email.message_from_bytes(rebook[0][1], policy=email.policy.default).get_content()
    token = re.search(rf"/bookings/{told.code}\?token=([\w-]+)", text)[1]  # a new link, in the resident's inbox
    kept = await get_booking(told.code, token)
    assert kept.state == "confirmed" and kept.booth.state == "cancelled"  # kept until they choose
    with pytest.raises(NotFound):  # it replaces the old one
        await get_booking(told.code, told.manage_token)
    assert (await get_booking(phone_only.code, phone_only.manage_token)).state == "confirmed"  # no email: unchanged
    continued = await Booking.select(Booking.session).where(Booking.code == unaffected.code).first()
    new_other = [s for s in await Session.select().where(Session.version == change_id) if s["origin"] == other["id"]]
    assert continued["session"] == new_other[0]["id"]  # the continued booth carries its bookings along
    assert not any(to == ["kawa@example.jp"] for to, _ in smtp.inbox.messages)
    await outbox.send_pending()
    assert len([m for m in smtp.inbox.messages if b"choose a new time" in m[1]]) == 1  # never twice
    target = (
        await Slot.select().where(Slot.session == new_other[0]["id"]).order_by(Slot.start, ascending=False).first()
    )["id"]
    moved = await move_booking(told.code, token, target)
    assert moved.slot_id == target and moved.booth.state == "published"


async def test_a_booth_moved_by_a_change_takes_its_bookings_along_and_tells_the_residents(city, people):
    import datetime as dt
    import re

    from booking.bookings import BookingRequest, create_booking, get_booking
    from core.errors import DomainError

    staff, reviewer = people[Role.contractor_staff], people[Role.city_reviewer]
    version = await solved_version(staff)
    await workflow.submit(staff, version.id)
    version = await services.get_version(version.id)
    await workflow.approve(reviewer, version.id, version.revision)
    booth = await Session.select().where(Session.version == version.id).order_by(Session.date).first()
    slot = (await Slot.select().where(Slot.session == booth["id"]).order_by(Slot.start))[3]
    booking, _ = await create_booking(
        BookingRequest(slot_id=slot["id"], name_kana="ウツリ ハナ", email="utsuri@example.jp")
    )
    change_id = await workflow.start_change(staff, version.plan)
    copy = [s for s in await services.sessions_of(change_id) if s.origin == booth["id"]][0]
    for days in range(1, 60):  # the first later date the model's rules allow
        try:
            await services.move_session(staff, copy.id, booth["date"] + dt.timedelta(days=days))
            break
        except DomainError:
            continue
    moved_to = (await Session.select(Session.date).where(Session.id == copy.id).first())["date"]
    assert moved_to != booth["date"]
    await workflow.submit(staff, change_id)
    await workflow.approve(reviewer, change_id, (await services.get_version(change_id)).revision)

    notice = await OutboxMessage.select().where(OutboxMessage.kind == "booking.booth_changed")
    assert [m["recipient"] for m in notice] == ["utsuri@example.jp"]
    token = re.search(rf"/bookings/{booking.code}\?token=([\w-]+)", notice[0]["body"])[1]
    after = await get_booking(booking.code, token)
    assert after.state == "confirmed" and after.booth.session_id == copy.id and after.booth.state == "published"
    assert after.booth.id == copy.origin  # its public id (links, QR codes) stays the one it was published with
    assert after.slot_start.date() == moved_to and after.slot_start.time() == booking.slot_start.time()
    assert await Slot.count().where(Slot.session == copy.id) == 14
