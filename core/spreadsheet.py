"""Spreadsheets that people open in Excel: cells that Excel would run as a formula are written as text, and the
common look of the Excel forms (表の見出し行, column widths, A4 print setup) shared by the 実施計画書 and the reports.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is a formula to Excel and
LibreOffice, which lets a cell such as ``=HYPERLINK(...)`` or ``-2+3+cmd|...`` in imported data act when an
export is opened (CSV or formula injection).  In CSV such cells get a leading ``'``, which spreadsheets take as
"this is text" (``escape_formula``).  An .xlsx file has cell types: every workbook is saved through
``workbook_bytes``, which stores each such cell as a text cell with Excel's quote prefix, so the text reads exactly
as written and stays text even when someone edits the cell.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-(?:\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)?")  # "-", "-12", "-1.5", "-1e-3"


def escape_formula(cell: str, *, keep_numbers: bool = False) -> str:
    """``cell`` with a ``'`` in front when a spreadsheet would read it as a formula.

    With ``keep_numbers``, a negative number or a lone ``-`` (a common "none" in Japanese lists) stays as
    it is, so that numeric columns still read as numbers; ``-`` followed by anything else is escaped.
    """
    if not cell.startswith(FORMULA_STARTS):
        return cell
    if keep_numbers and _PLAIN_NUMBER.fullmatch(cell):
        return cell
    return "'" + cell


def unescape_formula(cell: str) -> str:
    """The text ``escape_formula`` was given: a ``'`` before ``= + - @`` (or tab, CR) removed."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def text_cells(workbook: Workbook) -> None:
    """Store every cell of ``workbook`` whose text starts like a formula as text (with Excel's quote prefix):
    openpyxl would otherwise write a value such as ``=HYPERLINK(...)`` as a live formula. Our workbooks hold
    no formulas of their own, so every one is data."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def workbook_bytes(workbook: Workbook) -> bytes:
    """The .xlsx file of ``workbook``, with formula-like text stored as text (``text_cells``): how every workbook
    the project writes is saved."""
    text_cells(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the Excel forms --------------------------------------------------------------------------------------------------

FONT_NAME = "游ゴシック"  # what Excel on Japanese Windows shows; other programs substitute their own
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="E7E7E7")
HEADER_FONT = Font(name=FONT_NAME, bold=True)
BODY_FONT = Font(name=FONT_NAME)


def header_row(ws: Worksheet, headers: Sequence[str], row: int = 1) -> None:
    """A table's header row (見出し行) at ``row``: bold, shaded, bordered, centred and wrapped."""
    for column, text in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=column, value=text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def column_widths(ws: Worksheet, widths: Iterable[float]) -> None:
    """The widths of the sheet's columns from A on, in Excel's character units."""
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width


def print_setup(ws: Worksheet, title: str, *, landscape: bool = True, repeat_header: bool = False) -> None:
    """A4, one page wide, centred, with ``title`` and the sheet name as page header and page numbers as footer;
    ``repeat_header`` repeats the first row on every printed page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages as the rows need
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddHeader.center.text = f"{title}　{ws.title}"
    ws.oddFooter.center.text = "&P / &N"
    if repeat_header:
        ws.print_title_rows = "1:1"
