"""Reports never rewrite the past (issue 16, item 3): a booth's forecast is fixed when it is published, a report
counts only the booths that have happened and lists the others apart, and a saved analysis whose figures changed
since is flagged on the page and replaced by a redraft in the downloads."""

from __future__ import annotations

import datetime as dt

from booking.report_analysis import (
    analysis_for_export,
    current_analysis,
    draft_daily,
    draft_monthly,
    redrafted_notice,
    save_report_analysis,
)
from booking.reports import daily_report, monthly_report
from booking.results import save_results
from booking.tables import OfficeCount
from core import clock
from core.i18n import using_locale
from core.tables import Role
from planner import services, workflow
from planner.tables import Session
from tests.booking.factories import publish_booth
from tests.booking.test_reports import add_booking, add_result, set_forecast
from tests.conftest import soup
from tests.planner.test_services import solved_version

BEFORE_JUNE = dt.datetime(2027, 5, 20, 9, 0, tzinfo=clock.JST)
AFTER_JUNE = dt.datetime(2027, 7, 1, 9, 0, tzinfo=clock.JST)


def table(report) -> list[tuple]:
    """What a reader sees of the booths' table: venue, date, hours and every figure (not the session's row id)."""
    return [(r.venue_name, r.date, r.start, r.end, r.figures, r.has_result) for r in report.booths]


async def test_a_daily_report_is_unchanged_after_an_unrelated_change_is_approved(city, people):
    staff, reviewer = people[Role.contractor_staff], people[Role.city_reviewer]
    with clock.frozen(BEFORE_JUNE):
        version = await solved_version(staff)
        await workflow.submit(staff, version.id)
        version = await services.get_version(version.id)
        await workflow.approve(reviewer, version.id, version.revision)
    booths = await services.sessions_of(version.id)
    held = booths[0]
    other = next(b for b in booths if b.date != held.date)
    published = held.expected_applicants
    assert (await Session.select(Session.published_forecast).where(Session.id == held.id).first()) == {
        "published_forecast": published
    }

    with clock.frozen(AFTER_JUNE):
        await save_results(held.id, {"applications": str(published * 4)}, staff)  # learns a factor well above 1
        before = await daily_report(held.date)
        assert before.booths[0].figures.forecast == published
        with using_locale("ja"):
            await save_report_analysis(staff, before, draft_daily(before))

        change_id = await workflow.start_change(staff, version.plan)
        copies = {s.origin: s for s in await services.sessions_of(change_id)}
        await services.remove_session(staff, copies[other.id].id)  # unrelated: another booth, another day
        relearned = {s.origin: s for s in await services.sessions_of(change_id)}[held.id].expected_applicants
        assert relearned > published  # the draft's forecast includes what the booth's own results taught
        await workflow.submit(staff, change_id)
        change = await services.get_version(change_id)
        await workflow.approve(reviewer, change_id, change.revision)

        after = await daily_report(held.date)
        assert after.booths[0].session_id != held.id  # the booth continues as a session of the new version
        assert table(after) == table(before)
        assert after.booths[0].figures.forecast == published
        assert after.booths[0].figures.actual_vs_forecast == 4.0
        continued = await Session.select().where(Session.id == after.booths[0].session_id).first()
        assert (continued["expected_applicants"], continued["published_forecast"]) == (published, published)
        current = await current_analysis(after, draft_daily(after))
        assert not current.stale and not current.unverified


MID_JUNE = dt.datetime(2027, 6, 15, 12, 0, tzinfo=clock.JST)


async def build_mid_june() -> dict:
    """June 2027 seen at noon on the 15th: a booth on the 5th with results, one on the 10th without (its day is
    over), one today still open, one on the 20th with bookings; a placement code on the future booking only."""
    done = await publish_booth(dt.date(2027, 6, 5), name="長坂公民館")
    await set_forecast(done, 10)
    await add_booking(done, "checked_in", 2)
    await add_result(done, 8, {"10": 4, "11": 4})
    over = await publish_booth(dt.date(2027, 6, 10), name="押野公民館")
    await add_booking(over, "no_show", 1)
    today = await publish_booth(dt.date(2027, 6, 15), name="本日会場")
    await add_booking(today, "confirmed", 3)
    later = await publish_booth(dt.date(2027, 6, 20), name="未来会場", capacity=40)
    await add_booking(later, "confirmed", 1, source="flyer-x")
    return {"done": done, "over": over, "today": today, "later": later}


async def test_a_monthly_report_mid_month_counts_only_the_booths_that_happened(city):
    booths = await build_mid_june()
    with clock.frozen(MID_JUNE):
        report = await monthly_report("2027-06")
        with using_locale("ja"):
            text = draft_monthly(report)
    assert [r.venue_name for r in report.booths] == ["長坂公民館", "押野公民館"]
    assert [r.venue_name for r in report.scheduled] == ["本日会場", "未来会場"]
    assert report.totals.booths == 2 and report.totals.bookings == 2 and report.totals.people == 3
    assert report.totals.applications == 8 and report.totals.reported_forecast == 10
    assert {d.date for d in report.days} == {dt.date(2027, 6, 5), dt.date(2027, 6, 10)}
    assert "flyer-x" not in {p.code for p in report.by_placement}
    assert sum(g.figures.booths for g in report.by_venue) == 2
    assert "未来会場" not in text and "本日会場" not in text  # no suggestion about a booth still to come
    assert report.scheduled[1].figures.bookings == 1  # listed with its bookings so far

    with clock.frozen(MID_JUNE.replace(hour=17, minute=0)):  # today's booth has closed: it has happened
        closed = await monthly_report("2027-06")
    assert [r.venue_name for r in closed.booths] == ["長坂公民館", "押野公民館", "本日会場"]
    assert [r.venue_name for r in closed.scheduled] == ["未来会場"]
    assert booths["later"]["session"] == closed.scheduled[0].session_id


async def test_a_daily_report_of_a_day_not_over_counts_only_booths_with_results(city):
    morning = await publish_booth(dt.date(2027, 6, 15), name="午前会場", end=dt.time(12))
    afternoon = await publish_booth(dt.date(2027, 6, 15), name="午後会場", start=dt.time(13), end=dt.time(17))
    await add_booking(afternoon, "confirmed", 2)
    with clock.frozen(MID_JUNE.replace(hour=11)):
        early = await daily_report(dt.date(2027, 6, 15))
        with using_locale("ja"):
            assert "まだ" in draft_daily(early)  # nothing to analyse yet, and it says why
    assert not early.booths and len(early.scheduled) == 2 and early.totals.booths == 0
    await add_result(morning, 5)  # results entered: it has happened, even before its end time
    with clock.frozen(MID_JUNE.replace(hour=11)):
        entered = await daily_report(dt.date(2027, 6, 15))
    assert [r.venue_name for r in entered.booths] == ["午前会場"]
    assert [r.venue_name for r in entered.scheduled] == ["午後会場"]
    assert entered.totals.bookings == 0


NOW = dt.datetime(2027, 7, 2, 9, 0, tzinfo=clock.JST)
DAY = dt.date(2027, 6, 5)


async def test_a_saved_analysis_is_flagged_and_redrafted_in_downloads_when_figures_change(
    city, people, client, signed_in
):
    staff = await signed_in(Role.contractor_staff)
    booth = await publish_booth(DAY, name="長坂公民館")
    await set_forecast(booth, 20)
    with clock.frozen(NOW):
        await save_results(booth["session"], {"applications": "6"}, staff, learn=False)
        report = await daily_report(DAY)
        edited = "【所見】長坂公民館は 6 件（見込み 20 件の 30%）。"
        await save_report_analysis(staff, report, edited)
        assert await analysis_for_export(report, draft_daily(report)) == edited
        page = soup(await client.get("/staff/reports/daily/2027-06-05"))
        assert page.select_one("#stale-analysis") is None

        await save_results(booth["session"], {"applications": "15"}, staff, learn=False)  # a correction
        report = await daily_report(DAY)
        current = await current_analysis(report, draft_daily(report))
        assert current.stale and ("applications", 6, 15) in current.changes
        with using_locale("ja"):
            exported = await analysis_for_export(report, draft_daily(report))
            assert exported.startswith(redrafted_notice())
        assert edited not in exported and "15" in exported and "75%" in exported

        page = soup(await client.get("/staff/reports/daily/2027-06-05"))
        flag = page.select_one("#stale-analysis")
        assert flag is not None and flag.get("role") == "alert"
        assert "6" in flag.select_one("#stale-changes").get_text() and "15" in flag.get_text()
        assert page.select_one("#stale-redraft")["href"].endswith("?redraft=true#analysis")
        assert page.select_one("textarea#analysis-text").get_text() == edited  # staff's text is kept to re-check

        redraft = soup(await client.get("/staff/reports/daily/2027-06-05?redraft=true"))
        seen = redraft.select_one("input[name=figures]")["value"]
        token = redraft.select_one("input[name=_csrf_token]")["value"]
        response = await client.post(
            "/staff/reports/daily/2027-06-05/analysis",
            data={"analysis": "見直しました。", "figures": seen, "_csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303
        page = soup(await client.get("/staff/reports/daily/2027-06-05"))
        assert page.select_one("#stale-analysis") is None
        report = await daily_report(DAY)
        assert await analysis_for_export(report, draft_daily(report)) == "見直しました。"


async def test_office_counts_entered_after_saving_flag_the_analysis(city, people):
    staff = people[Role.contractor_staff]
    booth = await publish_booth(DAY, name="長坂公民館")
    await add_result(booth, 4)
    with clock.frozen(NOW):
        report = await daily_report(DAY)
        await save_report_analysis(staff, report, "所見")
        await OfficeCount.insert(OfficeCount(date=DAY, applications=30))
        later = await daily_report(DAY)
        current = await current_analysis(later, draft_daily(later))
    assert current.stale and current.changes == ()  # the totals are the same; the in-office counts are not
