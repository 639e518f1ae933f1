"""Hand-written input and output types of the venue registry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class VenueFilter:
    """Filters of the venue list: kind, area (町字), accessibility, active flag and a name search."""

    kind: str | None = None
    town: str | None = None
    wheelchair: bool = False
    barrier_free_toilet: bool = False
    priority_parking: bool = False
    active: bool | None = True
    query: str | None = None


@dataclass(frozen=True)
class VenueUpdate:
    """What staff may edit on a venue (the facility-list ID is fixed)."""

    name: str
    name_en: str
    kind: str
    address: str
    town: str
    lat: float | None
    lon: float | None
    open_days: str
    open_from: str | None
    open_until: str | None
    hours_note: str
    wheelchair: bool
    barrier_free_toilet: bool
    accessible_route: bool
    priority_parking: bool
    partner_name: str
    partner_email: str
    session_cap: int | None
    notes: str


@dataclass(frozen=True)
class BlackoutCreate:
    """A blackout date to add to a venue."""

    date: dt.date
    reason: str = ""


@dataclass
class ImportOutcome:
    """What an import did: venues created, updated in place, unchanged, and rows left out."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped_rows: int = 0
