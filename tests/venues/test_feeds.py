"""A venue's calendar feed behind the page: its secret token (issued once, rotated with an audit entry, checked in
constant time) and the booths it shows (current ones of that venue, a UID that survives changes to the plan,
SEQUENCE raised by each change and by a cancellation, booking counts without names)."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.bookings import BookingRequest, cancel_booking, create_booking
from booking.services import publish_version
from booking.venue_booths import FEED_PAST_DAYS, venue_feed_booths
from core import clock
from core.errors import NotFound
from core.events import PlanApproved
from core.tables import AuditEvent, Role
from planner.booth_uid import booth_identity, booth_uid
from planner.tables import Plan, PlanVersion, Session, SessionState
from tests.booking.factories import publish_booth
from tests.venues.factories import make_venue
from venues.feeds import check_feed_token, feed_token, rotate_feed_token
from venues.tables import Venue

TODAY = dt.date(2027, 6, 1)
NOW = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(NOW):
        yield


async def stored_token(venue: dict) -> str:
    return (await Venue.select(Venue.feed_token).where(Venue.id == venue["id"]).first())["feed_token"]


async def test_a_token_is_issued_on_first_use_and_then_kept():
    venue = await make_venue()
    assert await stored_token(venue) == ""  # not issued yet
    token = await feed_token(venue["venue_id"])
    assert len(token) >= 43 and token == await stored_token(venue)
    assert await feed_token(venue["venue_id"]) == token
    other = await make_venue()
    assert await feed_token(other["venue_id"]) != token
    with pytest.raises(NotFound):
        await feed_token("NO-SUCH-VENUE")


async def test_rotating_replaces_the_token_and_audits_without_naming_it(make_user):
    actor = await make_user(Role.contractor_staff)
    venue = await make_venue()
    old = await feed_token(venue["venue_id"])
    new = await rotate_feed_token(actor, venue["venue_id"])
    assert new != old and await stored_token(venue) == new
    (event,) = await AuditEvent.select().where(AuditEvent.action == "venue.feed_token_rotated")
    assert (event["actor_name"], event["object_type"], event["object_id"]) == (
        actor.username,
        "venue",
        venue["venue_id"],
    )
    assert old not in str(event) and new not in str(event)
    with pytest.raises(NotFound):
        await rotate_feed_token(actor, "NO-SUCH-VENUE")


async def test_only_the_current_token_of_an_existing_venue_opens_the_feed(make_user):
    venue = await make_venue()
    with pytest.raises(NotFound):  # nothing issued yet: not even an empty token opens it
        await check_feed_token(venue["venue_id"], "")
    token = await feed_token(venue["venue_id"])
    assert (await check_feed_token(venue["venue_id"], token))["id"] == venue["id"]
    for wrong in (
        None,
        "",
        token[:-1],
        token + "x",
        token.upper() if token.upper() != token else token.lower(),
        "日本語のトークン",
    ):
        with pytest.raises(NotFound):
            await check_feed_token(venue["venue_id"], wrong)
    with pytest.raises(NotFound) as unknown:
        await check_feed_token("NO-SUCH-VENUE", token)
    with pytest.raises(NotFound) as wrong_token:
        await check_feed_token(venue["venue_id"], "x" * 43)
    assert unknown.value.message == wrong_token.value.message  # the answer does not tell which one was wrong
    new = await rotate_feed_token(await make_user(Role.admin), venue["venue_id"])
    with pytest.raises(NotFound):
        await check_feed_token(venue["venue_id"], token)
    assert (await check_feed_token(venue["venue_id"], new))["venue_id"] == venue["venue_id"]


# --- the booths of a feed ----------------------------------------------------------------------------------------


async def new_plan() -> int:
    return (
        await Plan.insert(Plan(title="テスト計画", start=dt.date(2027, 4, 1), end=dt.date(2028, 3, 31))).returning(
            Plan.id
        )
    )[0]["id"]


async def approve(plan: int, sessions: list[dict]) -> dict[str, int]:
    """A new approved version of ``plan`` with these sessions (``origin`` for the booths it continues), published
    as an approval publishes it; returns the session id of each by its ``key``."""
    number = await PlanVersion.count().where(PlanVersion.plan == plan) + 1
    version = (
        await PlanVersion.insert(
            PlanVersion(plan=plan, number=number, state="approved", decided_at=clock.now())
        ).returning(PlanVersion.id)
    )[0]["id"]
    ids = {}
    for s in sessions:
        date = s["date"]
        ids[s["key"]] = (
            await Session.insert(
                Session(
                    version=version,
                    venue=s["venue"]["id"],
                    date=date,
                    start=dt.time(10),
                    end=dt.time(16),
                    day_type="holiday" if date.weekday() >= 5 else "weekday",
                    origin=s.get("origin"),
                    state=SessionState.planned.value,
                )
            ).returning(Session.id)
        )[0]["id"]
    await publish_version(PlanApproved(version_id=version, actor_id=None))
    return ids


def booth(key: str, venue: dict, date: dt.date, origin: int | None = None) -> dict:
    return {"key": key, "venue": venue, "date": date, "origin": origin}


async def test_the_feed_holds_this_venues_current_and_recently_cancelled_booths():
    venue, elsewhere = await make_venue(), await make_venue()
    window = TODAY - dt.timedelta(days=FEED_PAST_DAYS)
    shown = [
        (await publish_booth(TODAY + dt.timedelta(days=5), venue=venue))["session"],
        (await publish_booth(window, venue=venue, state=SessionState.held.value))["session"],
        (await publish_booth(TODAY + dt.timedelta(days=9), venue=venue, state=SessionState.cancelled.value))["session"],
    ]
    for date, state in (
        (window - dt.timedelta(days=1), SessionState.held.value),
        (window - dt.timedelta(days=2), SessionState.cancelled.value),
        (TODAY, SessionState.superseded.value),
        (TODAY, SessionState.planned.value),
    ):
        await publish_booth(date, venue=venue, state=state)
    await publish_booth(TODAY + dt.timedelta(days=5), venue=elsewhere)
    booths = await venue_feed_booths(venue["id"])
    assert [b.session_id for b in booths] == [shown[1], shown[0], shown[2]]  # in date order
    assert [b.state for b in booths] == ["held", "published", "cancelled"]
    assert [b.cancelled for b in booths] == [False, False, True]
    assert await venue_feed_booths(elsewhere["id"] + 1000) == []


async def test_a_change_keeps_the_uid_and_raises_the_sequence_and_a_cancellation_raises_it_again():
    venue = await make_venue()
    plan = await new_plan()
    first = await approve(plan, [booth("a", venue, dt.date(2027, 6, 12)), booth("b", venue, dt.date(2027, 7, 3))])
    before = {b.session_id: b for b in await venue_feed_booths(venue["id"])}
    assert [before[first[k]].sequence for k in "ab"] == [0, 0]
    uid_a, uid_b = before[first["a"]].uid, before[first["b"]].uid
    assert uid_a == f"booth-{first['a']}@127.0.0.1" and uid_a != uid_b
    assert (
        before[first["a"]].stamp
        == (await PlanVersion.select(PlanVersion.decided_at).where(PlanVersion.plan == plan).first())["decided_at"]
    )

    # A change: booth a continues (same date and venue), booth b is dropped.
    second = await approve(plan, [booth("a", venue, dt.date(2027, 6, 12), origin=first["a"])])
    after = {b.uid: b for b in await venue_feed_booths(venue["id"])}
    assert set(after) == {uid_a, uid_b}
    assert after[uid_a].session_id == second["a"] and after[uid_a].sequence == 1 and not after[uid_a].cancelled
    assert after[uid_b].session_id == first["b"] and after[uid_b].cancelled and after[uid_b].sequence == 1

    # A second change continues the continuation: still the same booth.
    third = await approve(plan, [booth("a", venue, dt.date(2027, 6, 12), origin=second["a"])])
    (latest,) = [b for b in await venue_feed_booths(venue["id"]) if not b.cancelled]
    assert (latest.session_id, latest.uid, latest.sequence) == (third["a"], uid_a, 2)
    assert await booth_uid(third["a"]) == await booth_uid(first["a"]) == uid_a
    identity = await booth_identity(third["a"])
    assert (identity.first_session_id, identity.versions, identity.sequence("cancelled")) == (first["a"], 2, 3)


async def test_a_booth_counts_active_bookings_and_people_but_names_no_one():
    published = await publish_booth(TODAY + dt.timedelta(days=4), capacity=4, walk_in=2)
    slots = [slot["id"] for slot in published["slots"]]
    kept, _ = await create_booking(
        BookingRequest(slot_id=slots[0], name_kana="カナザワ タロウ", phone="09012345678", party_size=3)
    )
    await create_booking(
        BookingRequest(slot_id=slots[1], name_kana="ノト ハナコ", email="hanako@example.jp", party_size=1)
    )
    gone, _ = await create_booking(
        BookingRequest(slot_id=slots[2], name_kana="カガ ジロウ", phone="09000000000", party_size=2)
    )
    await cancel_booking(gone.code, gone.manage_token)
    (feed_booth,) = await venue_feed_booths(published["venue"]["id"])
    assert (feed_booth.bookings, feed_booth.people) == (2, 4)
    assert (feed_booth.capacity, feed_booth.walk_in) == (4 * len(slots), 2 * len(slots))
    assert "カナザワ" not in repr(feed_booth) and kept.code not in repr(feed_booth)
