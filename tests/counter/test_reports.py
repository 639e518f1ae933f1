"""Served queue tickets in the daily and monthly reports: they fill the in-office counts by service (typed counts
stay on days without tickets), the waiting times per hour (median, 90th percentile, served) appear in the tables,
charts, PDF and Excel, the analysis names the busiest hour and the hours above the red threshold with a proposal,
and a saved analysis is flagged when a ticket changes the figures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import itertools
import secrets

import pytest
from openpyxl import load_workbook

from booking import office_tickets
from booking.office_tickets import WaitRow, percentile
from booking.report_analysis import current_analysis, draft_daily, draft_monthly, fingerprint, save_report_analysis
from booking.report_charts import daily_charts, monthly_charts
from booking.report_pdf import daily_report_pdf, monthly_report_pdf
from booking.report_xlsx import daily_report_xlsx, monthly_report_xlsx
from booking.reports import (
    BoothRow,
    DailyReport,
    DayRow,
    Figures,
    MonthlyReport,
    OfficeFigures,
    daily_report,
    monthly_report,
)
from booking.tables import OfficeCount
from core import clock
from core.i18n import using_locale
from core.tables import Role
from counter import report_figures
from counter.tables import CounterService, Office, ServiceKind, Ticket
from tests.booking.factories import publish_booth
from tests.booking.test_reports import add_result, pdf_text
from tests.conftest import soup

DAY = dt.date(2027, 6, 7)  # a Monday with queue tickets
NEXT = dt.date(2027, 6, 8)  # a quieter day with tickets
OLD = dt.date(2027, 6, 4)  # a day before the counter issued tickets: counts typed by hand
NOW = dt.datetime(2027, 7, 2, 9, 0, tzinfo=clock.JST)
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(NOW):
        yield


async def make_office(name: str = "金沢市役所", red: int = 60, amber: int = 20) -> dict:
    code = f"O{next(_numbers)}"
    row = Office(code=code, name=name, red_minutes=red, amber_minutes=amber)
    office = (await Office.insert(row).returning(Office.id))[0]
    services = {}
    for kind, letter in zip(ServiceKind, "ABCDE", strict=True):
        row = await CounterService.insert(
            CounterService(office=office["id"], kind=kind.value, letter=letter)
        ).returning(CounterService.id)
        services[kind.value] = row[0]["id"]
    return {"id": office["id"], "services": services}


def at(day: dt.date, hh: int, mm: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, 0), clock.JST) + dt.timedelta(minutes=mm)


async def ticket(
    office: dict,
    kind: str,
    day: dt.date,
    issued: tuple[int, int],
    wait: float | None,
    state: str,
    *,
    service_minutes: float = 5,
    transferred_from: int | None = None,
    issued_at: dt.datetime | None = None,
) -> int:
    """A ticket of ``kind`` issued at ``issued`` (hour, minute) on ``day`` and called ``wait`` minutes later (None:
    never called); finished ``service_minutes`` after the call unless still waiting."""
    number = next(_numbers)
    issued_time = issued_at or at(day, *issued)
    called = None if wait is None else issued_time + dt.timedelta(minutes=wait)
    finished = called + dt.timedelta(minutes=service_minutes) if called else None
    if state == "cancelled" and called is None:
        finished = issued_time + dt.timedelta(minutes=1)
    service = office["services"][kind]
    rows = await Ticket.insert(
        Ticket(
            code=secrets.token_hex(8).upper(),
            office=office["id"],
            service=service,
            day=day,
            number=number,
            number_key=f"{service}:{day.isoformat()}:{number}",
            state=state,
            issued_at=issued_time,
            called_at=called,
            finished_at=finished,
            window=1 if called else None,
            transferred_from=transferred_from,
        )
    ).returning(Ticket._meta.primary_key)
    return rows[0]["id"]


async def build_counter() -> dict:
    """City Hall's tickets on DAY and NEXT, each wait known, with the counts typed by hand on DAY (overridden by the
    tickets for the four services) and on OLD (kept)."""
    office = await make_office()
    # 9時台: six pickups waiting 10–100 minutes (median 35, 90th percentile 75: above the red threshold of 60).
    for minute, wait in zip((0, 5, 10, 15, 20, 25), (10, 20, 30, 40, 50, 100), strict=True):
        await ticket(office, "pickup", DAY, (9, minute), wait, "served")
    # 10時台: five certificates and an application whose visitor did not come when called.
    for minute, wait in zip((0, 10, 20, 30, 40), (5, 5, 10, 10, 15), strict=True):
        await ticket(office, "certificate", DAY, (10, minute), wait, "served")
    await ticket(office, "application", DAY, (10, 50), 20, "absent")
    # 11時台: a pickup transferred to the certificate window (10 + 30 minutes of waiting), and a ticket cancelled
    # before its turn.
    first = await ticket(office, "pickup", DAY, (11, 0), 10, "served", service_minutes=10)
    await ticket(office, "certificate", DAY, (11, 20), 30, "served", transferred_from=first)
    await ticket(office, "application", DAY, (11, 30), None, "cancelled")
    # 14時台: two PIN resets and another service (counted in no in-office figure).
    await ticket(office, "pin_reset", DAY, (14, 0), 0, "served")
    await ticket(office, "pin_reset", DAY, (14, 10), 2, "served")
    await ticket(office, "other", DAY, (14, 20), 3, "served")
    # NEXT: five pickups at 9時台, five minutes each.
    for minute in (0, 1, 2, 3, 4):
        await ticket(office, "pickup", NEXT, (9, minute), 5, "served")
    typed = dict(card_handovers=99, certificates=99, pin_resets=99, card_changes=3, applications=99, phone_calls=17)
    await OfficeCount.insert(OfficeCount(date=DAY, **typed))
    await OfficeCount.insert(
        OfficeCount(
            date=OLD, card_handovers=40, certificates=21, pin_resets=5, card_changes=2, applications=33, phone_calls=9
        )
    )
    return office


# --- the figures ------------------------------------------------------------------------------------------------------


async def test_served_tickets_fill_the_in_office_counts_by_service_and_typed_counts_stay_elsewhere():
    await build_counter()
    day = (await daily_report(DAY)).office
    assert day is not None and day.ticket_days == 1
    # Tickets served: 7 pickups (one transferred on), 6 certificates, 2 PIN resets, no application (absent,
    # cancelled); card detail changes and phone calls as typed.
    assert (day.card_handovers, day.certificates, day.pin_resets, day.applications) == (7, 6, 2, 0)
    assert (day.card_changes, day.phone_calls) == (3, 17)
    old = (await daily_report(OLD)).office
    assert old is not None and old.ticket_days == 0
    assert (old.card_handovers, old.certificates, old.applications, old.phone_calls) == (40, 21, 33, 9)
    following = (await daily_report(NEXT)).office  # tickets, nothing typed
    assert following is not None and (following.card_handovers, following.phone_calls) == (5, 0)

    month = await monthly_report("2027-06")
    assert (month.office.days, month.office.ticket_days) == (3, 2)
    assert (month.office.card_handovers, month.office.certificates, month.office.applications) == (52, 27, 33)
    assert [row.date for row in month.days] == [OLD, DAY, NEXT]


async def test_without_the_counter_the_reports_keep_the_typed_counts():
    await build_counter()
    office_tickets.register_office_figures(None)
    try:
        report = await daily_report(DAY)
    finally:
        report_figures.register()
    assert report.office is not None and report.office.card_handovers == 99 and report.office.ticket_days == 0
    assert report.waits == ()


async def test_the_waiting_times_per_hour_of_the_day():
    await build_counter()
    (office,) = (await daily_report(DAY)).waits
    assert (office.office_name, office.red_minutes) == ("金沢市役所", 60)
    hours = dict(office.hours)
    assert list(hours) == [9, 10, 11, 14]
    assert hours[9] == WaitRow(visits=6, called=6, served=6, median_minutes=35.0, p90_minutes=75.0)
    assert hours[10] == WaitRow(visits=6, called=6, served=5, median_minutes=10.0, p90_minutes=17.5)
    # The transferred visit is one visit of the 11時台 with both waits; the cancelled one was never called.
    assert hours[11] == WaitRow(visits=2, called=1, served=1, median_minutes=40.0, p90_minutes=40.0)
    assert hours[14] == WaitRow(visits=3, called=3, served=3, median_minutes=2.0, p90_minutes=2.8)
    assert (office.total.visits, office.total.called, office.total.served) == (17, 16, 15)

    (month,) = (await monthly_report("2027-06")).waits
    nine = dict(month.hours)[9]  # both days together: 10..100 and five waits of 5
    assert (nine.visits, nine.median_minutes, nine.p90_minutes) == (11, 10.0, 50.0)
    assert [day for day, _row in month.days] == [DAY, NEXT]
    assert dict(month.days)[NEXT] == WaitRow(visits=5, called=5, served=5, median_minutes=5.0, p90_minutes=5.0)


def test_a_transfer_continues_the_first_tickets_wait_whichever_issue_time_it_keeps():
    def row(id_, issued, called, finished, transferred_from=None, state="served"):
        return {
            "id": id_,
            "day": DAY,
            "state": state,
            "issued_at": at(DAY, 10, issued),
            "called_at": at(DAY, 10, called) if called is not None else None,
            "finished_at": at(DAY, 10, finished) if finished is not None else None,
            "transferred_from": transferred_from,
            "office_id": 1,
        }

    # The new ticket issued at the transfer (10:20), or keeping the first ticket's issue time (10:00): either way
    # the visitor waited 10 minutes, was served 10, then waited 15 more.
    for issued in (20, 0):
        (visit,) = report_figures.visits([row(1, 0, 10, 20), row(2, issued, 35, 40, transferred_from=1)])
        assert (visit.hour, visit.wait_minutes, visit.served) == (10, 25.0, True)
    (never,) = report_figures.visits([row(3, 0, None, 5, state="cancelled")])
    assert (never.wait_minutes, never.served) == (None, False)


def test_percentiles_interpolate_between_the_closest_ranks():
    assert percentile([10, 20, 30, 40, 50, 100], 0.9) == pytest.approx(75.0)
    assert percentile([7], 0.9) == 7
    assert percentile(list(range(1, 11)), 0.5) == pytest.approx(5.5)


# --- what a reviewer reads --------------------------------------------------------------------------------------------


async def test_the_daily_draft_names_the_busiest_hour_the_red_hours_and_proposes_a_window():
    await build_counter()
    report = await daily_report(DAY)
    with using_locale("en"):
        text = draft_daily(report)
    assert "No booths were held on this day." in text  # no booth: the counters still have an analysis
    assert "金沢市役所: 17 visitors took a queue ticket and 15 were served" in text
    assert (
        "Busiest hour at 金沢市役所: 9:00–10:00 (6 tickets taken; waiting time median 35 min, 90th percentile 75 min)"
    ) in text
    assert "the 90th percentile wait was above the red threshold of 60 minutes in 9:00–10:00 (up to 75 min)" in text
    assert "Open another window at 金沢市役所 in 9:00–10:00" in text
    assert "counted from the queue tickets served" in text
    with using_locale("ja"):
        japanese = draft_daily(report)
    assert "9:00–10:00" in japanese and "窓口" in japanese and "Open another window" not in japanese


async def test_a_day_with_booths_and_tickets_drafts_both():
    await build_counter()
    booth = await publish_booth(DAY, name="長坂公民館")
    await add_result(booth, 14, {"10": 7, "11": 7})
    with using_locale("en"):
        text = draft_daily(await daily_report(DAY))
    results, suggestions = text.split("[Suggestions]")
    assert "1 booths: 14 applications" in results and "Busiest hour at 金沢市役所: 9:00–10:00" in results
    assert suggestions.strip().splitlines()[0].startswith("• Open another window at 金沢市役所 in 9:00–10:00")


async def test_the_monthly_draft_judges_each_hour_and_each_day_against_the_red_threshold():
    office = await build_counter()
    with using_locale("en"):
        text = draft_monthly(await monthly_report("2027-06"))
    # Over the month the 9時台's 90th percentile is 50 minutes and the 7th's 45: both within 60.
    assert "the 90th percentile wait stayed within the red threshold of 60 minutes in every hour" in text
    assert "On 2 of the 3 days" in text and "plan extra windows" not in text
    await Office.update({Office.red_minutes: 30}).where(Office.id == office["id"])
    with using_locale("en"):
        text = draft_monthly(await monthly_report("2027-06"))
    assert "above the red threshold of 30 minutes in 9:00–10:00 (up to 50 min)" in text
    assert "On Mon, Jun 7 the day's 90th percentile wait at 金沢市役所 was above 30 minutes: plan extra windows" in text


async def test_the_pdfs_carry_the_counts_and_waiting_times():
    await build_counter()
    report = await daily_report(DAY)
    text = pdf_text(daily_report_pdf(report, draft_daily(report)))
    assert "窓口の待ち時間（整理券）" in text and "黄 20分・赤 60分" in text
    assert "対応済みの整理券の数です" in text
    nine = next(line for line in text.splitlines() if line.strip().startswith("9時台"))
    assert nine.split() == ["9時台", "6", "6", "6", "35.0", "75.0"]
    total = next(line for line in text.splitlines() if line.strip().startswith("計") and "17" in line)
    assert total.split()[:4] == ["計", "17", "16", "15"]

    month = await monthly_report("2027-06")
    text = pdf_text(monthly_report_pdf(month, draft_monthly(month)))
    assert "時間帯別（月内の全日）" in text
    day = next(line for line in text.splitlines() if line.strip().startswith("6月8日（火）") and "5.0" in line)
    assert day.split() == ["6月8日（火）", "5", "5", "5", "5.0", "5.0"]


async def test_the_excel_workbooks_carry_the_waiting_times_as_numbers():
    await build_counter()
    report = await daily_report(DAY)
    sheet = load_workbook(io.BytesIO(daily_report_xlsx(report, draft_daily(report))))["窓口待ち時間"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4, max_col=6)]
    header = ["時間帯", "発券数", "呼出数", "対応数", "待ち時間 中央値（分）", "待ち時間 90パーセンタイル（分）"]
    assert rows[0] == header
    assert rows[1] == ["9時台", 6, 6, 6, 35.0, 75.0]
    assert rows[5] == ["計", 17, 16, 15, 12.5, 45.0]  # the day's 16 waits: median 12.5, 90th percentile 45
    assert sheet._charts  # the bar chart of the median and the 90th percentile

    month = await monthly_report("2027-06")
    workbook = load_workbook(io.BytesIO(monthly_report_xlsx(month, draft_monthly(month))))
    days = [
        [c.value for c in row]
        for row in workbook["窓口待ち時間"].iter_rows(max_col=6)
        if isinstance(row[0].value, dt.datetime)
    ]
    assert [(d[0].date(), d[1], d[4], d[5]) for d in days] == [(DAY, 17, 12.5, 45.0), (NEXT, 5, 5.0, 5.0)]
    office = workbook["窓口実績"]
    assert any("対応済みの整理券の数です" in str(c.value) for c in office["A"])


async def test_the_charts_show_each_offices_waits():
    await build_counter()
    with using_locale("ja"):
        charts = {chart.id: chart for chart in daily_charts(await daily_report(DAY))}
        monthly = {chart.id for chart in monthly_charts(await monthly_report("2027-06"))}
    chart = charts["chart-waits-1"]
    assert "金沢市役所" in chart.title and ">75<" in chart.svg and ">35<" in chart.svg
    assert 'class="reference"' in chart.svg and "赤の目安 60分" in chart.svg  # the red threshold, dashed
    assert {"chart-waits-1", "chart-wait-days-1"} <= monthly


async def test_a_saved_analysis_is_flagged_when_a_ticket_changes_the_figures(make_user):
    office = await build_counter()
    report = await daily_report(DAY)
    actor = await make_user(Role.contractor_staff)
    await save_report_analysis(actor, report, "9時台に窓口を1つ増やす。")
    assert not (await current_analysis(await daily_report(DAY), "")).stale
    await ticket(office, "application", DAY, (15, 0), 4, "served")
    analysis = await current_analysis(await daily_report(DAY), "")
    assert analysis.stale
    assert analysis.changes == (("counter_tickets", 17, 18), ("counter_served", 15, 16))


def test_a_report_without_tickets_keeps_the_fingerprint_it_had_before_the_counter():
    # Analyses saved before the counter's figures existed must not all turn stale: these digests are those the
    # reports gave before (commit 7319a94) for the same figures.
    f = Figures(booths=1, slots=2, places=8, bookings=4, people=5, applications=12, forecast=14, hours=7.0)
    f = dataclasses.replace(f, reported=1, reported_forecast=14, reported_hours=7.0)
    row = BoothRow(
        session_id=9,
        date=dt.date(2027, 6, 5),
        start=dt.time(10),
        end=dt.time(17),
        day_type="holiday",
        venue_id=3,
        venue_name="長坂公民館",
        venue_kind="community_hall",
        figures=f,
        has_result=True,
        applications_by_hour={10: 5, 11: 7},
    )
    office = OfficeFigures(
        days=1, card_handovers=40, certificates=21, pin_resets=5, card_changes=3, applications=33, phone_calls=17
    )
    daily = DailyReport(date=dt.date(2027, 6, 5), booths=(row,), totals=f, hours=((10, 5), (11, 7)), office=office)
    monthly = MonthlyReport(
        month="2027-06",
        first=dt.date(2027, 6, 1),
        last=dt.date(2027, 6, 30),
        booths=(row,),
        totals=f,
        hours=((10, 5),),
        by_venue=(),
        by_kind=(),
        by_day_type=(),
        by_placement=(),
        days=(DayRow(dt.date(2027, 6, 5), f, office),),
        office=office,
        previous_month="2027-05",
        previous_totals=Figures(),
        previous_office=OfficeFigures(),
        counter_stat=None,
    )
    assert fingerprint(daily) == "9bca153e866819c528a1be0301343570ca07670633266f446c7995bbf7035c2e"
    assert fingerprint(monthly) == "b96b1a060fadfa5d212a4d3d134575dba72f7ad7f98d5ab92c09aa4f97dd77ab"
    # ...while the counter's figures, once there, count.
    assert fingerprint(dataclasses.replace(daily, office=dataclasses.replace(office, ticket_days=1))) != (
        "9bca153e866819c528a1be0301343570ca07670633266f446c7995bbf7035c2e"
    )


async def test_the_report_page_shows_the_waiting_times(client, signed_in):
    await signed_in(Role.city_reviewer)
    office = await build_counter()
    page = soup(await client.get("/staff/reports/daily/2027-06-07"))
    nine = page.select_one(f"#waits-{office['id']} tr[data-hour='9']")
    values = {td["data-column"]: td.get_text(" ", strip=True) for td in nine.select("td")}
    assert values["visits"] == "6" and values["median"] == "35"
    assert values["p90"].startswith("75") and page.select_one(f"#waits-{office['id']} tr[data-hour='9'] .warn")
    assert page.select_one("#office-from-tickets") is not None
    assert page.select_one("#office td[data-column=card_handovers]").get_text(strip=True) == "7"
    monthly = soup(await client.get("/staff/reports/monthly/2027-06"))
    assert monthly.select_one(f"#wait-days-{office['id']} tr[data-date='2027-06-08']") is not None


async def test_the_index_lists_the_days_with_queue_tickets(client, signed_in):
    await signed_in(Role.city_reviewer)
    office = await build_counter()
    await ticket(office, "pickup", NOW.date() + dt.timedelta(days=3), (9, 0), None, "waiting")  # not yet: left out
    page = soup(await client.get("/staff/reports"))
    assert [a["data-month"] for a in page.select("a[data-month]")] == ["2027-06"]
    # The days with tickets (no booth on them); OLD has only typed counts and no booth, as before.
    assert [a["data-day"] for a in page.select("a[data-day]")] == ["2027-06-08", "2027-06-07"]
