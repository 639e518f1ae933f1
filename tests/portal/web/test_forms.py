"""Reading numbers from HTML forms (portal/web/forms.py)."""

from __future__ import annotations

import pytest

from portal.web import forms


@pytest.mark.parametrize(
    ("typed", "read"),
    [("3", 3), (" 12 ", 12), ("0", 0), ("2147483647", 2147483647), ("2147483648", None), (str(2**63), None)]
    + [(odd, None) for odd in ("²", "١٢", "１", "-1", "+1", "1.0", "1_000", "", "x")],
)
def test_a_whole_number_is_plain_ascii_digits_within_what_the_database_holds(typed, read):
    assert forms.whole_number({"n": typed}, "n") == read


def test_an_optional_int_past_the_database_is_a_field_error():
    errors: dict[str, str] = {}
    assert forms.optional_int({"n": str(2**63)}, "n", errors, "too big") is None
    assert errors == {"n": "too big"}
    assert forms.optional_int({"n": "-5"}, "n", {}, "") == -5
