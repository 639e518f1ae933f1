"""The 日次実績報告書 and the 月次実施報告書 as printable A4 PDF (WeasyPrint), in Japanese with 和暦 beside the Western
date, like the 実施計画書 (planner.report_pdf). The table headings and rows defined here are shared with the Excel
form (booking.report_xlsx)."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

from booking import report_charts
from booking.counter_stats import CounterStat
from booking.office_tickets import OfficeWaits, WaitRow
from booking.placements import kind_label as placement_kind_label
from booking.report_analysis import per_hour, percent
from booking.reports import BoothRow, DailyReport, Figures, GroupRow, MonthlyReport, PlacementRow
from core.i18n import using_locale
from core.printing import print_pdf, template_environment
from core.wareki import wareki
from planner.report import month_label, seireki, time_range, wareki_month, weekday_text
from venues.facility_kinds import kind_label

TEMPLATE_DIR = Path(__file__).parent / "templates"
DAILY_TITLE = "日次実績報告書"
MONTHLY_TITLE = "月次実施報告書"
DAY_TYPES = {"weekday": "平日", "holiday": "休日"}

FIGURE_HEADERS: tuple[str, ...] = (
    "回数",
    "予約（組）",
    "予約（人）",
    "受付済（組）",
    "不来場（組）",
    "不来場率",
    "当日受付（組）",
    "当日受付（人）",
    "申請件数",
    "写真撮影",
    "問合せ",
    "見込み件数",
    "見込み比",
    "1時間あたり申請",
)
BOOTH_HEADERS: tuple[str, ...] = ("日付", "会場", "種別", "平日/休日", "時間", "枠数") + FIGURE_HEADERS[1:]
HOUR_HEADERS: tuple[str, ...] = ("時間帯", "申請件数")
PLACEMENT_HEADERS: tuple[str, ...] = (
    "掲示・配布場所",
    "コード",
    "種類",
    "予約（組）",
    "予約（人）",
    "受付済（組）",
    "受付済（人）",
    "不来場（組）",
)
OFFICE_HEADERS: tuple[str, ...] = (
    "カード交付",
    "電子証明書の発行・更新",
    "暗証番号の再設定",
    "券面事項の変更",
    "申請受付",
    "電話対応",
)
WAIT_HEADERS: tuple[str, ...] = (
    "時間帯",
    "発券数",
    "呼出数",
    "対応数",
    "待ち時間 中央値（分）",
    "待ち時間 90パーセンタイル（分）",
)
"""The columns of an office's waiting times per hour (the first column is the day in the per-day table)."""
WAIT_NOTE = (
    "整理券の記録から集計しています。時間帯は最初の整理券を受け取った時刻（日本時間）です。待ち時間は発券から呼出までで、"
    "他の窓口へ回された場合はその待ち時間も足しています（呼出前に取り消した方は含みません）。"
    "90パーセンタイルは、呼ばれた方の9割がこの時間以内に呼ばれたことを表します。"
)
TICKET_COUNT_NOTE = (
    "整理券のある日のカード交付・電子証明書の発行・更新・暗証番号の再設定・申請受付は、対応済みの整理券の数です。"
    "券面事項の変更と電話対応、整理券のない日の件数は職員の入力によります。"
)
DEFINITIONS = (
    "予約は取消を除く件数（受付済・不来場・未受付を含む）。不来場率＝不来場÷予約。見込み比＝申請件数÷見込み件数"
    "（実績入力済みの回のみ）。1時間あたり申請は実績入力済みの回の実施時間で割った値。"
)


def figure_cells(f: Figures) -> tuple[object, ...]:
    """The values under FIGURE_HEADERS."""
    return (
        f.booths,
        f.bookings,
        f.people,
        f.checked_in,
        f.no_shows,
        percent(f.no_show_rate),
        f.walk_ins,
        f.walk_in_people,
        f.applications,
        f.photos,
        f.inquiries,
        f.forecast,
        percent(f.actual_vs_forecast),
        per_hour(f.applications_per_hour),
    )


def minutes_text(value: float | None) -> str:
    """12.5 / — (minutes of a wait)."""
    return "—" if value is None else f"{value:.1f}"


def wait_cells(label: str, row: WaitRow) -> tuple[object, ...]:
    """The values under WAIT_HEADERS (``label`` first: an hour or a day)."""
    return (label, row.visits, row.called, row.served, minutes_text(row.median_minutes), minutes_text(row.p90_minutes))


def hour_label(hour: int) -> str:
    """10時台."""
    return f"{hour}時台"


def wait_tables(office: OfficeWaits) -> dict[str, object]:
    """An office's waiting-time tables as the PDF prints them: per hour with the total, per day (monthly)."""
    return {
        "name": office.office_name,
        "thresholds": f"混雑の目安：黄 {office.amber_minutes}分・赤 {office.red_minutes}分",
        "hours": [wait_cells(hour_label(hour), row) for hour, row in office.hours],
        "total": wait_cells("計", office.total),
        "days": [wait_cells(short_date_text(day), row) for day, row in office.days],
    }


def date_text(date: dt.date) -> str:
    """2027年6月5日（土）."""
    return f"{seireki(date)}（{weekday_text(date)}）"


def short_date_text(date: dt.date) -> str:
    """6月5日（土）."""
    return f"{date.month}月{date.day}日（{weekday_text(date)}）"


def booth_cells(row: BoothRow) -> tuple[object, ...]:
    """The values under BOOTH_HEADERS."""
    with using_locale("ja"):
        kind = kind_label(row.venue_kind) if row.venue_kind else ""
    return (
        short_date_text(row.date),
        row.venue_name,
        kind,
        DAY_TYPES.get(row.day_type, row.day_type),
        time_range(row.start, row.end),
        row.figures.slots,
        *figure_cells(row.figures)[1:],
    )


WAITLIST_HEADERS = ("日付", "会場", "時間", "キャンセル待ちから予約（組）", "キャンセル待ちから予約（人）")
"""The columns of the places filled from the waiting lists, per booth (shown only when there are some)."""
WAITLIST_NOTE = (
    "キャンセル待ちに登録した方が、取消などで空いた枠の案内を受けて予約した件数です（取消を除く）。"
    "上の予約の件数・人数に含まれます。"
)


def waitlist_cells(booths: tuple[BoothRow, ...] | list[BoothRow]) -> list[tuple[object, ...]]:
    """The values under WAITLIST_HEADERS: the booths with places filled from their waiting list."""
    return [
        (
            short_date_text(row.date),
            row.venue_name,
            time_range(row.start, row.end),
            row.figures.waitlist_bookings,
            row.figures.waitlist_people,
        )
        for row in booths
        if row.figures.waitlist_bookings
    ]


def waitlist_total(totals: Figures) -> tuple[object, ...]:
    """The total row under WAITLIST_HEADERS."""
    return ("計", "", "", totals.waitlist_bookings, totals.waitlist_people)


SCHEDULED_HEADERS = ("日付", "会場", "会場種別", "時間", "予約（組）", "予約人数", "見込み")
"""The columns of the booths still to come (listed apart, counted in no figure)."""
SCHEDULED_NOTE = (
    "実施前のブース（実績が未入力で、終了時刻を過ぎていないもの）です。上の集計・グラフ・分析には含めていません。"
)


def scheduled_cells(row: BoothRow) -> tuple[object, ...]:
    """The values under SCHEDULED_HEADERS."""
    f = row.figures
    return (
        short_date_text(row.date),
        row.venue_name,
        kind_text(row.venue_kind),
        time_range(row.start, row.end),
        f.bookings,
        f.people,
        f.forecast,
    )


def group_cells(row: GroupRow, label: str) -> tuple[object, ...]:
    return (label, *figure_cells(row.figures))


def kind_text(kind: str) -> str:
    with using_locale("ja"):
        return kind_label(kind) if kind else ""


def placement_cells(row: PlacementRow) -> tuple[object, ...]:
    with using_locale("ja"):
        kind = placement_kind_label(row.kind) if row.kind else ""
    name = row.name or row.code or "直接（コードなし）"
    return (name, row.code or "—", kind, row.bookings, row.people, row.checked_in, row.checked_in_people, row.no_shows)


def comparison_rows(report: MonthlyReport) -> list[tuple[str, object, object]]:
    """(項目, 前月, 当月) for the monthly summary."""
    now, before = report.totals, report.previous_totals
    return [
        ("実施回数", before.booths, now.booths),
        ("予約（組）", before.bookings, now.bookings),
        ("予約（人）", before.people, now.people),
        ("不来場率", percent(before.no_show_rate), percent(now.no_show_rate)),
        ("当日受付（組）", before.walk_ins, now.walk_ins),
        ("申請件数", before.applications, now.applications),
        ("見込み比", percent(before.actual_vs_forecast), percent(now.actual_vs_forecast)),
        ("1時間あたり申請", per_hour(before.applications_per_hour), per_hour(now.applications_per_hour)),
        ("窓口 申請受付", before_office(report), report.office.applications if report.office.days else "未入力"),
    ]


def before_office(report: MonthlyReport) -> object:
    return report.previous_office.applications if report.previous_office.days else "未入力"


def counter_label(stat: CounterStat) -> str:
    """The heading of the counter statistic's column: 2025年同月."""
    return f"{stat.year}年同月"


def counter_note(stat: CounterStat) -> str:
    """What the counter statistic is, with its month in 和暦."""
    return (
        f"比較の「{counter_label(stat)}」は{month_label(stat.month)}（{wareki_month(stat.month)}）の窓口統計の値です。"
        "暗証番号の再設定と券面事項の変更は統計にないため比較しません。"
    )


def counter_rows(report: MonthlyReport) -> list[tuple[str, object, object]]:
    """(項目, 2025年同月, 当月) for the in-office counts against the counter statistic of the same month."""
    stat, office = report.counter_stat, report.office
    if stat is None:
        return []
    return [
        ("カード交付", stat.card_issued, office.card_handovers),
        ("電子証明書の発行・更新", stat.certificates, office.certificates),
        ("申請受付", stat.applications, office.applications),
        ("電話対応", stat.phone_calls, office.phone_calls),
    ]


def _chart_images(charts: list[report_charts.Chart]) -> list[dict[str, str]]:
    return [
        {
            "title": chart.title,
            "description": chart.description,
            "uri": "data:image/svg+xml;base64," + base64.b64encode(chart.svg.encode()).decode("ascii"),
        }
        for chart in charts
    ]


def daily_report_html(report: DailyReport, analysis: str) -> str:
    """The 日次実績報告書 as the HTML document the PDF is printed from."""
    with using_locale("ja"):
        charts = _chart_images(report_charts.daily_charts(report))
    return (
        template_environment(TEMPLATE_DIR)
        .get_template("daily_report.html")
        .render(
            title=DAILY_TITLE,
            date_text=date_text(report.date),
            wareki_text=wareki(report.date),
            report=report,
            figure_headers=FIGURE_HEADERS,
            totals=figure_cells(report.totals),
            booth_headers=BOOTH_HEADERS,
            booths=[booth_cells(row) for row in report.booths],
            waitlist_headers=WAITLIST_HEADERS,
            waitlist=waitlist_cells(report.booths),
            waitlist_total=waitlist_total(report.totals),
            waitlist_note=WAITLIST_NOTE,
            hours=report.hours,
            office_headers=OFFICE_HEADERS,
            ticket_count_note=TICKET_COUNT_NOTE if report.office and report.office.ticket_days else "",
            wait_headers=WAIT_HEADERS,
            waits=[wait_tables(office) for office in report.waits],
            wait_note=WAIT_NOTE,
            notes=[(row.venue_name, row.notes) for row in report.booths if row.notes],
            scheduled_headers=SCHEDULED_HEADERS,
            scheduled=[scheduled_cells(row) for row in report.scheduled],
            scheduled_note=SCHEDULED_NOTE,
            charts=charts,
            analysis=analysis,
            definitions=DEFINITIONS,
        )
    )


def monthly_report_html(report: MonthlyReport, analysis: str) -> str:
    """The 月次実施報告書 as the HTML document the PDF is printed from."""
    with using_locale("ja"):
        charts = _chart_images(report_charts.monthly_charts(report))
    return (
        template_environment(TEMPLATE_DIR)
        .get_template("monthly_report.html")
        .render(
            title=MONTHLY_TITLE,
            month_text=month_label(report.month),
            wareki_text=wareki_month(report.month),
            period_text=f"{seireki(report.first)}～{seireki(report.last)}",
            period_wareki=f"{wareki(report.first)}～{wareki(report.last)}",
            report=report,
            previous_text=month_label(report.previous_month),
            comparison=comparison_rows(report),
            figure_headers=FIGURE_HEADERS,
            totals=figure_cells(report.totals),
            booth_headers=BOOTH_HEADERS,
            booths=[booth_cells(row) for row in report.booths],
            waitlist_headers=WAITLIST_HEADERS,
            waitlist=waitlist_cells(report.booths),
            waitlist_total=waitlist_total(report.totals),
            waitlist_note=WAITLIST_NOTE,
            venues=[group_cells(g, g.label) for g in report.by_venue],
            kinds=[group_cells(g, kind_text(g.key)) for g in report.by_kind],
            day_types=[group_cells(g, DAY_TYPES.get(g.key, g.key)) for g in report.by_day_type],
            placement_headers=PLACEMENT_HEADERS,
            placements=[placement_cells(row) for row in report.by_placement],
            hours=report.hours,
            office_headers=OFFICE_HEADERS,
            counter_rows=counter_rows(report),
            counter_label=counter_label(report.counter_stat) if report.counter_stat else "",
            counter_note=counter_note(report.counter_stat) if report.counter_stat else "",
            ticket_count_note=TICKET_COUNT_NOTE if report.office.ticket_days else "",
            wait_headers=WAIT_HEADERS,
            waits=[wait_tables(office) for office in report.waits],
            wait_note=WAIT_NOTE,
            notes=[(date_text(row.date), row.venue_name, row.notes) for row in report.booths if row.notes],
            scheduled_headers=SCHEDULED_HEADERS,
            scheduled=[scheduled_cells(row) for row in report.scheduled],
            scheduled_note=SCHEDULED_NOTE,
            charts=charts,
            analysis=analysis,
            definitions=DEFINITIONS,
        )
    )


def daily_report_pdf(report: DailyReport, analysis: str) -> bytes:
    """The 日次実績報告書 as A4 PDF bytes."""
    return print_pdf(daily_report_html(report, analysis), TEMPLATE_DIR)


def monthly_report_pdf(report: MonthlyReport, analysis: str) -> bytes:
    """The 月次実施報告書 as A4 PDF bytes."""
    return print_pdf(monthly_report_html(report, analysis), TEMPLATE_DIR)
