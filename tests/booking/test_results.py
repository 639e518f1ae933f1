"""Booth results and in-office counts: validation, corrections (one row per booth and per day), the audit trail
without personal data, the day's overview and the list of days, and results that stay with a continued booth."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from booking import results
from booking.services import publish_version
from booking.tables import Booking, BoothResult, OfficeCount, WalkIn
from core import clock
from core.db import write_transaction
from core.errors import InvalidTransition, ValidationFailed
from core.events import PlanApproved
from core.i18n import using_locale
from core.tables import AuditEvent, Role
from planner.tables import PlanVersion, Session, SessionState, YieldFactor
from tests.booking.factories import publish_booth

DAY = dt.date(2027, 6, 5)  # a Saturday
EVENING = dt.datetime(2027, 6, 5, 18, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(EVENING), using_locale("en"):
        yield


@pytest.fixture
async def staff(make_user):
    return await make_user(Role.contractor_staff)


async def refused(session_id: int, values: dict, actor) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        await results.save_results(session_id, values, actor)
    return caught.value.fields


def test_booth_hours_cover_the_window():
    assert results.booth_hours(dt.time(10), dt.time(17)) == [10, 11, 12, 13, 14, 15, 16]
    assert results.booth_hours(dt.time(10, 30), dt.time(15, 30)) == [10, 11, 12, 13, 14, 15]


async def test_counts_must_be_whole_non_negative_numbers(staff):
    booth = await publish_booth(DAY)
    fields = await refused(booth["session"], {"applications": "-1", "photos": "abc", "inquiries": "1.5"}, staff)
    assert fields["applications"] == "A count cannot be negative."
    assert "whole number" in fields["photos"] and "whole number" in fields["inquiries"]
    fields = await refused(booth["session"], {"applications": "100000"}, staff)
    assert "whole number" in fields["applications"]
    assert await BoothResult.count() == 0
    assert await AuditEvent.count().where(AuditEvent.action == "booth.results_saved") == 0


async def test_the_total_is_needed_unless_the_hours_are_given(staff):
    booth = await publish_booth(DAY)
    fields = await refused(booth["session"], {"applications": "", "photos": "3"}, staff)
    assert "applications" in fields
    saved = await results.save_results(booth["session"], {"hour_10": "3", "hour_11": "４", "applications": ""}, staff)
    assert saved["applications"] == 7  # the sum of the hours (full-width digits are read too)
    assert saved["applications_by_hour"] == {"10": 3, "11": 4}


async def test_the_hours_must_add_up_to_the_total_and_lie_within_the_booth(staff):
    booth = await publish_booth(DAY, start=dt.time(10), end=dt.time(15))
    fields = await refused(booth["session"], {"applications": "10", "hour_10": "3", "hour_11": "4"}, staff)
    assert fields["applications"].startswith("The counts per hour add up to 7, not 10")
    fields = await refused(booth["session"], {"applications": "3", "hour_16": "3"}, staff)
    assert fields == {"hour_16": "This booth was not open at that hour."}
    assert await BoothResult.count() == 0


async def test_saving_again_corrects_the_one_row_and_audits_counts_without_the_notes(staff):
    booth = await publish_booth(DAY)
    await results.save_results(
        booth["session"],
        {"applications": "12", "photos": "5", "inquiries": "20", "notes": "田中様より駐車場の問い合わせ"},
        staff,
    )
    await results.save_results(
        booth["session"],
        {"applications": "14", "photos": "", "inquiries": "20", "notes": "田中様より駐車場の問い合わせ"},
        staff,
    )
    rows = await BoothResult.select()
    assert len(rows) == 1
    assert (rows[0]["applications"], rows[0]["photos"], rows[0]["inquiries"]) == (14, 0, 20)
    assert rows[0]["entered_by"] == staff.id
    events = await AuditEvent.select().where(AuditEvent.action == "booth.results_saved").order_by(AuditEvent.id)
    assert len(events) == 2
    last = events[-1]
    assert "田中" not in str(last["changes"]) and "田中" not in last["summary"]
    changes = last["changes"] if isinstance(last["changes"], dict) else json.loads(last["changes"])
    assert changes["applications"] == {"before": 12, "after": 14}
    assert changes["photos"] == {"before": 5, "after": 0}
    assert "inquiries" not in changes  # unchanged


async def test_results_wait_for_the_day_and_need_a_published_booth(staff):
    tomorrow = await publish_booth(DAY + dt.timedelta(days=1))
    with pytest.raises(InvalidTransition):
        await results.save_results(tomorrow["session"], {"applications": "1"}, staff)
    cancelled = await publish_booth(DAY, state=SessionState.cancelled.value)
    with pytest.raises(InvalidTransition):
        await results.save_results(cancelled["session"], {"applications": "1"}, staff)
    assert await BoothResult.count() == 0


async def test_saving_results_recomputes_the_learned_yields(staff):
    booth = await publish_booth(DAY)
    await results.save_results(booth["session"], {"applications": "28"}, staff)
    keys = {row["key"] for row in await YieldFactor.select(YieldFactor.key)}
    assert keys == {"kind_day:community_hall:holiday", f"venue:{booth['venue']['id']}"}


async def test_office_counts_are_one_row_per_day_and_blank_is_zero(staff):
    await results.save_office_counts(DAY, {"card_handovers": "30", "phone_calls": "12"}, staff)
    await results.save_office_counts(DAY, {"card_handovers": "31", "phone_calls": "12", "pin_resets": "2"}, staff)
    rows = await OfficeCount.select()
    assert len(rows) == 1
    assert (rows[0]["card_handovers"], rows[0]["pin_resets"], rows[0]["certificates"]) == (31, 2, 0)
    last = (
        await AuditEvent.select()
        .where(AuditEvent.action == "office.counts_saved")
        .order_by(AuditEvent.id, ascending=False)
    )[0]
    assert "card_handovers" in str(last["changes"]) and "phone_calls" not in str(last["changes"])
    with pytest.raises(ValidationFailed) as caught:
        await results.save_office_counts(DAY, {"card_handovers": "-3", "certificates": "x"}, staff)
    assert set(caught.value.fields) == {"card_handovers", "certificates"}
    with pytest.raises(InvalidTransition):
        await results.save_office_counts(DAY + dt.timedelta(days=1), {"card_handovers": "1"}, staff)
    assert (await OfficeCount.select().first())["card_handovers"] == 31


async def _book(booth: dict, state: str, party: int = 1, n: list[int] = [0]) -> None:  # noqa: B006
    n[0] += 1
    await Booking.insert(
        Booking(
            code=f"TEST{n[0]:012d}",
            slot=booth["slots"][0]["id"],
            session=booth["session"],
            party_size=party,
            name_kana="テスト",
            phone="0900000000",
            state=state,
        )
    )


async def test_the_day_overview_counts_bookings_check_ins_no_shows_and_walk_ins(staff):
    booth = await publish_booth(DAY)
    other = await publish_booth(DAY, start=dt.time(13), end=dt.time(17))
    await publish_booth(DAY, state=SessionState.cancelled.value)  # not shown
    for state, party in (("confirmed", 2), ("checked_in", 1), ("checked_in", 3), ("no_show", 1), ("cancelled", 2)):
        await _book(booth, state, party)
    await WalkIn.insert(
        WalkIn(session=booth["session"], number=1, party_size=1, state="served"),
        WalkIn(session=booth["session"], number=2, party_size=2, state="waiting"),
    )
    await results.save_results(booth["session"], {"applications": "9"}, staff)
    await results.save_office_counts(DAY, {"applications": "40"}, staff)
    day = await results.day_overview(DAY)
    assert [b.session_id for b in day.booths] == [booth["session"], other["session"]]
    first = day.booths[0]
    assert (first.bookings, first.booked_people, first.checked_in, first.no_show, first.cancelled) == (3, 6, 2, 1, 1)
    assert (first.walk_ins, first.walk_ins_served) == (2, 1)
    assert first.result["applications"] == 9 and day.booths[1].result is None
    assert day.office["applications"] == 40
    assert day.can_enter


async def test_the_list_of_days_is_newest_first_with_what_is_entered(staff):
    early = await publish_booth(dt.date(2027, 5, 15))
    await publish_booth(DAY)
    await publish_booth(DAY)
    await publish_booth(dt.date(2027, 6, 20))
    await results.save_results(early["session"], {"applications": "4"}, staff)
    await results.save_office_counts(DAY, {}, staff)
    days = await results.booth_days(dt.date(2027, 5, 1), dt.date(2027, 6, 30))
    assert [(d.date, d.booths, d.with_results, d.office_counts) for d in days] == [
        (dt.date(2027, 6, 20), 1, 0, False),
        (DAY, 2, 0, True),
        (dt.date(2027, 5, 15), 1, 1, False),
    ]
    assert days[-1].complete and not days[1].complete


async def test_a_booth_continued_by_a_change_keeps_its_results(staff):
    """A change to an approved plan continues a booth in a new session (origin) and supersedes the old one:
    publishing the change moves the results along with the slots and bookings, and a correction stays one row."""
    old = await publish_booth(DAY)
    await results.save_results(old["session"], {"applications": "5"}, staff)
    row = await Session.select().where(Session.id == old["session"]).first()
    version = (
        await PlanVersion.insert(
            PlanVersion(
                plan=(await PlanVersion.select(PlanVersion.plan).where(PlanVersion.id == row["version"]).first())[
                    "plan"
                ],
                state="approved",
            )
        ).returning(PlanVersion.id)
    )[0]["id"]
    new_id = (
        await Session.insert(
            Session(
                **{
                    **{k: v for k, v in row.items() if k not in ("id", "version")},
                    "version": version,
                    "state": SessionState.planned.value,
                    "origin": old["session"],
                }
            )
        ).returning(Session.id)
    )[0]["id"]
    async with write_transaction():
        await publish_version(PlanApproved(version_id=version, actor_id=None))
    day = await results.day_overview(DAY)
    assert [b.session_id for b in day.booths] == [new_id]
    assert day.booths[0].result["applications"] == 5
    await results.save_results(new_id, {"applications": "6"}, staff)
    rows = await BoothResult.select()
    assert [(r["session"], r["applications"]) for r in rows] == [(new_id, 6)]
    assert (await results.booth_days(DAY, DAY))[0].with_results == 1


async def test_results_are_refused_before_the_booth_has_started(staff):
    booth = await publish_booth(DAY, start=dt.time(10), end=dt.time(17))
    with clock.frozen(dt.datetime(2027, 6, 5, 8, 0, tzinfo=clock.JST)):
        with pytest.raises(InvalidTransition) as early:
            await results.save_results(booth["session"], {"applications": "3"}, staff)
        assert early.value.message == (
            "The booth has not started yet (it opens at 10:00): enter its results once it has run."
        )
        assert not (await results.day_overview(DAY)).booths[0].started
    assert await BoothResult.count() == 0
    with clock.frozen(dt.datetime(2027, 6, 5, 10, 30, tzinfo=clock.JST)):  # running: a first count may go in
        await results.save_results(booth["session"], {"applications": "3"}, staff)
    assert await BoothResult.count() == 1


async def test_figures_the_booth_could_not_have_served_are_refused_and_unusual_ones_flagged(staff):
    """99,999 applications were accepted for a booth of 56 places."""
    booth = await publish_booth(DAY, capacity=3, walk_in=1, start=dt.time(10), end=dt.time(17))  # 14 slots × 4
    fields = await refused(booth["session"], {"applications": "99999"}, staff)
    assert fields["applications"] == (
        "99999 applications cannot be right: this booth had 56 places over 7 hours, so at most about 112 people "
        "could have applied. Check the figure (a digit too many?)."
    )
    assert "applications" in await refused(booth["session"], {"hour_10": "100", "hour_11": "13"}, staff)
    assert await BoothResult.count() == 0

    await results.save_results(booth["session"], {"applications": "60"}, staff)  # possible, but more than places
    (day,) = (await results.day_overview(DAY)).booths
    assert day.places == 56
    assert day.warnings == ["60 applications is more than the booth's 56 places: check that the figure is right."]
    await results.save_results(booth["session"], {"applications": "40"}, staff)
    assert (await results.day_overview(DAY)).booths[0].warnings == []


def test_no_applications_though_parties_came_is_flagged():
    assert results.unusual_results(0, 56, 3) == [
        "No applications, though 3 booked parties were checked in: check that the figure is right."
    ]
    assert results.unusual_results(0, 56, 0) == [] and results.unusual_results(12, 0, 3) == []
