"""The report pages as staff use them: the index of months and days, the daily and monthly previews with their
figures and charts, the analysis drafted, edited, saved and carried into the PDF and Excel downloads, and who may
do what (contractor staff, leads and admins edit; city reviewers read and download)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from booking.report_analysis import MAX_ANALYSIS_CHARS, draft_daily, draft_monthly
from booking.reports import daily_report, monthly_report
from booking.tables import OfficeCount, ReportNote
from core import clock
from core.i18n import gettext as _
from core.i18n import using_locale
from core.tables import AuditEvent, Role
from tests.booking.test_reports import (
    DAY,
    KANAZAWA_STATS,
    MONTH,
    add_booking,
    build_day,
    build_month,
    counter_file,
    pdf_text,
    use_counter_stats,
)
from tests.conftest import csrf_token, post_form, soup

NOW = dt.datetime(2027, 7, 2, 9, 0, tzinfo=clock.JST)
DAILY = "/staff/reports/daily/2027-06-05"
MONTHLY = "/staff/reports/monthly/2027-06"
EDITED = "【所見】イオン金沢店は午前が好調。\n【改善】16時台の枠を短縮する。"


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(NOW):
        yield


def cells(table) -> dict[str, str]:
    return {td["data-column"]: td.get_text(strip=True) for td in table.select("td[data-column]")}


async def test_the_index_lists_the_months_and_days_with_booths(client, signed_in):
    await signed_in(Role.contractor_staff)
    await build_day()
    page = soup(await client.get("/staff/reports"))
    assert [a["href"] for a in page.select("a[data-month]")] == [MONTHLY]
    assert [a["href"] for a in page.select("a[data-day]")] == ["/staff/reports/daily/2027-06-06", DAILY]


async def test_the_index_says_when_there_is_nothing_to_report(client, signed_in):
    await signed_in(Role.city_reviewer)
    page = soup(await client.get("/staff/reports"))
    assert page.select_one("#no-reports") is not None and not page.select("a[data-day]")


async def test_the_daily_preview_shows_the_days_figures_charts_and_the_draft(client, signed_in):
    await signed_in(Role.contractor_staff)
    booths = await build_day()
    response = await client.get(DAILY)
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("#wareki").get_text(strip=True) == "令和9年6月5日"
    summary = cells(page.select_one("#summary"))
    assert summary["booths"] == "2" and summary["bookings"] == "5" and summary["people"] == "7"
    assert summary["no_show_rate"] == "20%" and summary["walk_ins"] == "3" and summary["applications"] == "12"
    assert summary["actual_vs_forecast"] == "60%"
    mall = cells(page.select_one(f"#booths tr[data-session='{booths['mall']['session']}']"))
    assert (mall["slots"], mall["bookings"], mall["checked_in"], mall["no_shows"]) == ("14", "4", "2", "1")
    hall = page.select_one(f"#booths tr[data-session='{booths['hall']['session']}']")
    assert hall.select_one("td[data-column=applications] .tag") is not None  # results not entered
    assert [tr["data-hour"] for tr in page.select("#hours tr[data-hour]")] == [str(h) for h in range(10, 17)]
    assert cells(page.select_one("#office"))["applications"] == "33"
    assert [tr["data-code"] for tr in page.select("#placements tr[data-code]")] == ["aeon", "koho", ""]
    charts = page.select(".report-charts svg[role=img]")
    assert len(charts) == 3 and all(svg.find("title") and svg.find("desc") for svg in charts)
    assert page.select_one("#chart-hours rect[fill='#0031d8']") is not None
    with using_locale("ja"):
        draft = draft_daily(await daily_report(DAY))
    assert page.select_one("textarea#analysis-text").get_text() == draft
    assert page.select_one("#download-pdf")["href"] == DAILY + "/report.pdf"


async def test_staff_save_the_analysis_and_the_downloads_carry_it(client, signed_in):
    actor = await signed_in(Role.contractor_staff)
    await build_day()
    response = await post_form(client, DAILY, DAILY + "/analysis", {"analysis": EDITED}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == DAILY + "?saved=true#analysis"
    page = soup(await client.get(response.headers["location"]))
    assert page.select_one("#saved-notice") is not None
    assert page.select_one("textarea#analysis-text").get_text() == EDITED
    note = await ReportNote.select().where(ReportNote.key == "daily:2027-06-05").first()
    assert note["analysis"] == EDITED and note["edited_by"] == actor.id
    event = await AuditEvent.select().where(AuditEvent.action == "report.analysis_saved").first()
    assert event["object_id"] == "daily:2027-06-05" and "イオン" not in event["summary"]

    pdf = await client.get(DAILY + "/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "daily-report-2027-06-05.pdf" in pdf.headers["content-disposition"]
    text = pdf_text(pdf.content)
    assert "【所見】イオン金沢店は午前が好調。" in text and "【改善】16時台の枠を短縮する。" in text
    assert "令和9年6月5日" in text
    xlsx = await client.get(DAILY + "/report.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content))["分析・改善提案"]
    assert [sheet["A3"].value, sheet["A4"].value] == EDITED.splitlines()

    redraft = soup(await client.get(DAILY + "?redraft=true"))
    with using_locale("ja"):
        draft = draft_daily(await daily_report(DAY))
    assert redraft.select_one("textarea#analysis-text").get_text() == draft  # shown, not saved
    assert (await ReportNote.select().first())["analysis"] == EDITED


async def test_without_a_saved_analysis_the_downloads_carry_the_draft(client, signed_in):
    await signed_in(Role.contractor_lead)
    await build_day()
    xlsx = await client.get(DAILY + "/report.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content))["分析・改善提案"]
    with using_locale("ja"):
        draft = draft_daily(await daily_report(DAY))
    assert [row[0].value for row in sheet.iter_rows(min_row=3)] == [line or None for line in draft.splitlines()]


async def test_a_too_long_analysis_is_refused_next_to_the_field(client, signed_in):
    await signed_in(Role.admin)
    await build_day()
    response = await post_form(client, DAILY, DAILY + "/analysis", {"analysis": "あ" * (MAX_ANALYSIS_CHARS + 1)})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("textarea#analysis-text")["aria-invalid"] == "true"
    assert page.select_one("#analysis-error") is not None
    assert await ReportNote.count() == 0


async def test_the_monthly_preview_compares_with_the_previous_month_and_saves_its_analysis(
    client, signed_in, monkeypatch
):
    use_counter_stats(monkeypatch, KANAZAWA_STATS)
    await signed_in(Role.contractor_lead)
    await build_month()
    page = soup(await client.get(MONTHLY))
    report = await monthly_report(MONTH)
    this = cells(page.select_one("#summary tr[data-month='2027-06']"))
    before = cells(page.select_one("#summary tr[data-month='2027-05']"))
    assert (this["booths"], this["applications"]) == ("12", str(report.totals.applications))
    assert (before["booths"], before["applications"]) == ("3", "60")
    assert page.select_one("#kinds tr[data-key]")["data-key"] == "commercial"
    assert page.select_one("#office tr[data-row='counter']")["data-month"] == "2024-06"
    assert cells(page.select_one("#office tr[data-row='counter']"))["applications"] == "981"
    assert cells(page.select_one("#office tr[data-row='month']"))["applications"] == "100"
    assert page.select_one("#placements tr[data-code='idle'] td[data-column=bookings]").get_text() == "0"
    ids = [svg["id"] for svg in page.select(".report-charts svg")]
    assert ids == [
        "chart-days",
        "chart-hours",
        "chart-venues",
        "chart-kinds",
        "chart-no-shows",
        "chart-placements",
        "chart-previous",
        "chart-office",
    ]
    with using_locale("ja"):
        assert page.select_one("textarea#analysis-text").get_text() == draft_monthly(report)

    response = await post_form(
        client, MONTHLY, MONTHLY + "/analysis", {"analysis": "6月の分析：商業施設が好調。"}, follow_redirects=False
    )
    assert response.status_code == 303
    pdf = await client.get(MONTHLY + "/report.pdf")
    assert "6月の分析：商業施設が好調。" in pdf_text(pdf.content)
    xlsx = load_workbook(io.BytesIO((await client.get(MONTHLY + "/report.xlsx")).content))
    assert xlsx["分析・改善提案"]["A3"].value == "6月の分析：商業施設が好調。"


async def test_a_city_reviewer_reads_and_downloads_but_cannot_edit(client, signed_in):
    await build_day()
    await signed_in(Role.city_reviewer)
    page = await client.get(DAILY)
    assert page.status_code == 200
    assert soup(page).select_one("textarea") is None and soup(page).select_one("#redraft") is None
    assert soup(page).select_one("div#analysis-text") is not None
    refused = await client.post(DAILY + "/analysis", data={"analysis": "x", "_csrf_token": csrf_token(page.text)})
    assert refused.status_code == 403 and await ReportNote.count() == 0
    refused = await client.post(MONTHLY + "/analysis", data={"analysis": "x", "_csrf_token": csrf_token(page.text)})
    assert refused.status_code == 403 and await ReportNote.count() == 0
    for url in (
        DAILY + "/report.pdf",
        DAILY + "/report.xlsx",
        MONTHLY,
        MONTHLY + "/report.pdf",
        MONTHLY + "/report.xlsx",
        "/staff/reports",
    ):
        assert (await client.get(url)).status_code == 200, url


@pytest.mark.parametrize("role", [Role.contractor_staff, Role.contractor_lead, Role.admin])
async def test_every_contractor_role_and_admin_may_edit(client, signed_in, role):
    await build_day()
    await signed_in(role)
    page = soup(await client.get(MONTHLY))
    assert page.select_one("textarea#analysis-text") is not None
    response = await post_form(client, MONTHLY, MONTHLY + "/analysis", {"analysis": role.value}, follow_redirects=False)
    assert response.status_code == 303
    assert (await ReportNote.select().first())["analysis"] == role.value


async def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in ("/staff/reports", DAILY, DAILY + "/report.pdf", MONTHLY + "/report.xlsx"):
        response = await client.get(url, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/staff/login"), url


async def test_a_form_without_its_csrf_token_is_refused(client, signed_in):
    await signed_in(Role.contractor_staff)
    response = await client.post(DAILY + "/analysis", data={"analysis": "x"})
    assert response.status_code == 403 and await ReportNote.count() == 0


async def test_days_and_months_that_do_not_exist_are_not_found(client, signed_in):
    await signed_in(Role.contractor_staff)
    for url in (
        "/staff/reports/daily/2027-02-30",
        "/staff/reports/daily/tomorrow",
        "/staff/reports/monthly/2027-13",
        "/staff/reports/monthly/2027-6/report.pdf",
    ):
        assert (await client.get(url)).status_code == 404, url


async def test_a_day_without_booths_still_has_a_report_that_says_so(client, signed_in):
    await signed_in(Role.contractor_staff)
    page = soup(await client.get("/staff/reports/daily/2027-06-10"))
    assert page.select_one("#no-booths") is not None
    with using_locale("ja"):
        assert page.select_one("textarea#analysis-text").get_text() == draft_daily(
            await daily_report(dt.date(2027, 6, 10))
        )


async def test_the_monthly_preview_names_the_year_of_the_counter_statistics_it_compares_with(
    client, signed_in, monkeypatch, tmp_path
):
    use_counter_stats(monkeypatch, counter_file(tmp_path))  # June of 2024 and of 2025
    await signed_in(Role.city_reviewer)
    await OfficeCount.insert(
        OfficeCount(
            date=dt.date(2026, 6, 3),
            card_handovers=70,
            certificates=40,
            pin_resets=1,
            card_changes=1,
            applications=60,
            phone_calls=20,
        )
    )
    page = soup(await client.get("/staff/reports/monthly/2026-06"))
    row = page.select_one("#office tr[data-row='counter']")
    assert row["data-month"] == "2025-06" and cells(row)["applications"] == "1200"
    with using_locale("ja"):
        assert row.th.get_text(strip=True) == _("Same month of {year} (counter statistics)").format(year=2025)
        chart = _("In-office counts against the same month of {year}").format(year=2025)
    assert page.select_one("svg#chart-office") is not None
    assert chart in page.get_text()
    assert "2024" not in page.select_one("#office").get_text()


async def test_the_monthly_preview_without_counter_statistics_has_no_comparison(client, signed_in, monkeypatch):
    use_counter_stats(monkeypatch, None)
    await signed_in(Role.contractor_staff)
    await build_month()
    page = soup(await client.get(MONTHLY))
    assert page.select_one("#office tr[data-row='month']") is not None
    assert page.select_one("#office tr[data-row='counter']") is None and page.select_one("svg#chart-office") is None
    assert "2024" not in page.select_one("#office").get_text()


async def test_a_malformed_counter_statistics_file_does_not_break_the_monthly_pages(
    client, signed_in, monkeypatch, tmp_path
):
    use_counter_stats(monkeypatch, counter_file(tmp_path, "month;applications\n2025-06;12\n"))
    await signed_in(Role.contractor_staff)
    await build_month()
    response = await client.get(MONTHLY)
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("#office tr[data-row='month']") is not None
    assert page.select_one("#office tr[data-row='counter']") is None
    for download in ("/report.pdf", "/report.xlsx"):
        assert (await client.get(MONTHLY + download)).status_code == 200


async def test_the_pages_show_the_places_filled_from_the_waiting_list(client, signed_in):
    await signed_in(Role.city_reviewer)
    booths = await build_day()
    assert soup(await client.get(DAILY)).select_one("#waitlist") is None  # none: no section
    await add_booking(booths["mall"], "confirmed", 2, slot=5, source="waitlist")
    for url in (DAILY, MONTHLY):
        page = soup(await client.get(url))
        row = page.select_one(f"#waitlist-table tr[data-session='{booths['mall']['session']}']")
        assert cells(row) == {"waitlist_bookings": "1", "waitlist_people": "2"}
        assert cells(page.select_one("#waitlist-total")) == {"waitlist_bookings": "1", "waitlist_people": "2"}
