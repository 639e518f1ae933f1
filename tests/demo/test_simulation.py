"""The demo's simulation of residents at the booths: deterministic for a seed, within the booths' capacity, and
about fictional people only."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from booking.bookings import BookingRequest, validate
from core.clock import JST
from demo.simulation import BoothSpec, SlotSpec, office_day, simulate_booth

DAY = dt.date(2026, 7, 11)
OPENED = dt.datetime(2026, 2, 20, 16, 0, tzinfo=JST)


def booth(expected: int = 40, capacity: int = 4) -> BoothSpec:
    first = dt.datetime.combine(DAY, dt.time(10), JST)
    slots = tuple(
        SlotSpec(first + dt.timedelta(minutes=30 * i), first + dt.timedelta(minutes=30 * (i + 1)), capacity)
        for i in range(14)
    )
    return BoothSpec(session_id=1, venue_id=1, date=DAY, expected=expected, slots=slots)


def run(seed: int, **kwargs):
    options = {"factor": 1.0, "held": True, "opened": OPENED, "placements": ("koho", "line")} | kwargs
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


def test_a_booth_still_to_come_has_only_bookings():
    outcome = run(3, held=False)
    assert outcome.walk_ins == [] and outcome.applications == 0
    assert {b.state for b in outcome.bookings} <= {"confirmed", "cancelled"}


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
    month = {"card_issued_at_window": 2100, "e_certificate_issued_or_renewed": 840, "applications_received": 1050}
    days = [office_day(month, 21, random.Random(seed)) for seed in range(21)]
    assert 0.85 * 2100 <= sum(d["card_handovers"] for d in days) <= 1.15 * 2100
    assert all(d["phone_calls"] == 0 for d in days)  # not in these figures: nothing invented
