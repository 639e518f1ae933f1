"""CSV cells that Excel would run as formulas are written as text, and read back as written."""

from __future__ import annotations

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
