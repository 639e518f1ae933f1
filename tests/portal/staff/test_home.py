"""The back office's home (issue 16, item 6): staff land on ``/staff/`` after signing in, and each role sees what
needs it now — the reviewer the plans awaiting review, the contractor today's booths, missing results and reports,
leads and admins the failed emails — and not another role's lists."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.report_analysis import save_report_analysis
from booking.reports import daily_report
from booking.tables import OfficeCount
from core import clock
from core.tables import OutboxMessage, Role
from planner import services, workflow
from tests.booking.factories import publish_booth
from tests.booking.test_reports import add_booking, add_result
from tests.conftest import PASSWORD, csrf_token, soup
from tests.planner.test_services import solved_version

NOW = dt.datetime(2027, 6, 15, 9, 30, tzinfo=clock.JST)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(NOW):
        yield


async def build_work(people) -> dict:
    """A plan awaiting review, a booth today with a booking, a past day missing results, a past day with results
    and counts but no saved analysis, another whose analysis is saved, and a failed email."""
    staff = people[Role.contractor_staff]
    with clock.frozen(dt.datetime(2027, 5, 20, 9, 0, tzinfo=clock.JST)):  # submitted before its first booth
        version = await solved_version(staff)
        await workflow.submit(staff, version.id)
    today = await publish_booth(TODAY, name="本日会場")
    await add_booking(today, "confirmed", 2)
    missing = await publish_booth(dt.date(2027, 6, 10), name="未入力会場")
    done = await publish_booth(dt.date(2027, 6, 5), name="入力済み会場")
    await add_result(done, 7)
    await OfficeCount.insert(OfficeCount(date=dt.date(2027, 6, 5), applications=3))
    written = await publish_booth(dt.date(2027, 6, 1), name="報告済み会場")
    await add_result(written, 4)
    await OfficeCount.insert(OfficeCount(date=dt.date(2027, 6, 1), applications=2))
    await save_report_analysis(staff, await daily_report(dt.date(2027, 6, 1)), "所見")
    await OutboxMessage.insert(
        OutboxMessage(kind="plan.review", recipient="x@example.jp", subject="件名", body="本文", status="failed")
    )
    return {"version": await services.get_version(version.id), "today": today, "missing": missing}


async def home_of(client, make_user, role: Role):
    actor = await make_user(role)
    login = await client.get("/staff/login")
    response = await client.post(
        "/staff/login",
        data={"username": actor.username, "password": PASSWORD, "_csrf_token": csrf_token(login.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff/"  # sign-in lands on the home
    return soup(await client.get(response.headers["location"]))


def sections(page) -> set[str]:
    return {section["id"] for section in page.select("section[id]")}


async def test_the_reviewer_sees_the_plan_awaiting_review_and_nothing_of_the_contractor(
    city, people, client, make_user
):
    work = await build_work(people)
    page = await home_of(client, make_user, Role.city_reviewer)
    assert page.select_one("h1").get_text(strip=True) == "ホーム"
    assert sections(page) == {"review"}
    (item,) = page.select("#review li")
    assert item.select_one("a")["href"] == f"/staff/plans/{work['version'].plan}"
    assert "2027年6月 実施計画" in item.get_text()


async def test_contractor_staff_see_todays_booths_missing_results_and_reports(city, people, client, make_user):
    work = await build_work(people)
    page = await home_of(client, make_user, Role.contractor_staff)
    assert sections(page) == {"today", "missing-results", "missing-reports", "hours-to-confirm"}
    (booth,) = page.select("#today li")
    assert booth.select_one("a")["href"] == f"/staff/checkin/{work['today']['session']}"
    assert "本日会場" in booth.get_text() and "10:00" in booth.get_text()
    missing = [li["data-day"] for li in page.select("#missing-results li")]
    assert missing == ["2027-06-10"]  # the day with results and counts is not listed; today is not past yet
    reports = [li["data-report-day"] for li in page.select("#missing-reports li[data-report-day]")]
    assert reports == ["2027-06-05"]  # 06-01's analysis is saved; 06-10 has no results to report yet
    assert page.select_one("#missing-reports a")["href"] == "/staff/reports/daily/2027-06-05"
    assert page.select_one("#review") is None and page.select_one("#failed-emails") is None


async def test_leads_and_admins_also_see_failed_emails(city, people, client, make_user):
    await build_work(people)
    lead = await home_of(client, make_user, Role.contractor_lead)
    assert sections(lead) == {"today", "missing-results", "missing-reports", "hours-to-confirm", "failed-emails"}
    link = lead.select_one("#failed-emails a")
    assert link["href"] == "/staff/outbox?status=failed" and "1" in link.get_text()
    await client.post("/staff/logout", data={"_csrf_token": csrf_token((await client.get("/staff/")).text)})
    admin = await home_of(client, make_user, Role.admin)
    assert "failed-emails" in sections(admin)


async def test_staff_see_the_venues_whose_opening_rules_wait_for_them(client, make_user):
    from tests.venues.factories import make_venue

    waiting = await make_venue(venue_id="WAIT-1", name="確認待ち公民館", hours_unread="館長が指定する日\n特別整理期間")
    await make_venue(venue_id="DONE-1", name="確認済み公民館", hours_unread="特別整理期間", hours_confirmed=True)
    await make_venue(venue_id="READ-1", name="読めた公民館")
    await make_venue(venue_id="HALL-1", name="市役所", kind="city_hall", hours_unread="雨天時")  # never a booth venue
    page = await home_of(client, make_user, Role.contractor_staff)
    (item,) = page.select("#hours-to-confirm li")
    assert item["data-venue"] == waiting["venue_id"]
    assert item.select_one("a")["href"] == "/staff/venues/v/WAIT-1#opening-rules"
    assert "館長が指定する日、特別整理期間" in item.get_text()
    await client.post("/staff/logout", data={"_csrf_token": csrf_token((await client.get("/staff/")).text)})
    reviewer = await home_of(client, make_user, Role.city_reviewer)
    assert reviewer.select_one("#hours-to-confirm") is None


async def test_an_empty_home_says_there_is_nothing_to_do(city, client, make_user):
    page = await home_of(client, make_user, Role.contractor_lead)
    assert page.select_one("#today .hint") is not None and not page.select("#today li")
    assert not page.select("#missing-results li") and not page.select("#failed-emails a")
    assert not page.select("#hours-to-confirm li") and page.select_one("#hours-to-confirm .hint") is not None


async def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    response = await client.get("/staff/", follow_redirects=False)
    assert response.status_code in (302, 303) and response.headers["location"].startswith("/staff/login")
