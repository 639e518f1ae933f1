"""The city's monthly counter statistics (窓口統計): a CSV of the counts at the city's counters, one row per month,
against which the 月次実施報告書 sets this year's in-office counts. The file is a setting (``COUNTER_STATS_FILE``);
without it the reports have no such comparison.

The CSV (UTF-8, with or without BOM) has the columns ``month`` (``YYYY-MM``), ``card_issued_at_window``,
``e_certificate_issued_or_renewed``, ``applications_received`` and ``phone_calls``.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

COUNTER_STATS_COLUMNS = (
    "month",
    "card_issued_at_window",
    "e_certificate_issued_or_renewed",
    "applications_received",
    "phone_calls",
)
"""The columns of a counter statistics CSV (窓口統計): one row per ``YYYY-MM`` month."""
log = logging.getLogger("outreach.reports")


@dataclass(frozen=True)
class CounterStat:
    """One month of the city's counter statistics (窓口統計, the ``COUNTER_STATS_FILE`` CSV)."""

    month: str  # "2025-06"
    card_issued: int  # card_issued_at_window
    certificates: int  # e_certificate_issued_or_renewed
    applications: int  # applications_received
    phone_calls: int

    @property
    def year(self) -> int:
        return int(self.month[:4])


def read_counter_stats(path: Path) -> dict[str, CounterStat]:
    """The months of a counter statistics CSV (窓口統計; UTF-8, with or without BOM; COUNTER_STATS_COLUMNS), by
    ``YYYY-MM``. OSError when it cannot be read, ValueError when it is not such a file."""
    return _read_counter_stats(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _read_counter_stats(path: Path, _mtime_ns: int) -> dict[str, CounterStat]:
    """Read once per path and modification time, so that a replaced file is read again."""
    stats: dict[str, CounterStat] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in COUNTER_STATS_COLUMNS if column not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"missing columns: {', '.join(missing)}")
        for row in reader:
            try:
                month = (row["month"] or "").strip()
                if len(month) != 7:
                    raise ValueError(month)
                dt.date.fromisoformat(f"{month}-01")
                values = [int((row[column] or "").replace(",", "").strip()) for column in COUNTER_STATS_COLUMNS[1:]]
            except ValueError:
                raise ValueError(f"line {reader.line_num} is not a month with four whole numbers") from None
            if min(values) < 0 or month in stats:
                raise ValueError(f"line {reader.line_num}: a negative count or a month given twice")
            stats[month] = CounterStat(month, *values)
    return stats


def same_month_stat(month: str, path: Path | None) -> CounterStat | None:
    """The counter statistic to compare a ``YYYY-MM`` month with: the same calendar month of the latest year before
    it in the file at ``path``. None when no file is configured, the file has no such month, or it cannot be read
    (logged as a warning: a broken file must not break the report)."""
    if path is None:
        return None
    try:
        stats = read_counter_stats(path)
    except (OSError, ValueError, csv.Error) as error:
        log.warning("counter statistics %s not used: %s", path, error)
        return None
    earlier = [key for key in stats if key[5:] == month[5:] and key < month]
    return stats[max(earlier)] if earlier else None
