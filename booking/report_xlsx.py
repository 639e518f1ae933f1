"""The 日次実績報告書 and the 月次実施報告書 as Excel workbooks (openpyxl): sheets 概要, ブース別, 時間帯別, 会場別
(monthly), 広報別, 窓口実績, キャンセル待ち (only when places were filled from the waiting lists) and
分析・改善提案, with native Excel charts (bar and line) beside the tables.

Numbers are written as numbers (rates as fractions formatted as %), so that staff can compute with them; text that
Excel would take for a formula is stored as text (core.spreadsheet.workbook_bytes)."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from booking.office_tickets import OfficeWaits, WaitRow
from booking.report_pdf import (
    BOOTH_HEADERS,
    DAILY_TITLE,
    DAY_TYPES,
    DEFINITIONS,
    FIGURE_HEADERS,
    MONTHLY_TITLE,
    OFFICE_HEADERS,
    PLACEMENT_HEADERS,
    SCHEDULED_HEADERS,
    SCHEDULED_NOTE,
    TICKET_COUNT_NOTE,
    WAIT_HEADERS,
    WAIT_NOTE,
    WAITLIST_HEADERS,
    WAITLIST_NOTE,
    counter_label,
    counter_note,
    date_text,
    hour_label,
    kind_text,
    placement_cells,
    scheduled_cells,
)
from booking.reports import BoothRow, DailyReport, Figures, GroupRow, MonthlyReport, OfficeFigures
from core.spreadsheet import (
    BODY_FONT,
    BORDER,
    FONT_NAME,
    HEADER_FONT,
    column_widths,
    header_row,
    print_setup,
    workbook_bytes,
)
from core.wareki import wareki
from planner.report import month_label, seireki, time_range, wareki_month

PERCENT = "0%"
DECIMAL = "0.0"
TITLE_FONT = Font(name=FONT_NAME, bold=True, size=14)
RATE_COLUMNS = {"不来場率", "見込み比"}
MINUTE_COLUMNS = set(WAIT_HEADERS[4:])


def figure_values(f: Figures) -> tuple[object, ...]:
    """The values under FIGURE_HEADERS as numbers (rates as fractions; None when there is nothing to divide)."""
    return (
        f.booths,
        f.bookings,
        f.people,
        f.checked_in,
        f.no_shows,
        f.no_show_rate,
        f.walk_ins,
        f.walk_in_people,
        f.applications,
        f.photos,
        f.inquiries,
        f.forecast,
        f.actual_vs_forecast,
        round(f.applications_per_hour, 2) if f.applications_per_hour is not None else None,
    )


def _rows(
    ws: Worksheet, headers: Sequence[str], rows: Sequence[Sequence[object]], *, start: int = 1, bold_last: bool = False
) -> int:
    """A table with a header row at ``start``; returns the last row written."""
    header_row(ws, headers, row=start)
    for r, values in enumerate(rows, start=start + 1):
        last = bold_last and r == start + len(rows)
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            cell.font = HEADER_FONT if last else BODY_FONT
            cell.border = BORDER
            header = headers[c - 1] if c - 1 < len(headers) else ""
            if header in RATE_COLUMNS:
                cell.number_format = PERCENT
            elif header == "1時間あたり申請" or header in MINUTE_COLUMNS:
                cell.number_format = DECIMAL
            elif isinstance(value, int):
                cell.number_format = "#,##0"
    return start + len(rows)


def _bar(
    title: str,
    y_title: str,
    ws: Worksheet,
    *,
    label_col: int,
    value_cols: Sequence[int],
    first_row: int,
    last_row: int,
    anchor: str,
    horizontal: bool = False,
    height: float = 9.0,
) -> None:
    """A native bar chart of the columns ``value_cols`` (header in ``first_row - 1``) against ``label_col``."""
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title = title
    chart.y_axis.title = y_title
    chart.height, chart.width = height, 18
    for column in value_cols:
        chart.add_data(Reference(ws, min_col=column, min_row=first_row - 1, max_row=last_row), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=label_col, min_row=first_row, max_row=last_row))
    ws.add_chart(chart, anchor)


def _title(ws: Worksheet, title: str, lines: Sequence[str]) -> int:
    ws.cell(row=1, column=1, value=title).font = TITLE_FONT
    for r, line in enumerate(lines, start=2):
        ws.cell(row=r, column=1, value=line).font = BODY_FONT
    return len(lines) + 3


def _booth_values(row: BoothRow, monthly: bool) -> tuple[object, ...]:
    kind = kind_text(row.venue_kind)
    day = row.date if monthly else date_text(row.date)
    return (
        day,
        row.venue_name,
        kind,
        DAY_TYPES.get(row.day_type, row.day_type),
        time_range(row.start, row.end),
        row.figures.slots,
        *figure_values(row.figures)[1:],
    )


def _booths_sheet(ws: Worksheet, booths: Sequence[BoothRow], title: str, monthly: bool) -> None:
    last = _rows(ws, BOOTH_HEADERS, [_booth_values(row, monthly) for row in booths])
    if monthly:
        for r in range(2, last + 1):
            ws.cell(row=r, column=1).number_format = 'yyyy"年"m"月"d"日"'
    column_widths(ws, (16, 24, 14, 9, 12, *([9] * (len(BOOTH_HEADERS) - 5))))
    ws.freeze_panes = "C2"
    if booths:
        applications = BOOTH_HEADERS.index("申請件数") + 1
        forecast = BOOTH_HEADERS.index("見込み件数") + 1
        _bar(
            "申請件数と見込み件数（ブース別）",
            "件",
            ws,
            label_col=2,
            value_cols=(applications, forecast),
            first_row=2,
            last_row=last,
            anchor=f"B{last + 3}",
            horizontal=True,
            height=max(7.0, 0.8 * len(booths)),
        )
        booked = BOOTH_HEADERS.index("予約（人）") + 1
        walk_in = BOOTH_HEADERS.index("当日受付（人）") + 1
        _bar(
            "予約と当日受付（人、ブース別）",
            "人",
            ws,
            label_col=2,
            value_cols=(booked, walk_in),
            first_row=2,
            last_row=last,
            anchor=f"L{last + 3}",
            horizontal=True,
            height=max(7.0, 0.8 * len(booths)),
        )
    print_setup(ws, title, repeat_header=True)


def _hours_sheet(ws: Worksheet, hours: Sequence[tuple[int, int]], title: str) -> None:
    last = _rows(ws, ("時間帯", "申請件数"), [(f"{hour}時台", count) for hour, count in hours])
    column_widths(ws, (12, 12))
    if hours:
        _bar("時間帯別申請件数", "件", ws, label_col=1, value_cols=(2,), first_row=2, last_row=last, anchor="D2")
    print_setup(ws, title, landscape=False)


def _placements_sheet(ws: Worksheet, report: DailyReport | MonthlyReport, title: str) -> None:
    rows = [placement_cells(row) for row in report.by_placement]
    last = _rows(ws, PLACEMENT_HEADERS, rows)
    column_widths(ws, (28, 14, 16, 10, 10, 11, 11, 11))
    if rows:
        _bar(
            "広報（掲示・配布場所）別の予約",
            "組",
            ws,
            label_col=1,
            value_cols=(4, 6),
            first_row=2,
            last_row=last,
            anchor=f"A{last + 3}",
            horizontal=True,
            height=max(7.0, 0.8 * len(rows)),
        )
    print_setup(ws, title)


def _office_values(office: OfficeFigures) -> tuple[int, ...]:
    return (
        office.card_handovers,
        office.certificates,
        office.pin_resets,
        office.card_changes,
        office.applications,
        office.phone_calls,
    )


def _group_sheet(ws: Worksheet, title: str, sections: Sequence[tuple[str, Sequence[GroupRow], object]]) -> None:
    row = 1
    for heading, groups, label in sections:
        ws.cell(row=row, column=1, value=heading).font = HEADER_FONT
        first = row + 2
        last = _rows(
            ws, (heading, *FIGURE_HEADERS), [(label(g), *figure_values(g.figures)) for g in groups], start=row + 1
        )
        if groups:
            _bar(
                f"申請件数と見込み件数（{heading}別）",
                "件",
                ws,
                label_col=1,
                value_cols=(FIGURE_HEADERS.index("申請件数") + 2, FIGURE_HEADERS.index("見込み件数") + 2),
                first_row=first,
                last_row=last,
                anchor=f"Q{row}",
                horizontal=True,
                height=max(6.0, 0.8 * len(groups)),
            )
        row = max(last + 3, row + 4 + int(max(6.0, 0.8 * len(groups)) * 2))
    column_widths(ws, (24, *([10] * len(FIGURE_HEADERS))))
    print_setup(ws, title)


def _scheduled_sheet(workbook: Workbook, booths: Sequence[BoothRow], title: str) -> None:
    """The booths still to come, listed apart (no sheet when there are none): counted in no other sheet."""
    if not booths:
        return
    ws = workbook.create_sheet("実施予定")
    ws.cell(row=1, column=1, value=SCHEDULED_NOTE).font = BODY_FONT
    _rows(ws, SCHEDULED_HEADERS, [scheduled_cells(row) for row in booths], start=3)
    column_widths(ws, (14, 28, 14, 14, 12, 10, 10))
    print_setup(ws, title)


def _waitlist_sheet(workbook: Workbook, report: DailyReport | MonthlyReport, title: str) -> None:
    """The places filled from the waiting lists, per booth with the total (no sheet when there are none)."""
    if not report.totals.waitlist_bookings:
        return
    ws = workbook.create_sheet("キャンセル待ち")
    ws.cell(row=1, column=1, value=WAITLIST_NOTE).font = BODY_FONT
    rows = [
        (row.date, row.venue_name, time_range(row.start, row.end), f.waitlist_bookings, f.waitlist_people)
        for row in report.booths
        for f in [row.figures]
        if f.waitlist_bookings
    ]
    totals = report.totals
    _rows(
        ws,
        WAITLIST_HEADERS,
        [*rows, ("合計", "", "", totals.waitlist_bookings, totals.waitlist_people)],
        start=3,
        bold_last=True,
    )
    for r in range(4, 4 + len(rows)):
        ws.cell(row=r, column=1).number_format = "yyyy/mm/dd"
    column_widths(ws, (14, 28, 14, 16, 16))
    print_setup(ws, title)


def _wait_values(label: object, row: WaitRow) -> tuple[object, ...]:
    """The values under WAIT_HEADERS as numbers (minutes None when nobody was called)."""
    return (label, row.visits, row.called, row.served, row.median_minutes, row.p90_minutes)


def _waits_sheet(workbook: Workbook, waits: Sequence[OfficeWaits], title: str) -> None:
    """The counters' waiting times (no sheet when no office had queue tickets): per office, per hour of the day
    with a bar chart of the median and the 90th percentile, and (monthly) per day."""
    if not waits:
        return
    ws = workbook.create_sheet("窓口待ち時間")
    ws.cell(row=1, column=1, value=WAIT_NOTE).font = BODY_FONT
    row = 3
    for office in waits:
        heading = f"{office.office_name}（混雑の目安：黄 {office.amber_minutes}分・赤 {office.red_minutes}分）"
        ws.cell(row=row, column=1, value=heading).font = HEADER_FONT
        hours = [_wait_values(hour_label(hour), r) for hour, r in office.hours]
        last = _rows(ws, WAIT_HEADERS, [*hours, _wait_values("計", office.total)], start=row + 1, bold_last=True)
        _bar(
            f"待ち時間（時間帯別）{office.office_name}",
            "分",
            ws,
            label_col=1,
            value_cols=(5, 6),
            first_row=row + 2,
            last_row=last - 1,
            anchor=f"H{row}",
        )
        row = max(last + 3, row + 22)
        if office.days:
            ws.cell(row=row, column=1, value=f"{office.office_name}（日別）").font = HEADER_FONT
            last = _rows(
                ws, ("日付", *WAIT_HEADERS[1:]), [_wait_values(day, r) for day, r in office.days], start=row + 1
            )
            for r in range(row + 2, last + 1):
                ws.cell(row=r, column=1).number_format = 'm"月"d"日"'
            row = last + 3
    column_widths(ws, (14, 10, 10, 10, 20, 26))
    print_setup(ws, title)


def _analysis_sheet(ws: Worksheet, analysis: str, title: str) -> None:
    ws.cell(row=1, column=1, value="分析・改善提案").font = TITLE_FONT
    for r, line in enumerate(analysis.splitlines() or [""], start=3):
        cell = ws.cell(row=r, column=1, value=line)
        cell.font = BODY_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    column_widths(ws, (120,))
    print_setup(ws, title, landscape=False)


def _save(workbook: Workbook, title: str) -> bytes:
    workbook.properties.title = title
    workbook.properties.creator = "outreach"
    return workbook_bytes(workbook)


def daily_report_xlsx(report: DailyReport, analysis: str) -> bytes:
    """The 日次実績報告書 as .xlsx bytes."""
    title = f"{DAILY_TITLE}　{seireki(report.date)}"
    workbook = Workbook()
    summary = workbook.active
    summary.title = "概要"
    row = _title(summary, DAILY_TITLE, [date_text(report.date), wareki(report.date)])
    _rows(summary, FIGURE_HEADERS, [figure_values(report.totals)], start=row)
    office_row = row + 4
    summary.cell(row=office_row - 1, column=1, value="窓口実績").font = HEADER_FONT
    if report.office is not None:
        _rows(summary, OFFICE_HEADERS, [_office_values(report.office)], start=office_row)
    else:
        summary.cell(row=office_row, column=1, value="未入力").font = BODY_FONT
    summary.cell(row=office_row + 3, column=1, value=DEFINITIONS).font = BODY_FONT
    column_widths(summary, [12] * len(FIGURE_HEADERS))
    print_setup(summary, title)
    _booths_sheet(workbook.create_sheet("ブース別"), report.booths, title, monthly=False)
    _hours_sheet(workbook.create_sheet("時間帯別"), report.hours, title)
    _placements_sheet(workbook.create_sheet("広報別"), report, title)
    office = workbook.create_sheet("窓口実績")
    if report.office is not None:
        _rows(office, OFFICE_HEADERS, [_office_values(report.office)])
        if report.office.ticket_days:
            office.cell(row=4, column=1, value=TICKET_COUNT_NOTE).font = BODY_FONT
    else:
        office.cell(row=1, column=1, value="未入力").font = BODY_FONT
    column_widths(office, [14] * len(OFFICE_HEADERS))
    print_setup(office, title)
    _waitlist_sheet(workbook, report, title)
    _waits_sheet(workbook, report.waits, title)
    _scheduled_sheet(workbook, report.scheduled, title)
    _analysis_sheet(workbook.create_sheet("分析・改善提案"), analysis, title)
    return _save(workbook, title)


def _monthly_office_sheet(ws: Worksheet, report: MonthlyReport, title: str) -> None:
    days = [day for day in report.days if day.office.days]
    last = _rows(
        ws,
        ("日付", *OFFICE_HEADERS),
        [(day.date, *_office_values(day.office)) for day in days] + [("合計", *_office_values(report.office))],
        bold_last=True,
    )
    for r in range(2, last):
        ws.cell(row=r, column=1).number_format = 'm"月"d"日"'
    if days:
        chart = LineChart()
        chart.title = "窓口実績（日別）"
        chart.y_axis.title = "件"
        chart.height, chart.width = 8, 18
        for column in (2, 6, 7):  # カード交付, 申請受付, 電話対応
            chart.add_data(Reference(ws, min_col=column, min_row=1, max_row=last - 1), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=last - 1))
        ws.add_chart(chart, "I2")
    if report.office.ticket_days:
        ws.cell(row=last + 2, column=1, value=TICKET_COUNT_NOTE).font = BODY_FONT
    stat = report.counter_stat
    if stat is not None:
        start = last + 4
        ws.cell(row=start - 1, column=1, value=f"{counter_label(stat)}との比較").font = HEADER_FONT
        rows = [
            ("カード交付", stat.card_issued, report.office.card_handovers),
            ("電子証明書の発行・更新", stat.certificates, report.office.certificates),
            ("申請受付", stat.applications, report.office.applications),
            ("電話対応", stat.phone_calls, report.office.phone_calls),
        ]
        end = _rows(ws, ("項目", counter_label(stat), "当月"), rows, start=start)
        ws.cell(row=end + 1, column=1, value=counter_note(stat)).font = BODY_FONT
        _bar(
            f"窓口実績と{counter_label(stat)}",
            "件",
            ws,
            label_col=1,
            value_cols=(2, 3),
            first_row=start + 1,
            last_row=end,
            anchor=f"I{start}",
        )
    column_widths(ws, (22, 12, 14, 12, 12, 12, 12))
    print_setup(ws, title)


def monthly_report_xlsx(report: MonthlyReport, analysis: str) -> bytes:
    """The 月次実施報告書 as .xlsx bytes."""
    title = f"{MONTHLY_TITLE}　{month_label(report.month)}"
    workbook = Workbook()
    summary = workbook.active
    summary.title = "概要"
    row = _title(
        summary,
        MONTHLY_TITLE,
        [
            f"{month_label(report.month)}（{wareki_month(report.month)}）",
            f"{seireki(report.first)}～{seireki(report.last)}",
        ],
    )
    _rows(summary, FIGURE_HEADERS, [figure_values(report.totals)], start=row)
    comparison = row + 4
    summary.cell(row=comparison - 1, column=1, value="前月との比較").font = HEADER_FONT
    before, now = report.previous_totals, report.totals
    items = [
        ("実施回数", before.booths, now.booths),
        ("予約（組）", before.bookings, now.bookings),
        ("予約（人）", before.people, now.people),
        ("当日受付（組）", before.walk_ins, now.walk_ins),
        ("申請件数", before.applications, now.applications),
        ("窓口 申請受付", report.previous_office.applications, report.office.applications),
    ]
    end = _rows(
        summary,
        ("項目", f"前月（{month_label(report.previous_month)}）", f"当月（{month_label(report.month)}）"),
        items,
        start=comparison,
    )
    _bar(
        "前月との比較",
        "件",
        summary,
        label_col=1,
        value_cols=(2, 3),
        first_row=comparison + 1,
        last_row=end,
        anchor=f"E{comparison}",
    )
    summary.cell(row=end + 2, column=1, value=DEFINITIONS).font = BODY_FONT
    column_widths(summary, [14] * len(FIGURE_HEADERS))
    print_setup(summary, title)
    _booths_sheet(workbook.create_sheet("ブース別"), report.booths, title, monthly=True)
    _group_sheet(
        workbook.create_sheet("会場別"),
        title,
        [
            ("会場種別", report.by_kind, lambda g: kind_text(g.key)),
            ("平日/休日", report.by_day_type, lambda g: DAY_TYPES.get(g.key, g.key)),
            ("会場", report.by_venue, lambda g: g.label),
        ],
    )
    _hours_sheet(workbook.create_sheet("時間帯別"), report.hours, title)
    _placements_sheet(workbook.create_sheet("広報別"), report, title)
    _monthly_office_sheet(workbook.create_sheet("窓口実績"), report, title)
    _waitlist_sheet(workbook, report, title)
    _waits_sheet(workbook, report.waits, title)
    _scheduled_sheet(workbook, report.scheduled, title)
    _analysis_sheet(workbook.create_sheet("分析・改善提案"), analysis, title)
    return _save(workbook, title)
