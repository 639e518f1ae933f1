"""Read the planner's inputs from files: facility lists (公共施設一覧), a demand CSV and counter statistics."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from core.i18n import gettext as _
from planner.model import ApplicationPoint, Candidate, DemandPoint
from venues.facility_list import CANDIDATE_KINDS, PERMANENT_KINDS, ParseResult, parse_facility_list


@dataclass
class Facilities:
    candidates: list[Candidate] = field(default_factory=list)
    application_points: list[ApplicationPoint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def facilities_from_files(paths: Iterable[Path]) -> Facilities:
    """Candidates and permanent application points from one or more facility lists (rows with errors are skipped
    and reported in the notes)."""
    found = Facilities()
    seen: set[str] = set()
    for path in paths:
        result: ParseResult = parse_facility_list(Path(path).read_bytes())
        for problem in result.errors:
            found.notes.append(
                _("{file} row {row}: {reason}").format(
                    file=Path(path).name, row=problem.row_number, reason=problem.message
                )
            )
        for record in result.records:
            if record.venue_id in seen:
                continue
            seen.add(record.venue_id)
            if record.kind in CANDIDATE_KINDS:
                found.candidates.append(
                    Candidate(
                        venue_id=record.venue_id,
                        name=record.name,
                        kind=record.kind,
                        lat=record.lat,
                        lon=record.lon,
                        address=record.address,
                        open_days=record.open_days,
                        open_from=record.open_from,
                        open_until=record.open_until,
                        opening_hours=record.opening_hours,
                        hours_unread=record.hours_unread,
                    )
                )
            elif record.kind in PERMANENT_KINDS:
                found.application_points.append(ApplicationPoint(record.venue_id, record.name, record.lat, record.lon))
    return found


NAME_COLUMNS = ("name", "town", "名称", "町丁", "地区")


def read_demand(data: bytes) -> tuple[list[DemandPoint], list[str]]:
    """Demand points from a CSV with ``lat``, ``lon``, optional ``weight`` and an optional name (``name`` or
    ``town``); rows without usable coordinates are skipped and reported. A ``koaza`` (小字, a lot letter such as
    イ or ソ) stays a point of its own but takes its town's name: residents know 利屋町, not 利屋町ソ."""
    text = data.decode("utf-8-sig") if _is_utf8(data) else data.decode("cp932")
    reader = csv.DictReader(io.StringIO(text))
    points, notes = [], []
    for number, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            lat, lon = float(row.get("lat", "")), float(row.get("lon", ""))
        except ValueError:
            notes.append(_("Demand row {row}: no usable coordinates; skipped.").format(row=number))
            continue
        weight_text = row.get("weight", "")
        try:
            weight = float(weight_text) if weight_text else 1.0
        except ValueError:
            notes.append(
                _("Demand row {row}: weight {value} is not a number; 1 is used.").format(row=number, value=weight_text)
            )
            weight = 1.0
        name = next((row[c] for c in NAME_COLUMNS if row.get(c)), "")
        points.append(DemandPoint(lat, lon, weight, name))
    return points, notes


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_seasonality(data: bytes, column: str = "applications_received") -> dict[int, float]:
    """Month factors (mean 1) from monthly counter statistics (``month`` = YYYY-MM and a count column)."""
    totals: dict[int, list[float]] = defaultdict(list)
    for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig"))):
        try:
            totals[int(row["month"].split("-")[1])].append(float(row[column]))
        except (KeyError, ValueError, IndexError):
            continue
    if not totals:
        return {}
    means = {month: sum(values) / len(values) for month, values in totals.items()}
    overall = sum(means.values()) / len(means)
    return {month: round(value / overall, 4) for month, value in sorted(means.items())}
