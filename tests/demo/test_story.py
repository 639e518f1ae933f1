"""The demo as a city in the middle of its contract: every role's pages show real work on the first run."""

from __future__ import annotations

import datetime as dt
import re

from booking.reports import daily_key, monthly_key
from booking.retention import pending
from booking.tables import Booking, BoothResult, OfficeCount, Placement, PurgeRun, ReportNote, WaitlistEntry, WalkIn
from core import clock
from core.calendar import is_year_end_closure
from core.clock import JST
from core.settings import get_settings
from core.tables import AuditEvent
from demo.services import load_demo
from planner.tables import Invitation, Plan, PlanVersion, Session, YieldFactor
from tests.conftest import sign_in


async def demo_as_of(day: dt.date, hour: int = 11):
    now = dt.datetime.combine(day, dt.time(hour), JST)
    with clock.frozen(now):
        return await load_demo(day, now)


async def signed_in_as(client, result, username: str) -> None:
    login = next(login for login in result.logins if login.username == username)
    client.cookies.clear()
    assert (await sign_in(client, login.username, login.password)).status_code == 303


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def test_the_demo_shows_a_city_in_the_middle_of_its_contract(client):
    today = dt.date(2026, 12, 3)
    result = await demo_as_of(today)

    # This fiscal year's plan: returned once with a comment, revised, approved months ago; the booths up to yesterday
    # held, with results entered on the day.
    plans = await Plan.select().order_by(Plan.id)
    assert [(p["start"], p["end"]) for p in plans] == [
        (dt.date(2026, 4, 1), dt.date(2027, 3, 31)),
        (dt.date(2027, 4, 1), dt.date(2028, 3, 31)),
    ]
    current = await PlanVersion.select().where(PlanVersion.plan == plans[0]["id"]).order_by(PlanVersion.number)
    assert [v["state"] for v in current] == ["returned", "approved"]
    assert current[-1]["decided_at"] < dt.datetime(2026, 4, 1, tzinfo=JST)
    actions = await AuditEvent.select(AuditEvent.action).where(AuditEvent.action.like("plan.%"))
    assert {"plan.submitted", "plan.returned", "plan.approved"} <= {a["action"] for a in actions}
    held = await Session.select(Session.id, Session.date).where(
        (Session.version == current[-1]["id"]) & (Session.state == "published") & (Session.date < today)
    )
    assert len(held) > 50 and await BoothResult.count() == len(held)
    assert await Booking.count().where(Booking.state == "checked_in") > 300
    assert await Booking.count().where(Booking.state == "no_show") > 0
    assert await Booking.count().where(Booking.state == "cancelled") > 0
    assert await WalkIn.count() > 100
    upcoming = await Booking.count().where((Booking.state == "confirmed") & (Booking.session.date >= today))
    assert upcoming > 0  # the rest of the year is bookable, and already partly booked
    assert await Booking.count().where((Booking.state == "confirmed") & (Booking.session.date < today)) == 0

    # Retention ran on schedule, last at 03:00 today: bookings of booths more than RETENTION_DAYS ago are erased,
    # recent ones kept, nothing is overdue.
    old = Booking.session.date < today - dt.timedelta(days=get_settings().retention_days)
    assert await Booking.count().where(old) > 0
    assert await Booking.count().where(old & (Booking.anonymised_at.is_null())) == 0
    assert await Booking.count().where((Booking.session.date >= today) & Booking.anonymised_at.is_null()) > 0
    assert await PurgeRun.count() == 9  # the first night of May … December, and last night
    with clock.frozen(dt.datetime.combine(today, dt.time(11), JST)):
        assert not any((await pending()).values())

    # The people are fictional.
    for row in await Booking.select(Booking.name_kana, Booking.phone, Booking.email).where(
        Booking.anonymised_at.is_null()
    ):
        assert row["name_kana"].startswith("テスト ")
        assert not row["phone"] or row["phone"].startswith("0900000")
        assert not row["email"] or row["email"].endswith("@example.jp")
    # A booth a few days ahead has a waiting list: the oldest entry (a phone number only) holds an offer to phone.
    entries = await WaitlistEntry.select().order_by(WaitlistEntry.id)
    assert [(e["state"], bool(e["email"])) for e in entries] == [
        ("offered", False),
        ("waiting", True),
        ("waiting", True),
    ]
    assert all(e["name_kana"].startswith("テスト ") for e in entries)

    # Reports: the latest held booth day and last month, with their analysis drafted; in-office counts entered.
    latest = max(row["date"] for row in held)
    assert await ReportNote.exists().where(ReportNote.key == daily_key(latest))
    assert await ReportNote.exists().where(ReportNote.key == monthly_key("2026-11"))
    assert await OfficeCount.exists().where(OfficeCount.date == dt.date(2026, 12, 2))
    assert await YieldFactor.count() > 0
    assert await Placement.count() == 5
    assert await Booking.count().where(Booking.source != "") > 0
    invitations = await Invitation.select(Invitation.response)
    answers = [row["response"] for row in invitations]
    assert answers.count("declined") == 1 and answers.count("accepted") > 10 and "needs-action" in answers

    # What each role sees, signed in with the printed logins.
    await signed_in_as(client, result, "lead")
    results = await BoothResult.select(BoothResult.applications).where(
        BoothResult.session.is_in([row["id"] for row in held if row["date"] == latest])
    )
    daily = await client.get(f"/staff/reports/daily/{latest.isoformat()}")
    assert daily.status_code == 200
    assert str(sum(row["applications"] for row in results)) in text(daily.text)
    note = await ReportNote.select().where(ReportNote.key == daily_key(latest)).first()
    assert note["analysis"].splitlines()[0] in daily.text
    monthly = await client.get("/staff/reports/monthly/2026-11")
    assert monthly.status_code == 200 and "テスト" not in monthly.text
    yields = await client.get("/staff/yields")
    assert yields.status_code == 200 and yields.text.count('class="factor"') == await YieldFactor.count()
    placements = await client.get("/staff/publicity")
    assert placements.status_code == 200 and "広報かなざわ" in placements.text
    invitations_page = await client.get(f"/staff/plans/{plans[0]['id']}/invitations")
    assert invitations_page.status_code == 200 and "partner" in invitations_page.text

    await signed_in_as(client, result, "reviewer")
    awaiting = await client.get(f"/staff/plans/{plans[1]['id']}")
    assert awaiting.status_code == 200 and "2027年度 実施計画" in awaiting.text and "提出" in text(awaiting.text)
    assert (await PlanVersion.select(PlanVersion.state).where(PlanVersion.plan == plans[1]["id"]).first())[
        "state"
    ] == "submitted"

    await signed_in_as(client, result, "staff")
    days = await client.get(f"/staff/days/{latest.isoformat()}")
    assert days.status_code == 200
    todays = await Session.select(Session.id).where((Session.state == "published") & (Session.date == today))
    assert todays  # the seed's plan has a booth on 2026-12-03
    for booth in todays:
        checkin = await client.get(f"/staff/checkin/{booth['id']}")  # today's booth is open for check-in
        expected = await Booking.count().where((Booking.session == booth["id"]) & (Booking.state == "confirmed"))
        checked_in = await Booking.count().where((Booking.session == booth["id"]) & (Booking.state == "checked_in"))
        assert checkin.status_code == 200 and checkin.text.count("テスト ") >= expected + checked_in
        assert expected > 0 and checked_in > 0  # at 11:00 the morning's parties are in, the afternoon's expected

    await signed_in_as(client, result, "admin")
    retention = await client.get("/staff/retention")
    assert retention.status_code == 200 and retention.text.count("data-run=") == 9


async def test_the_demo_works_as_of_the_last_day_of_a_fiscal_year():
    """(The year-end closure: tests/cli/test_main.py runs `outreach demo --date 2026-12-30`.)"""
    day = dt.date(2027, 3, 31)
    await demo_as_of(day, hour=9)
    held = await Session.select(Session.date).where((Session.state == "published") & (Session.date < day))
    assert held and not any(is_year_end_closure(row["date"]) for row in held)
    assert await BoothResult.count() == len(
        [row for row in held if row["date"] >= dt.date(2026, 4, 1) and row["date"] < day]
    )
    last_month = (day.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    assert await ReportNote.exists().where(ReportNote.key == monthly_key(last_month))
    assert await Plan.count() == 2
