"""Integration: planner.inputs, planner.model and planner.solve together on the real Kanazawa data of fiscal year
2027 (2027-04-01 to 2028-03-31), with every default of DESIGN §4."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from planner.inputs import facilities_from_files, read_demand
from planner.model import Parameters, PlanInput
from planner.solve import solve

DATA = Path(__file__).resolve().parents[2] / "data" / "kanazawa"


def test_kanazawa_fy2027_is_solved_to_optimality_with_twelve_sessions_a_month() -> None:
    facilities = facilities_from_files([DATA / "public_facilities.csv", DATA / "commercial_venues.csv"])
    demand, _notes = read_demand((DATA / "town_points.csv").read_bytes())
    parameters = Parameters(start=dt.date(2027, 4, 1), end=dt.date(2028, 3, 31))
    candidates = {c.venue_id: c for c in facilities.candidates}
    permanent = {p.venue_id for p in facilities.application_points}
    assert candidates and permanent and not set(candidates) & permanent

    result = solve(
        PlanInput(tuple(facilities.candidates), tuple(facilities.application_points), tuple(demand), parameters)
    )

    assert result.status == "optimal"
    assert result.gap <= 1e-6
    assert len(result.sessions) == 144
    per_month = Counter(f"{s.date:%Y-%m}" for s in result.sessions)
    assert len(per_month) == 12 and set(per_month.values()) == {12}
    per_type = Counter((f"{s.date:%Y-%m}", s.day_type.value) for s in result.sessions)
    assert set(per_type.values()) == {6}
    assert not result.shortages
    for session in result.sessions:
        assert session.venue_id in candidates  # never a city_hall / civic_center
        assert candidates[session.venue_id].kind not in ("city_hall", "civic_center")
        assert session.reason.strip()
        assert session.expected_applicants > 0
        assert not (
            (session.date.month, session.date.day) >= (12, 29) or (session.date.month, session.date.day) <= (1, 3)
        )
