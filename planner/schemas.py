"""Hand-written read models of the planner: what its services hand to pages, documents and other services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.calendar import DayType
from planner.model import Shortage
from planner.tables import SessionState, SolveState, VersionState


@dataclass(frozen=True)
class PlanSummary:
    """A plan (実施計画): its title and period."""

    id: int
    title: str
    start: dt.date
    end: dt.date
    created_by: int | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class PlanVersionDetail:
    """One version of a plan (計画の版): its review state, parameters and the solver's result and progress."""

    id: int
    plan: int
    number: int
    state: VersionState
    solve_state: SolveState
    revision: int
    parameters: Mapping[str, Any]  # as stored (planner.services.parameters_from_row makes Parameters of it)
    progress: Mapping[str, Any]  # {"seconds", "incumbent", "bound", "stage", "heartbeat"} while solving
    status: str  # "optimal" | "feasible" | "" before the first solve
    objective: float | None
    bound: float | None
    gap: float | None
    solve_seconds: float | None
    shortages: tuple[Shortage, ...]
    notes: tuple[str, ...]
    error: str
    based_on: int | None
    review_comment: str
    created_by: int | None
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    submitted_by: int | None
    submitted_at: dt.datetime | None
    decided_by: int | None
    decided_at: dt.datetime | None
    replan: Mapping[str, Any] = field(default_factory=dict)  # the last re-plan's request and outcome (services)

    @property
    def solving(self) -> bool:
        """Whether the solver is queued or running on this version."""
        return self.solve_state in (SolveState.queued, SolveState.running)


@dataclass(frozen=True)
class VersionHistoryEntry:
    """One version in a plan's history (版の履歴): who submitted and who decided it, and when."""

    id: int
    number: int
    state: VersionState
    review_comment: str
    created_at: dt.datetime | None
    submitted_at: dt.datetime | None
    submitted_by_name: str
    decided_at: dt.datetime | None
    decided_by_name: str


@dataclass(frozen=True)
class SessionDetail:
    """A session (出張申請受付ブース) of a plan version, with its venue."""

    id: int
    version: int
    plan: int
    venue: int  # the venue row's id
    venue_id: str  # the facility-list ID
    venue_name: str
    venue_kind: str
    venue_address: str
    venue_lat: float
    venue_lon: float
    date: dt.date
    start: dt.time
    end: dt.time
    day_type: DayType
    staff: int
    expected_applicants: int
    reason: str
    locked: bool
    reviewer_comment: str
    state: SessionState
    origin: int | None  # the published session (of an approved version) this one continues


@dataclass(frozen=True)
class MonthSummary:
    """One month of a version: weekday and holiday sessions against their quotas, and expected applicants."""

    month: str  # "2027-08"
    weekday: int
    holiday: int
    weekday_quota: int
    holiday_quota: int
    expected: int


@dataclass(frozen=True)
class CandidateVenue:
    """A venue that can host booths, as the session forms list it; ``unsuitable`` says why the plan's rules leave
    it out (no known opening days or hours, too short hours), "" when it can host a booth."""

    venue_id: str
    name: str
    kind: str
    unsuitable: str = ""
