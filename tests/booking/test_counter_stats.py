"""The city's counter statistics (窓口統計, COUNTER_STATS_FILE): which month a report compares with, and files that
are not counter statistics, which are left out with a warning instead of breaking the report."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from booking.counter_stats import read_counter_stats, same_month_stat
from core.settings import ROOT

KANAZAWA = ROOT / "data" / "kanazawa" / "window_stats_2024.csv"
HEADER = "month,card_issued_at_window,e_certificate_issued_or_renewed,applications_received,phone_calls\n"


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "stats.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_the_kanazawa_file_gives_the_2024_month_to_every_later_year():
    stats = read_counter_stats(KANAZAWA)
    assert sorted(stats) == [f"2024-{m:02d}" for m in range(1, 13)]
    june = same_month_stat("2027-06", KANAZAWA)
    assert (june.month, june.year, june.card_issued, june.applications) == ("2024-06", 2024, 1203, 981)
    assert same_month_stat("2025-01", KANAZAWA).month == "2024-01"
    assert same_month_stat("2024-06", KANAZAWA) is None  # the same month of the same year is not an earlier year


def test_the_latest_earlier_year_with_that_calendar_month_is_chosen(tmp_path):
    path = write(
        tmp_path, HEADER + "2024-06,1,2,3,4\n2025-06,5,6,7,8\n2026-06,9,9,9,9\n2025-07,1,1,1,1\n", encoding="utf-8-sig"
    )
    assert same_month_stat("2026-06", path).month == "2025-06"
    assert same_month_stat("2030-06", path).month == "2026-06"
    assert same_month_stat("2025-06", path).month == "2024-06"
    assert same_month_stat("2026-05", path) is None  # no May at all
    assert same_month_stat("2025-07", path) is None


def test_no_file_configured_means_no_comparison():
    assert same_month_stat("2027-06", None) is None


def test_counts_may_have_thousands_separators_and_spaces(tmp_path):
    path = write(tmp_path, HEADER + '2025-06,"1,203", 690 ,981,540\n')
    assert read_counter_stats(path)["2025-06"].card_issued == 1203


@pytest.mark.parametrize(
    "text",
    [
        "month,card_issued_at_window,applications_received,phone_calls\n2025-06,1,3,4\n",  # a column missing
        HEADER + "2025-06,1,2,three,4\n",
        HEADER + "2025-6,1,2,3,4\n",
        HEADER + "2025-13,1,2,3,4\n",
        HEADER + "2025-06,1,2,3\n",  # a value missing
        HEADER + "2025-06,1,2,-3,4\n",
        HEADER + "2025-06,1,2,3,4\n2025-06,1,2,3,4\n",  # a month twice
        "",
    ],
)
def test_a_file_that_is_not_counter_statistics_is_left_out_with_a_warning(tmp_path, caplog, text):
    path = write(tmp_path, text)
    with pytest.raises(ValueError):
        read_counter_stats(path)
    with caplog.at_level(logging.WARNING, logger="outreach.reports"):
        assert same_month_stat("2026-06", path) is None
    assert [r.levelname for r in caplog.records] == ["WARNING"] and "stats.csv" in caplog.records[0].getMessage()


def test_a_file_in_another_encoding_or_missing_is_left_out_with_a_warning(tmp_path, caplog):
    shift_jis = write(tmp_path, "月,件数\n2025-06,1\n", encoding="cp932")
    with caplog.at_level(logging.WARNING, logger="outreach.reports"):
        assert same_month_stat("2026-06", shift_jis) is None
        assert same_month_stat("2026-06", tmp_path / "missing.csv") is None
    assert len(caplog.records) == 2


def test_a_replaced_file_is_read_again(tmp_path):
    path = write(tmp_path, HEADER + "2025-06,1,2,3,4\n")
    assert same_month_stat("2026-06", path).applications == 3
    path.write_text(HEADER + "2025-06,1,2,30,4\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    assert same_month_stat("2026-06", path).applications == 30
