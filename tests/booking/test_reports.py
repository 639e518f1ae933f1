"""The figures of the daily report (日次実績報告書) and the monthly report (月次実施報告書), and their PDF and Excel
forms: a hand-built day whose every number is known, and a generated month against a quieter previous month."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import secrets
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from booking import reports
from booking.report_analysis import _without_ids, draft_monthly, fingerprint
from booking.report_pdf import daily_report_pdf, monthly_report_pdf
from booking.report_xlsx import daily_report_xlsx, monthly_report_xlsx
from booking.reports import daily_report, monthly_report, months_and_days, parse_month
from booking.tables import Booking, BoothResult, OfficeCount, Placement, WalkIn
from core import clock
from core.errors import NotFound
from core.i18n import using_locale
from core.settings import ROOT, get_settings
from planner.tables import Session, SessionState
from tests.booking.factories import publish_booth
from tests.venues.factories import make_venue

DAY = dt.date(2027, 6, 5)  # a Saturday
NOW = dt.datetime(2027, 7, 2, 9, 0, tzinfo=clock.JST)
KANAZAWA_STATS = ROOT / "data" / "kanazawa" / "window_stats_2024.csv"


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(NOW):
        yield


def use_counter_stats(monkeypatch: pytest.MonkeyPatch, path: Path | None) -> None:
    """The reports read COUNTER_STATS_FILE as ``path`` (None: not configured), as if set in the environment."""
    settings = dataclasses.replace(get_settings(), counter_stats_file=path)
    monkeypatch.setattr(reports, "get_settings", lambda: settings)


@pytest.fixture
def kanazawa_stats(monkeypatch: pytest.MonkeyPatch) -> Path:
    """COUNTER_STATS_FILE set to the Kanazawa counter statistics of 2024, as `make demo` does."""
    use_counter_stats(monkeypatch, KANAZAWA_STATS)
    return KANAZAWA_STATS


async def add_booking(booth: dict, state: str, party_size: int = 1, *, slot: int = 0, source: str = "") -> None:
    """A booking row in ``state`` (places are not counted here: the reports read states, not slot counters)."""
    await Booking.insert(
        Booking(
            code=secrets.token_hex(8).upper(),
            slot=booth["slots"][slot]["id"],
            session=booth["session"],
            party_size=party_size,
            name_kana="テスト タロウ",
            phone="09012345678",
            state=state,
            source=source,
        )
    )


async def add_walk_ins(booth: dict, *parties: tuple[int, str]) -> None:
    if not parties:
        return
    await WalkIn.insert(
        *[
            WalkIn(session=booth["session"], number=n, party_size=size, state=state)
            for n, (size, state) in enumerate(parties, start=1)
        ]
    )


async def add_result(
    booth: dict,
    applications: int,
    by_hour: dict[str, int] | None = None,
    *,
    photos: int = 0,
    inquiries: int = 0,
    notes: str = "",
) -> None:
    await BoothResult.insert(
        BoothResult(
            session=booth["session"],
            applications=applications,
            applications_by_hour=by_hour or {},
            photos=photos,
            inquiries=inquiries,
            notes=notes,
        )
    )


async def set_forecast(booth: dict, expected: int) -> None:
    await Session.update({Session.expected_applicants: expected}).where(Session.id == booth["session"])


async def build_day() -> dict:
    """Two booths on DAY with bookings in every state, walk-ins, one result and the day's in-office counts; a
    cancelled booth the same day and a booth the next day, which the day's report must leave out."""
    mall = await publish_booth(DAY, name="イオン金沢店", kind="commercial", capacity=4, walk_in=2)
    hall = await publish_booth(DAY, name="長坂公民館", start=dt.time(13), end=dt.time(16))
    await set_forecast(mall, 20)
    await set_forecast(hall, 10)
    await add_booking(mall, "checked_in", 1, source="aeon")
    await add_booking(mall, "checked_in", 2, slot=1, source="aeon")
    await add_booking(mall, "no_show", 1, slot=2)
    await add_booking(mall, "cancelled", 3, slot=3, source="aeon")
    await add_booking(mall, "confirmed", 2, slot=4, source="koho")
    await add_walk_ins(mall, (1, "served"), (1, "served"), (2, "left"))
    await add_result(mall, 12, {"10": 3, "11": 4, "16": 5}, photos=7, inquiries=4, notes="午後に雨")
    await add_booking(hall, "checked_in", 1, source="koho")
    cancelled = await publish_booth(DAY, name="中止会場", state=SessionState.cancelled.value)
    await add_booking(cancelled, "confirmed", 4)
    await add_walk_ins(cancelled, (2, "served"))
    await add_result(cancelled, 30)
    later = await publish_booth(DAY + dt.timedelta(days=1), name="翌日会場")
    await add_booking(later, "checked_in", 2)
    await OfficeCount.insert(
        OfficeCount(
            date=DAY, card_handovers=40, certificates=21, pin_resets=5, card_changes=3, applications=33, phone_calls=17
        )
    )
    return {"mall": mall, "hall": hall}


async def test_the_daily_report_counts_exactly_what_happened_on_the_day():
    booths = await build_day()
    report = await daily_report(DAY)

    assert [row.venue_name for row in report.booths] == ["イオン金沢店", "長坂公民館"]
    mall, hall = report.booths
    assert mall.session_id == booths["mall"]["session"]
    assert (mall.venue_kind, mall.day_type, mall.start, mall.end) == ("commercial", "holiday", dt.time(10), dt.time(17))
    f = mall.figures
    assert (f.slots, f.places) == (14, 56)
    assert (f.bookings, f.people) == (4, 6)  # the cancelled party of 3 is not a booking
    assert (f.checked_in, f.checked_in_people, f.no_shows, f.no_show_people, f.cancelled) == (2, 3, 1, 1, 1)
    assert f.no_show_rate == pytest.approx(0.25)
    assert (f.walk_ins, f.walk_in_people) == (3, 4)
    assert f.walk_in_share == pytest.approx(4 / 7)
    assert (f.applications, f.photos, f.inquiries, f.forecast) == (12, 7, 4, 20)
    assert f.actual_vs_forecast == pytest.approx(0.6)
    assert f.applications_per_hour == pytest.approx(12 / 7)
    assert mall.has_result and mall.notes == "午後に雨"
    assert mall.applications_by_hour == {10: 3, 11: 4, 16: 5}

    h = hall.figures
    assert (h.slots, h.bookings, h.people, h.checked_in, h.no_shows, h.walk_ins) == (6, 1, 1, 1, 0, 0)
    assert not hall.has_result and h.applications == 0 and h.forecast == 10
    assert h.actual_vs_forecast is None and h.applications_per_hour is None

    t = report.totals
    assert (t.booths, t.slots, t.bookings, t.people, t.checked_in, t.no_shows, t.cancelled) == (2, 20, 5, 7, 3, 1, 1)
    assert (t.walk_ins, t.walk_in_people, t.applications, t.photos, t.inquiries) == (3, 4, 12, 7, 4)
    assert (t.forecast, t.reported, t.reported_forecast) == (30, 1, 20)
    assert t.no_show_rate == pytest.approx(0.2)
    assert t.actual_vs_forecast == pytest.approx(0.6)  # only the booth with results is compared with its forecast
    assert report.hours == ((10, 3), (11, 4), (12, 0), (13, 0), (14, 0), (15, 0), (16, 5))
    assert report.office is not None
    assert (report.office.card_handovers, report.office.applications, report.office.phone_calls) == (40, 33, 17)
    assert [(row.code, row.bookings, row.people, row.checked_in) for row in report.by_placement] == [
        ("aeon", 2, 3, 2),
        ("koho", 2, 3, 1),
        ("", 1, 1, 0),
    ]
    assert report.key == "daily:2027-06-05"


async def test_a_day_without_booths_or_counts_is_empty():
    report = await daily_report(DAY)
    assert report.booths == () and report.totals.booths == 0 and report.office is None
    assert report.hours == () and not report.has_results


async def test_months_and_days_list_the_days_with_booths_newest_first():
    await build_day()
    await publish_booth(dt.date(2027, 7, 2))
    await publish_booth(dt.date(2027, 7, 3))  # tomorrow: nothing to report yet
    await publish_booth(dt.date(2028, 1, 9))
    assert await months_and_days() == [
        ("2027-07", [dt.date(2027, 7, 2)]),
        ("2027-06", [dt.date(2027, 6, 6), dt.date(2027, 6, 5)]),
    ]


def test_a_month_must_be_a_real_month():
    assert parse_month("2027-02") == (dt.date(2027, 2, 1), dt.date(2027, 2, 28))
    assert parse_month("2028-12") == (dt.date(2028, 12, 1), dt.date(2028, 12, 31))
    for bad in ("2027-13", "2027-6", "june", ""):
        with pytest.raises(NotFound):
            parse_month(bad)


# --- a generated month ------------------------------------------------------------------------------------------------

MONTH = "2027-06"
# (day, kind, venue index, forecast, applications by hour 10..16, bookings (state, party, source), walk-in sizes)
PLAN = [
    (
        5,
        "commercial",
        0,
        30,
        [5, 6, 6, 5, 4, 4, 3],
        [("checked_in", 2, "aeon"), ("checked_in", 1, "aeon"), ("no_show", 1, "")],
        [1, 2, 1],
    ),
    (6, "commercial", 1, 30, [4, 5, 5, 4, 4, 3, 3], [("checked_in", 1, "aeon"), ("checked_in", 2, "line")], [2]),
    (8, "community_hall", 2, 12, [1, 2, 2, 1, 1, 1, 0], [("checked_in", 1, "koho"), ("no_show", 1, "koho")], []),
    (10, "library", 3, 12, [2, 2, 1, 2, 1, 2, 1], [("checked_in", 1, "")], [1]),
    (12, "commercial", 0, 30, [6, 7, 6, 6, 5, 5, 4], [("checked_in", 3, "aeon"), ("cancelled", 2, "aeon")], [1, 1]),
    (
        13,
        "welfare",
        4,
        12,
        [1, 1, 1, 1, 0, 0, 0],
        [("no_show", 2, ""), ("no_show", 1, "koho"), ("checked_in", 1, "")],
        [],
    ),
    (15, "community_hall", 2, 12, [1, 1, 0, 1, 0, 1, 1], [("checked_in", 1, "koho")], []),
    (17, "library", 3, 12, [2, 3, 2, 2, 2, 2, 1], [("checked_in", 2, "line")], [1]),
    (19, "commercial", 1, 30, [5, 5, 6, 5, 5, 4, 0], [("checked_in", 1, "aeon"), ("checked_in", 1, "")], [3]),
    (20, "rental_hall", 5, 15, [2, 2, 3, 2, 2, 1, 1], [("confirmed", 2, "line")], [1]),
    (22, "welfare", 4, 12, [1, 0, 1, 1, 0, 0, 0], [("checked_in", 1, "")], []),
    (26, "commercial", 0, 30, [7, 7, 7, 6, 6, 5, 5], [("checked_in", 2, "aeon"), ("checked_in", 2, "line")], [2, 2]),
]
VENUE_NAMES = ["イオン金沢店", "アピタ金沢店", "長坂公民館", "玉川図書館", "ふれあい福祉センター", "金沢市文化ホール"]


async def build_month() -> dict:
    """Twelve booths in June 2027 with varied results, three placements (one that brings nothing), office counts;
    three quieter booths in May."""
    await Placement.insert(
        Placement(code="aeon", name="イオン掲示板", kind="poster"),
        Placement(code="koho", name="広報かなざわ6月号", kind="newsletter"),
        Placement(code="line", name="LINE配信", kind="social"),
        Placement(code="idle", name="駅前掲示板", kind="poster"),
    )
    venues = []
    for index, name in enumerate(VENUE_NAMES):
        kind = next(p[1] for p in PLAN if p[2] == index)
        venues.append(await make_venue(name=name, kind=kind))
    for day, _kind, venue, forecast, hours, bookings, walk_ins in PLAN:
        booth = await publish_booth(dt.date(2027, 6, day), venue=venues[venue])
        await set_forecast(booth, forecast)
        for slot, (state, party, source) in enumerate(bookings):
            await add_booking(booth, state, party, slot=slot, source=source)
        await add_walk_ins(booth, *[(size, "served") for size in walk_ins])
        await add_result(booth, sum(hours), {str(10 + i): n for i, n in enumerate(hours)}, photos=sum(hours) // 2)
    for day in (7, 14, 21):  # previous month: three booths
        booth = await publish_booth(dt.date(2027, 5, day), venue=venues[0])
        await set_forecast(booth, 30)
        await add_booking(booth, "checked_in", 1, source="aeon")
        await add_result(booth, 20)
    superseded = await publish_booth(dt.date(2027, 6, 9), venue=venues[0], state=SessionState.superseded.value)
    await add_result(superseded, 99)
    await OfficeCount.insert(
        OfficeCount(
            date=dt.date(2027, 6, 1),
            card_handovers=50,
            certificates=30,
            pin_resets=4,
            card_changes=2,
            applications=45,
            phone_calls=30,
        ),
        OfficeCount(
            date=dt.date(2027, 6, 2),
            card_handovers=60,
            certificates=35,
            pin_resets=6,
            card_changes=1,
            applications=55,
            phone_calls=28,
        ),
        OfficeCount(
            date=dt.date(2027, 5, 31),
            card_handovers=70,
            certificates=40,
            pin_resets=1,
            card_changes=1,
            applications=80,
            phone_calls=20,
        ),
    )
    return {"venues": venues}


def expected_totals():
    applications = sum(sum(p[4]) for p in PLAN)
    bookings = [b for p in PLAN for b in p[5] if b[0] != "cancelled"]
    return {
        "applications": applications,
        "bookings": len(bookings),
        "people": sum(b[1] for b in bookings),
        "checked_in": sum(1 for b in bookings if b[0] == "checked_in"),
        "no_shows": sum(1 for b in bookings if b[0] == "no_show"),
        "walk_ins": sum(len(p[6]) for p in PLAN),
        "walk_in_people": sum(sum(p[6]) for p in PLAN),
        "forecast": sum(p[3] for p in PLAN),
    }


async def test_the_monthly_report_on_a_generated_month(kanazawa_stats):
    await build_month()
    report = await monthly_report(MONTH)
    want = expected_totals()
    t = report.totals
    assert t.booths == 12 and t.reported == 12
    assert (t.applications, t.bookings, t.people, t.checked_in, t.no_shows) == (
        want["applications"],
        want["bookings"],
        want["people"],
        want["checked_in"],
        want["no_shows"],
    )
    assert (t.walk_ins, t.walk_in_people, t.forecast, t.cancelled) == (
        want["walk_ins"],
        want["walk_in_people"],
        want["forecast"],
        1,
    )
    assert t.actual_vs_forecast == pytest.approx(want["applications"] / want["forecast"])
    assert t.applications_per_hour == pytest.approx(want["applications"] / (12 * 7))

    kinds = {g.key: g.figures for g in report.by_kind}
    assert set(kinds) == {"commercial", "community_hall", "library", "welfare", "rental_hall"}
    commercial = [p for p in PLAN if p[1] == "commercial"]
    assert kinds["commercial"].booths == 5
    assert kinds["commercial"].applications == sum(sum(p[4]) for p in commercial)
    assert kinds["commercial"].forecast == 150
    assert report.by_kind[0].key == "commercial"  # most applications first
    assert sum(g.figures.applications for g in report.by_kind) == t.applications
    day_types = {g.key: g.figures.booths for g in report.by_day_type}
    assert day_types == {
        "holiday": sum(1 for p in PLAN if dt.date(2027, 6, p[0]).weekday() >= 5),
        "weekday": sum(1 for p in PLAN if dt.date(2027, 6, p[0]).weekday() < 5),
    }
    venues = {g.label: g.figures for g in report.by_venue}
    assert venues["イオン金沢店"].booths == 3 and venues["ふれあい福祉センター"].booths == 2

    placements = {row.code: (row.bookings, row.people, row.checked_in) for row in report.by_placement}
    assert placements == {"aeon": (6, 10, 6), "line": (4, 8, 3), "koho": (4, 4, 2), "idle": (0, 0, 0), "": (6, 7, 4)}
    for code, figures in placements.items():  # the same, counted from the plan of the month
        rows = [b for p in PLAN for b in p[5] if b[2] == code and b[0] != "cancelled"]
        assert figures == (len(rows), sum(b[1] for b in rows), sum(1 for b in rows if b[0] == "checked_in"))
    assert [row.code for row in report.by_placement] == ["aeon", "line", "koho", "idle", ""]

    assert report.previous_month == "2027-05"
    assert (report.previous_totals.booths, report.previous_totals.applications, report.previous_totals.bookings) == (
        3,
        60,
        3,
    )
    assert (report.office.days, report.office.applications, report.office.card_handovers) == (2, 100, 110)
    assert (report.previous_office.days, report.previous_office.applications) == (1, 80)
    assert report.counter_stat is not None
    assert (report.counter_stat.month, report.counter_stat.card_issued, report.counter_stat.applications) == (
        "2024-06",
        1203,
        981,
    )
    assert [d.date.day for d in report.days] == sorted({1, 2} | {p[0] for p in PLAN})
    assert sum(n for _hour, n in report.hours) == t.applications
    assert report.hours[0] == (10, sum(p[4][0] for p in PLAN))


async def test_the_monthly_draft_names_the_best_and_the_worst_booth_and_proposes_fixes(kanazawa_stats):
    await build_month()
    report = await monthly_report(MONTH)
    with using_locale("en"):
        text = draft_monthly(report)
    lines = text.splitlines()
    best = next(line for line in lines if line.startswith("• Best booth:"))
    worst = next(line for line in lines if line.startswith("• Weakest booth:"))
    assert "イオン金沢店 on Sat, Jun 26" in best and "43 applications, 6.1 per hour" in best
    assert "ふれあい福祉センター on Tue, Jun 22" in worst and "3 applications, 0.4 per hour, 25% of the" in worst
    assert "(Welfare facility, Weekday)" in worst and "no-show rate: 0%" in worst
    assert "Commercial facility did best" in text
    # the welfare centre reached 4/12 and 4/12 of its forecast: below 50 % twice
    assert "ふれあい福祉センター was below 50% of the forecast 2 times this month: consider replacing the venue" in text
    assert "Weak slot 16:00–17:00 at アピタ金沢店 (0 applications): consider ending earlier" in text
    assert "Placements that brought no booking this month: 駅前掲示板" in text
    assert (
        "In the same month of 2024 the counters received 981 applications; this month's counts (2 days entered)" in text
    )
    applications = expected_totals()["applications"]
    change = (applications - 60) / 60
    assert f"Applications at booths: {applications} against 60 (up {change:+.0%})" in text


# --- the documents ----------------------------------------------------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return result.stdout.decode()


async def test_the_daily_pdf_shows_the_figures_the_wareki_date_and_the_analysis():
    await build_day()
    report = await daily_report(DAY)
    text = pdf_text(daily_report_pdf(report, "改善提案：16時台の枠を見直す。"))
    for words in (
        "日次実績報告書",
        "2027年6月5日（土）",
        "令和9年6月5日",
        "ブース別実績",
        "時間帯別申請件数",
        "窓口実績",
        "分析・改善提案",
        "改善提案：16時台の枠を見直す。",
        "イオン金沢店",
        "長坂公民館",
        "午後に雨",
    ):
        assert words in text, words
    assert "中止会場" not in text and "翌日会場" not in text
    lines = [line.split() for line in text.splitlines()]
    assert ["2", "5", "7", "3", "1", "20%", "3", "4", "12", "7", "4", "30", "60%", "1.7"] in lines  # 実施概要
    mall = next(words for words in lines if "イオン金沢店" in words and "10:00–17:00" in words)
    assert mall[mall.index("10:00–17:00") + 1 :] == [
        "14",
        "4",
        "6",
        "2",
        "1",
        "25%",
        "3",
        "4",
        "12",
        "7",
        "4",
        "20",
        "60%",
        "1.7",
    ]
    hours = next(words for words in lines if words and words[0] == "申請件数" and len(words) == 9)
    assert hours[1:] == ["3", "4", "0", "0", "0", "0", "5", "12"]


async def test_the_monthly_pdf_has_every_section(kanazawa_stats):
    await build_month()
    report = await monthly_report(MONTH)
    text = pdf_text(monthly_report_pdf(report, "月次の分析（編集済み）"))
    for words in (
        "月次実施報告書",
        "2027年6月",
        "令和9年6月",
        "前月との比較",
        "会場種別",
        "広報（掲示・配布場所）別の予約",
        "イオン掲示板",
        "2024年同月との比較",
        "2024年6月（令和6年6月）の窓口統計",
        "月次の分析（編集済み）",
        "グラフ",
    ):
        assert words in text, words


async def test_the_daily_workbook_has_its_sheets_numbers_charts_and_analysis():
    await build_day()
    report = await daily_report(DAY)
    workbook = load_workbook(io.BytesIO(daily_report_xlsx(report, "=分析の1行目\n2行目")))
    assert workbook.sheetnames == ["概要", "ブース別", "時間帯別", "広報別", "窓口実績", "分析・改善提案"]
    booths = workbook["ブース別"]
    headers = [cell.value for cell in booths[1]]
    mall = {headers[i]: cell.value for i, cell in enumerate(booths[2])}
    assert mall["会場"] == "イオン金沢店" and mall["予約（組）"] == 4 and mall["予約（人）"] == 6
    assert mall["不来場率"] == pytest.approx(0.25) and mall["申請件数"] == 12 and mall["見込み比"] == pytest.approx(0.6)
    assert len(booths._charts) == 2
    hours = workbook["時間帯別"]
    assert [(row[0].value, row[1].value) for row in hours.iter_rows(min_row=2)] == [
        ("10時台", 3),
        ("11時台", 4),
        ("12時台", 0),
        ("13時台", 0),
        ("14時台", 0),
        ("15時台", 0),
        ("16時台", 5),
    ]
    assert len(hours._charts) == 1
    office = workbook["窓口実績"]
    assert [cell.value for cell in office[2]] == [40, 21, 5, 3, 33, 17]
    analysis = workbook["分析・改善提案"]
    assert analysis["A3"].value == "=分析の1行目" and analysis["A4"].value == "2行目"
    assert analysis["A3"].data_type == "s" and analysis["A3"].quotePrefix  # text, not a formula


async def test_the_monthly_workbook_compares_with_the_previous_month_and_2024(kanazawa_stats):
    await build_month()
    report = await monthly_report(MONTH)
    workbook = load_workbook(io.BytesIO(monthly_report_xlsx(report, "分析")))
    assert workbook.sheetnames == ["概要", "ブース別", "会場別", "時間帯別", "広報別", "窓口実績", "分析・改善提案"]
    summary = workbook["概要"]
    rows = {row[0].value: (row[1].value, row[2].value) for row in summary.iter_rows() if row[0].value}
    assert rows["実施回数"] == (3, 12) and rows["申請件数"] == (60, expected_totals()["applications"])
    assert rows["窓口 申請受付"] == (80, 100)
    assert len(summary._charts) == 1
    office = workbook["窓口実績"]
    values = {row[0].value: [c.value for c in row[1:3]] for row in office.iter_rows() if row[0].value}
    assert values["項目"] == ["2024年同月", "当月"]
    assert values["申請受付"] == [981, 100] and values["カード交付"] == [1203, 110]
    assert len(office._charts) == 2
    assert len(workbook["広報別"]._charts) == 1 and len(workbook["会場別"]._charts) == 3
    assert workbook["ブース別"].max_row == 13


# --- the counter statistics (COUNTER_STATS_FILE) ----------------------------------------------------------------------

COUNTER_CSV = """month,card_issued_at_window,e_certificate_issued_or_renewed,applications_received,phone_calls
2024-06,1203,690,981,540
2025-05,900,500,700,400
2025-06,1500,800,1200,600
2026-07,10,10,10,10
"""


def counter_file(tmp_path: Path, text: str = COUNTER_CSV, name: str = "counter_stats.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8-sig")
    return path


async def test_without_counter_statistics_the_monthly_report_compares_with_no_earlier_year(monkeypatch):
    use_counter_stats(monkeypatch, None)
    await build_month()
    report = await monthly_report(MONTH)
    assert report.counter_stat is None
    with using_locale("en"):
        assert "same month of" not in draft_monthly(report).lower()
    assert "年同月" not in pdf_text(monthly_report_pdf(report, "分析"))
    office = load_workbook(io.BytesIO(monthly_report_xlsx(report, "分析")))["窓口実績"]
    assert "項目" not in [row[0].value for row in office.iter_rows()]
    assert len(office._charts) == 1  # the daily counts only


async def test_the_same_month_of_the_latest_earlier_year_in_the_file_is_compared(monkeypatch, tmp_path):
    use_counter_stats(monkeypatch, counter_file(tmp_path))
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
    report = await monthly_report("2026-06")
    assert report.counter_stat is not None
    assert (report.counter_stat.month, report.counter_stat.year, report.counter_stat.applications) == (
        "2025-06",
        2025,
        1200,
    )
    text = pdf_text(monthly_report_pdf(report, "分析"))
    assert "2025年同月との比較" in text and "2025年6月（令和7年6月）の窓口統計" in text and "2024年同月" not in text
    office = load_workbook(io.BytesIO(monthly_report_xlsx(report, "分析")))["窓口実績"]
    values = {row[0].value: [c.value for c in row[1:3]] for row in office.iter_rows() if row[0].value}
    assert values["項目"] == ["2025年同月", "当月"] and values["申請受付"] == [1200, 60]

    assert (await monthly_report("2025-06")).counter_stat.month == "2024-06"  # never the report's own month
    assert (await monthly_report("2024-06")).counter_stat is None  # no earlier June
    assert (await monthly_report("2026-07")).counter_stat is None  # its own month is not an earlier year
    assert (await monthly_report("2027-05")).counter_stat.month == "2025-05"


async def test_a_malformed_counter_statistics_file_leaves_the_report_without_comparison(monkeypatch, tmp_path, caplog):
    use_counter_stats(monkeypatch, counter_file(tmp_path, COUNTER_CSV.replace("1500", "千五百")))
    await build_month()
    report = await monthly_report(MONTH)
    assert report.counter_stat is None and report.totals.booths == 12
    assert "年同月" not in pdf_text(monthly_report_pdf(report, "分析"))
    warnings = [r for r in caplog.records if r.name == "outreach.reports" and r.levelname == "WARNING"]
    assert len(warnings) == 1 and "counter_stats.csv" in warnings[0].getMessage()


# --- places filled from the waiting lists -----------------------------------------------------------------------------


async def test_places_filled_from_the_waiting_list_count_per_booth_and_in_total_on_pdf_and_excel():
    booths = await build_day()
    await add_booking(booths["mall"], "checked_in", 2, slot=5, source="waitlist")
    await add_booking(booths["mall"], "cancelled", 1, slot=6, source="waitlist")  # cancelled: not a place filled
    await add_booking(booths["hall"], "confirmed", 1, slot=1, source="waitlist")
    report = await daily_report(DAY)
    mall, hall = report.booths
    assert (mall.figures.waitlist_bookings, mall.figures.waitlist_people) == (1, 2)
    assert (hall.figures.waitlist_bookings, hall.figures.waitlist_people) == (1, 1)
    assert (report.totals.waitlist_bookings, report.totals.waitlist_people) == (2, 3)
    assert (mall.figures.bookings, mall.figures.people) == (5, 8)  # they are bookings too
    listed = next(row for row in report.by_placement if row.code == "waitlist")
    assert (listed.name, listed.bookings, listed.people) == ("キャンセル待ち", 2, 3)

    lines = [line.split() for line in pdf_text(daily_report_pdf(report, "分析")).splitlines()]
    assert any("キャンセル待ちから予約" in " ".join(words) for words in lines)
    assert ["6月5日（土）", "イオン金沢店", "10:00–17:00", "1", "2"] in lines
    assert ["6月5日（土）", "長坂公民館", "13:00–16:00", "1", "1"] in lines
    assert ["計", "2", "3"] in lines

    workbook = load_workbook(io.BytesIO(daily_report_xlsx(report, "分析")))
    assert "キャンセル待ち" in workbook.sheetnames
    sheet = workbook["キャンセル待ち"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert values[0] == ["日付", "会場", "時間", "キャンセル待ちから予約（組）", "キャンセル待ちから予約（人）"]
    assert values[1][1:] == ["イオン金沢店", "10:00–17:00", 1, 2] and values[-1] == ["合計", None, None, 2, 3]

    month = await monthly_report("2027-06")
    assert (month.totals.waitlist_bookings, month.totals.waitlist_people) == (2, 3)
    assert "キャンセル待ちから予約" in pdf_text(monthly_report_pdf(month, "分析"))
    assert "キャンセル待ち" in load_workbook(io.BytesIO(monthly_report_xlsx(month, "分析"))).sheetnames


async def test_a_report_without_waiting_list_bookings_keeps_its_sheets_and_fingerprint():
    await build_day()
    report = await daily_report(DAY)
    assert report.totals.waitlist_bookings == 0
    assert "キャンセル待ち" not in load_workbook(io.BytesIO(daily_report_xlsx(report, "分析"))).sheetnames
    assert "キャンセル待ちから予約" not in pdf_text(daily_report_pdf(report, "分析"))
    digest = fingerprint(report)
    assert "waitlist" not in json.dumps(_without_ids(dataclasses.asdict(report)), default=str)
    assert fingerprint(dataclasses.replace(report, totals=dataclasses.replace(report.totals, waitlist_people=1))) != (
        digest
    )
