"""The one syntax of a month's quota override (``YYYY-MM:weekday=N,holiday=N``), for the CLI and the form."""

from __future__ import annotations

import pytest

from core.errors import ValidationFailed
from core.i18n import using_locale
from planner.month_overrides import parse_month_overrides


def test_entries_become_quotas_per_month():
    assert parse_month_overrides(["2027-08:weekday=4,holiday=6", " 2027-12:holiday=2 ", "", "2027-08:holiday=5"]) == {
        "2027-08": {"weekday": 4, "holiday": 5},
        "2027-12": {"holiday": 2},
    }
    assert parse_month_overrides(["2027-09: weekday = 0 , holiday = 1"]) == {"2027-09": {"weekday": 0, "holiday": 1}}
    assert parse_month_overrides([]) == {}
    # the spaces the form used to show still read the same
    assert parse_month_overrides(["2027-08 weekday=4 holiday=6"]) == {"2027-08": {"weekday": 4, "holiday": 6}}


@pytest.mark.parametrize(
    "entry",
    [
        "2027-13:weekday=4",
        "2027-8:weekday=4",
        "8月:weekday=4",
        "2027-08:",
        "2027-08:weekday",
        "2027-08:weekday=",
        "2027-08:weekday=-1",
        "2027-08:weekday=four",
        "2027-08:sunday=1",
        "2027-08:weekday=4;holiday=6",
    ],
)
def test_anything_else_is_refused_with_the_entry_and_the_syntax(entry):
    with using_locale("en"), pytest.raises(ValidationFailed) as refused:
        parse_month_overrides(["2027-07:weekday=1", entry])
    assert entry.strip() in refused.value.message and "YYYY-MM:weekday=N,holiday=N" in refused.value.message
    assert refused.value.fields == {"month_overrides": refused.value.message}
