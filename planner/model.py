"""The planner's data: what goes in (candidates, application points, demand, parameters, locks) and what comes
out (sessions with reasons, status, objective, bound, gap) — pure, no database (DESIGN §4)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from types import MappingProxyType
from typing import Any

from core.calendar import DayType

BOOTH_START = dt.time(10, 0)
BOOTH_END = dt.time(17, 0)


@dataclass(frozen=True)
class Candidate:
    """A venue that may host booths (commercial, community hall, library, welfare, rental hall)."""

    venue_id: str
    name: str
    kind: str
    lat: float
    lon: float
    address: str = ""
    open_days: str = ""
    open_from: str | None = None
    open_until: str | None = None
    blackout: frozenset[dt.date] = frozenset()
    cap: int | None = None
    opening_hours: str = ""  # the rules in opening_hours syntax; when set they decide the open dates and hours
    hours_unread: str = ""  # clauses of the hours note nobody has read yet (not a candidate while there are any)


@dataclass(frozen=True)
class ApplicationPoint:
    """A permanent application point (city hall, civic centre): residents near one need booths less."""

    venue_id: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class DemandPoint:
    """Where residents live (a town's representative point) with a weight (default 1)."""

    lat: float
    lon: float
    weight: float = 1.0
    name: str = ""


@dataclass(frozen=True)
class LockedSession:
    """A session that re-planning must keep as it is."""

    venue_id: str
    date: dt.date


@dataclass(frozen=True)
class PreviousSession:
    """A session of the previous version of a plan: re-planning keeps as many of these as it can."""

    venue_id: str
    date: dt.date


@dataclass(frozen=True)
class Parameters:
    """Every setting of the default "reach" model, with the defaults of DESIGN §4."""

    start: dt.date
    end: dt.date
    weekday_per_month: int = 6
    holiday_per_month: int = 6
    month_overrides: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # "2027-08" -> {"holiday": 4}
    teams: int = 1
    min_gap_days: int = 14
    booth_start: dt.time = BOOTH_START
    booth_end: dt.time = BOOTH_END
    min_hours: float = 4.0
    radius_km: Mapping[str, float] = field(default_factory=lambda: {"commercial": 3.0})
    default_radius_km: float = 1.5
    draw: Mapping[str, float] = field(default_factory=lambda: {"commercial": 1.5})
    default_draw: float = 1.0
    max_access_weight: float = 5.0
    access_km_per_step: float = 2.0  # a_p = min(5, 1 + d_p / 2)
    levels: int = 8
    decay: float = 0.7
    staff_per_session: int = 5
    base_rate_per_hour: float = 2.0
    seasonality: Mapping[int, float] = field(default_factory=dict)  # month number -> factor (mean 1)
    time_limit_seconds: float = 60.0
    # Learned yields (planner.yields), empty (every factor 1) unless the plan is solved from the database:
    kind_day_factors: Mapping[str, float] = field(default_factory=dict)  # "commercial:holiday" -> factor
    venue_factors: Mapping[str, float] = field(default_factory=dict)  # venue_id (facility ID) -> factor

    def radius(self, kind: str) -> float:
        return self.radius_km.get(kind, self.default_radius_km)

    def draw_of(self, kind: str) -> float:
        return self.draw.get(kind, self.default_draw)

    def access_weight(self, distance_km: float) -> float:
        """a_p: people far from every permanent application point count more."""
        return min(self.max_access_weight, 1.0 + distance_km / self.access_km_per_step)

    def phi(self, coverage: float) -> float:
        """Φ(c) = Σ_{k=1..levels} decay^(k-1) · min(1, max(0, c − (k − 1)))."""
        return sum(self.decay ** (k - 1) * min(1.0, max(0.0, coverage - (k - 1))) for k in range(1, self.levels + 1))

    def as_dict(self) -> dict[str, Any]:
        """The parameters as plain JSON values (for plan.json and the 実施計画書)."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "weekday_per_month": self.weekday_per_month,
            "holiday_per_month": self.holiday_per_month,
            "month_overrides": {k: dict(v) for k, v in sorted(self.month_overrides.items())},
            "teams": self.teams,
            "min_gap_days": self.min_gap_days,
            "booth_window": [self.booth_start.strftime("%H:%M"), self.booth_end.strftime("%H:%M")],
            "min_hours": self.min_hours,
            "radius_km": {**{"default": self.default_radius_km}, **dict(self.radius_km)},
            "draw": {**{"default": self.default_draw}, **dict(self.draw)},
            "access_weight": f"min({self.max_access_weight:g}, 1 + d_p / {self.access_km_per_step:g})",
            "levels": self.levels,
            "decay": self.decay,
            "staff_per_session": self.staff_per_session,
            "base_rate_per_hour": self.base_rate_per_hour,
            "seasonality": {str(k): v for k, v in sorted(self.seasonality.items())},
            "time_limit_seconds": self.time_limit_seconds,
        }


PARAMETER_DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {f.name: f.default for f in fields(Parameters) if f.default is not MISSING}
)
"""Every parameter's default (the one place the new-plan form and ``outreach plan`` read them from)."""


@dataclass(frozen=True)
class PlanInput:
    """Everything the model needs."""

    candidates: tuple[Candidate, ...]
    application_points: tuple[ApplicationPoint, ...]
    demand: tuple[DemandPoint, ...]
    parameters: Parameters
    locked: tuple[LockedSession, ...] = ()
    previous: tuple[PreviousSession, ...] = ()  # re-planning: keep the most of these among plans of enough reach
    max_reach_loss: float = 0.0  # the share of the optimal reach staff allow to give up for fewer changes (0.01 = 1 %)


@dataclass(frozen=True)
class PlannedSession:
    """One booth of the plan."""

    date: dt.date
    day_type: DayType
    venue_id: str
    venue_name: str
    lat: float
    lon: float
    start: dt.time
    end: dt.time
    expected_applicants: int
    reason: str
    locked: bool = False
    venue_address: str = ""
    venue_kind: str = ""
    staff: int = 5

    def as_json(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "day_type": self.day_type.value,
            "venue_id": self.venue_id,
            "venue_name": self.venue_name,
            "lat": self.lat,
            "lon": self.lon,
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "expected_applicants": self.expected_applicants,
            "reason": self.reason,
            "locked": self.locked,
            "venue_address": self.venue_address,
            "venue_kind": self.venue_kind,
            "staff": self.staff,
        }


@dataclass(frozen=True)
class Shortage:
    """A month and day type whose quota cannot be met, and how many sessions can be placed instead."""

    month: str
    day_type: DayType
    asked: int
    possible: int
    open_dates: int
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "day_type": self.day_type.value,
            "asked": self.asked,
            "possible": self.possible,
            "open_dates": self.open_dates,
            "message": self.message,
        }


@dataclass
class PlanResult:
    """The solver's answer: status, the reach objective with its proven bound and gap, and the sessions."""

    status: str  # "optimal" | "feasible"
    objective: float
    bound: float
    solve_seconds: float
    parameters: Parameters
    sessions: list[PlannedSession]
    quotas: dict[str, dict[str, int]]  # month -> {"weekday": n, "holiday": n} as asked
    shortages: list[Shortage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # candidates left out, demand rows skipped, ...
    method: str = ""
    kept: int | None = None  # re-planning: sessions of the previous version kept (same venue and date)
    changed: int | None = None  # re-planning: sessions of the previous version not kept (moved or dropped)
    reach_optimum: float | None = None  # re-planning: the best reach of the new instance (what a loss is taken from)
    max_reach_loss: float = 0.0

    @property
    def reach_loss(self) -> float:
        """The share of the optimal reach given up for fewer changes (0 unless staff allowed a loss)."""
        if self.reach_optimum is None or self.reach_optimum <= 0:
            return 0.0
        return max(0.0, (self.reach_optimum - self.objective) / self.reach_optimum)

    @property
    def gap(self) -> float:
        if self.objective <= 0:
            return 0.0 if self.bound <= 1e-9 else math.inf
        return max(0.0, (self.bound - self.objective) / self.objective)

    def as_json(self) -> dict[str, Any]:
        """plan.json (DESIGN §5)."""
        replan: dict[str, Any] = {}
        if self.kept is not None:
            replan = {
                "kept": self.kept,
                "changed": self.changed,
                "reach_loss": {
                    "allowed_percent": round(100 * self.max_reach_loss, 6),
                    "taken_percent": round(100 * self.reach_loss, 6),
                    "optimum": round(self.reach_optimum, 6) if self.reach_optimum is not None else None,
                },
            }
        return {
            "period": {"start": self.parameters.start.isoformat(), "end": self.parameters.end.isoformat()},
            "status": self.status,
            "objective": {
                "name": "reach",
                "value": round(self.objective, 6),
                "bound": round(self.bound, 6),
                "gap": round(self.gap, 8) if math.isfinite(self.gap) else None,
            },
            "solve_seconds": round(self.solve_seconds, 3),
            "parameters": self.parameters.as_dict(),
            "quotas": self.quotas,
            "shortages": [s.as_json() for s in self.shortages],
            "notes": self.notes,
            **replan,
            "sessions": [s.as_json() for s in self.sessions],
        }
