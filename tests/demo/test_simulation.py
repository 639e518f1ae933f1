"""The demo's simulation of residents at the booths: deterministic for a seed, within the booths' capacity, and
about fictional people only."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from booking.bookings import BookingRequest, validate
from booking.counter_stats import CounterStat
from core.clock import JST
from demo.simulation import BoothSpec, SlotSpec, office_day, simulate_booth

DAY = dt.date(2026, 7, 11)
OPENED = dt.datetime(2026, 2, 20, 16, 0, tzinfo=JST)
AFTER = dt.datetime(2026, 7, 12, 9, 0, tzinfo=JST)  # the day after the booth
BEFORE = dt.datetime(2026, 7, 4, 9, 0, tzinfo=JST)  # a week before it
DURING = dt.datetime(2026, 7, 11, 13, 5, tzinfo=JST)  # at lunchtime on the day


def booth(expected: int = 40, capacity: int = 4) -> BoothSpec:
    first = dt.datetime.combine(DAY, dt.time(10), JST)
    slots = tuple(
        SlotSpec(first + dt.timedelta(minutes=30 * i), first + dt.timedelta(minutes=30 * (i + 1)), capacity)
        for i in range(14)
    )
    return BoothSpec(session_id=1, venue_id=1, date=DAY, expected=expected, slots=slots)


def run(seed: int, **kwargs):
    options = {"factor": 1.0, "now": AFTER, "opened": OPENED, "placements": ("koho", "line")} | kwargs
    return simulate_booth(booth(), random.Random(seed), **options)


def test_the_same_seed_tells_the_same_story_and_another_seed_another():
    assert run(7) == run(7)
    assert run(7) != run(8)


def test_bookings_never_exceed_a_slots_places_and_are_made_before_the_booth():
    for seed in range(30):
        outcome = run(seed, factor=3.0)  # a crowd: more people want to book than there are places
        taken = Counter()
        for b in outcome.bookings:
            if b.state in ("confirmed", "checked_in"):
                taken[b.slot] += b.party_size
            assert OPENED < b.created_at < booth().slots[b.slot].start
            if b.state == "cancelled":
                assert b.created_at < b.cancelled_at < booth().slots[b.slot].start
        assert all(places <= 4 for places in taken.values())


def test_a_held_booth_counts_only_people_who_came():
    outcome = run(3)
    came = sum(b.party_size for b in outcome.bookings if b.state == "checked_in") + sum(
        w.party_size for w in outcome.walk_ins if w.state == "served"
    )
    assert 0 < outcome.applications <= came
    assert set(outcome.applications_by_hour) <= set(range(10, 17))
    assert {b.state for b in outcome.bookings} <= {"checked_in", "no_show", "cancelled"}
    assert [w.number for w in outcome.walk_ins] == list(range(1, len(outcome.walk_ins) + 1))
    for b in outcome.bookings:
        if b.state == "no_show":  # released to walk-ins, as the product does, 15 minutes into the slot
            assert b.released_at == booth().slots[b.slot].start + dt.timedelta(minutes=15)


def test_a_booth_still_to_come_has_only_the_bookings_made_so_far():
    whole, so_far = run(3), run(3, now=BEFORE)
    assert so_far.walk_ins == [] and so_far.applications == 0
    assert {b.state for b in so_far.bookings} <= {"confirmed", "cancelled"}
    assert all(b.created_at <= BEFORE for b in so_far.bookings)
    assert all(b.cancelled_at <= BEFORE for b in so_far.bookings if b.state == "cancelled")
    assert 0 < len(so_far.bookings) < len(whole.bookings)  # others book in the week to come


def test_a_booth_under_way_has_checked_in_the_morning_and_expects_the_afternoon():
    outcome = run(3, now=DURING)
    for b in outcome.bookings:
        start = booth().slots[b.slot].start
        if start + dt.timedelta(minutes=15) <= DURING:
            assert b.state in ("checked_in", "no_show", "cancelled")
        else:
            assert b.state in ("confirmed", "cancelled")
    assert outcome.walk_ins and all(w.arrived_at <= DURING for w in outcome.walk_ins)
    assert all(w.served_at is None for w in outcome.walk_ins if w.state == "waiting")


def test_walk_ins_come_only_while_a_shorter_booth_is_open():
    first = dt.datetime.combine(DAY, dt.time(13), JST)
    slots = tuple(
        SlotSpec(first + dt.timedelta(minutes=30 * i), first + dt.timedelta(minutes=30 * (i + 1)), 4) for i in range(8)
    )
    short = BoothSpec(session_id=1, venue_id=1, date=DAY, expected=60, slots=slots)
    utc_slots = tuple(SlotSpec(s.start.astimezone(dt.UTC), s.end.astimezone(dt.UTC), 4) for s in slots)
    for spec in (short, BoothSpec(1, 1, DAY, 60, utc_slots)):  # the database gives the times in UTC
        outcome = simulate_booth(spec, random.Random(1), factor=1.0, now=AFTER, opened=OPENED)
        assert outcome.walk_ins and set(outcome.applications_by_hour) <= {13, 14, 15, 16}
        assert all(first <= w.arrived_at < first + dt.timedelta(hours=4) for w in outcome.walk_ins)


def test_the_residents_are_fictional_and_valid_bookings():
    outcome = run(5, factor=2.0)
    for b in outcome.bookings:
        person = b.resident
        assert person.name_kana.startswith("テスト ")
        assert person.phone or person.email
        assert not person.phone or person.phone.startswith("0900000")
        assert not person.email or person.email.endswith("@example.jp")
        validate(BookingRequest(slot_id=1, name_kana=person.name_kana, phone=person.phone, email=person.email))


def test_office_days_follow_the_months_statistics():
    month = CounterStat(month="2024-06", card_issued=2100, certificates=840, applications=1050, phone_calls=630)
    days = [office_day(month, 21, random.Random(seed)) for seed in range(21)]
    assert 0.85 * 2100 <= sum(d["card_handovers"] for d in days) <= 1.15 * 2100
    assert 0.85 * 630 <= sum(d["phone_calls"] for d in days) <= 1.15 * 630
    assert office_day(None, 21, random.Random(1))["card_handovers"] == 0  # a month the file lacks: nothing invented
