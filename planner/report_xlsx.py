"""The 実施計画書 as an Excel workbook: sheets 表紙 (the cover: addressee, contractor, title, period, version and its
review, the summary), 実施計画 (sessions), 月別集計, 地図 and パラメータ; venue names and other text that Excel would
take for a formula are stored as text (core.spreadsheet.workbook_bytes)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.spreadsheet import (
    BODY_FONT,
    BORDER,
    FONT_NAME,
    HEADER_FILL,
    HEADER_FONT,
    column_widths,
    header_row,
    print_setup,
    workbook_bytes,
)
from planner import report
from planner.document import HISTORY_HEADERS, PlanDocument, cover_items, history_rows, japanese_date, plan_document
from planner.model import PlanResult
from planner.plan_map import HEIGHT as MAP_HEIGHT
from planner.plan_map import WIDTH as MAP_WIDTH
from planner.plan_map import plan_map_png

DATE_FORMAT = 'yyyy"年"m"月"d"日"'
SESSION_WIDTHS = (5, 15, 15, 16, 9, 26, 32, 12, 8, 10, 70)
MONTHLY_WIDTHS = (12, 12, 10, 10, 10, 10, 10, 10, 11, 14)
MAP_DISPLAY_WIDTH = 960  # pixels on the sheet; the PNG keeps its full resolution for printing


def _cover_sheet(ws: Worksheet, document: PlanDocument, summary: report.Summary, heading: str, subtitle: str) -> None:
    """表紙: the same facts as the PDF's cover."""
    right = len(HISTORY_HEADERS)
    ws.cell(row=1, column=right, value=japanese_date(document.issued)).alignment = Alignment(horizontal="right")
    if document.contractor:
        ws.cell(row=2, column=right, value=document.contractor).alignment = Alignment(horizontal="right")
    if document.addressee:
        ws.cell(row=3, column=1, value=document.addressee).font = Font(name=FONT_NAME, size=14)
    ws.cell(row=5, column=1, value=heading).font = Font(name=FONT_NAME, bold=True, size=18)
    row = 6
    if subtitle:
        ws.cell(row=row, column=1, value=subtitle).font = Font(name=FONT_NAME, size=13)
        row += 1
    row += 1
    for label, value in cover_items(document, summary):
        label_cell = ws.cell(row=row, column=1, value=label)
        value_cell = ws.cell(row=row, column=2, value=value)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=right)
        label_cell.font, value_cell.font = HEADER_FONT, BODY_FONT
        label_cell.fill = HEADER_FILL
        for cell in (label_cell, value_cell):
            cell.border = BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        if label == "到達度":
            ws.row_dimensions[row].height = 60
        row += 1
    if document.history:
        row += 1
        ws.cell(row=row, column=1, value="提出・審査の経過").font = Font(name=FONT_NAME, bold=True, size=12)
        row += 1
        for c, header in enumerate(HISTORY_HEADERS, start=1):
            cell = ws.cell(row=row, column=c, value=header)
            cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
        for values in history_rows(document):
            row += 1
            for c, value in enumerate(values, start=1):
                cell = ws.cell(row=row, column=c, value=value)
                cell.font, cell.border = BODY_FONT, BORDER
                cell.alignment = Alignment(vertical="top", wrap_text=True)
    column_widths(ws, (20, 14, 40, 44, 40))
    print_setup(ws, heading, landscape=True)


def _sessions_sheet(ws: Worksheet, rows: Sequence[report.SessionRow], title: str) -> None:
    header_row(ws, report.SESSION_HEADERS)
    wrap_columns = {report.SESSION_HEADERS.index(h) + 1 for h in ("会場", "所在地", "曜日", "選定理由")}
    centred = {report.SESSION_HEADERS.index(h) + 1 for h in ("回", "曜日", "平日/休日", "実施時間")}
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row.cells(), start=1):
            cell = ws.cell(row=r, column=c, value=value)
            cell.font = BODY_FONT
            cell.border = BORDER
            cell.alignment = Alignment(
                vertical="top", wrap_text=c in wrap_columns, horizontal="center" if c in centred else None
            )
        ws.cell(row=r, column=2).number_format = DATE_FORMAT
    column_widths(ws, SESSION_WIDTHS)
    ws.freeze_panes = "B2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(report.SESSION_HEADERS))}{len(rows) + 1}"
    print_setup(ws, title, repeat_header=True)


def _monthly_sheet(ws: Worksheet, result: PlanResult, title: str) -> None:
    months, total = report.monthly_summary(result)
    header_row(ws, report.MONTHLY_HEADERS)
    for r, month in enumerate([*months, total], start=2):
        for c, value in enumerate(month.cells(), start=1):
            cell = ws.cell(row=r, column=c, value=value)
            cell.font = HEADER_FONT if month is total else BODY_FONT
            cell.border = BORDER
            if c > 2:
                cell.number_format = "#,##0"
    column_widths(ws, MONTHLY_WIDTHS)
    ws.freeze_panes = "A2"
    note_row = len(months) + 4
    ws.cell(
        row=note_row, column=1, value="「計画」は月ごとに求めた回数（期間に一部だけ含まれる月は日数に応じて按分）。"
    ).font = BODY_FONT
    print_setup(ws, title, repeat_header=True)


def _map_sheet(ws: Worksheet, png: bytes, title: str) -> None:
    ws["A1"] = "実施会場と届く範囲（扇形の色は実施月、数字は実施計画の回、町の濃さはブースが届く回数）"
    ws["A1"].font = HEADER_FONT
    image = SheetImage(io.BytesIO(png))
    image.width = MAP_DISPLAY_WIDTH
    image.height = round(MAP_DISPLAY_WIDTH * MAP_HEIGHT / MAP_WIDTH)
    ws.add_image(image, "A3")
    print_setup(ws, title)


def _parameters_sheet(ws: Worksheet, result: PlanResult, title: str) -> None:
    row = 1

    def section(heading: str, items: Sequence[tuple[str, str]]) -> None:
        nonlocal row
        ws.cell(row=row, column=1, value=heading).font = Font(name=FONT_NAME, bold=True, size=12)
        row += 1
        for label, value in items:
            label_cell = ws.cell(row=row, column=1, value=label)
            value_cell = ws.cell(row=row, column=2, value=value)
            label_cell.font, value_cell.font = HEADER_FONT, BODY_FONT
            label_cell.fill = HEADER_FILL
            for cell in (label_cell, value_cell):
                cell.border = BORDER
                cell.alignment = Alignment(vertical="top", wrap_text=True)
            row += 1
        row += 1

    section("計画の条件", report.parameter_items(result))
    section("計算の結果", report.result_items(result))
    shortages = report.shortage_lines(result)
    section("回数が不足する月", [(str(i), text) for i, text in enumerate(shortages, start=1)] or [("—", "なし")])
    notes = report.note_lines(result)
    section("備考", [(str(i), text) for i, text in enumerate(notes, start=1)] or [("—", "なし")])
    column_widths(ws, (26, 100))
    print_setup(ws, title, landscape=False)


def write_plan_xlsx(
    result: PlanResult,
    *,
    background: Iterable[Sequence[object]] = (),
    title: str = "",
    document: PlanDocument | None = None,
) -> bytes:
    """The 実施計画書 as .xlsx bytes: the cover, the sessions, the monthly summary, the map and the parameters.
    ``background``: the demand points, as (lat, lon) or (lat, lon, town name); ``title`` replaces the title line."""
    document = document or plan_document()
    p = result.parameters
    title = title or document.heading(p.start, p.end)
    points = report.town_points(background)
    workbook = Workbook()
    cover = workbook.active
    cover.title = "表紙"
    _cover_sheet(cover, document, report.summary(result, points), title, document.subtitle(p.start, p.end))
    _sessions_sheet(workbook.create_sheet("実施計画"), report.session_rows(result), title)
    _monthly_sheet(workbook.create_sheet("月別集計"), result, title)
    png = plan_map_png(result, background=points, title=f"{title}　実施会場と届く範囲")
    _map_sheet(workbook.create_sheet("地図"), png, title)
    _parameters_sheet(workbook.create_sheet("パラメータ"), result, title)
    workbook.properties.title = title
    workbook.properties.creator = "outreach"
    return workbook_bytes(workbook)
