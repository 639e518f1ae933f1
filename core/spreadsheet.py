"""CSV cells for files that people open in Excel: text that Excel would run as a formula is written as text.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is a formula to Excel and
LibreOffice, which lets a cell such as ``=HYPERLINK(...)`` or ``-2+3+cmd|...`` in imported data act when an
export is opened (CSV injection).  Such cells get a leading ``'``, which spreadsheets take as "this is text".
"""

from __future__ import annotations

import re

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
