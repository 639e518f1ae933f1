"""Loading the Kanazawa demo: venues, places, demand and seasonality, one staff account per role, and the next
fiscal year's plan solved, approved and published."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

from core.calendar import fiscal_year, fiscal_year_period
from core.errors import ValidationFailed
from core.i18n import gettext as _
from core.settings import ROOT
from core.tables import Role
from core.users import Actor, create_user, find_actor, role_label, set_password
from planner import services as plans
from planner import workflow
from planner.demand import replace_demand, replace_seasonality
from planner.inputs import read_demand, read_seasonality
from planner.model import Parameters
from planner.tables import SolveState, VersionState
from venues.facility_list import parse_facility_list
from venues.places import import_places
from venues.services import import_facility_list, registry_points

DEMO_DIR = ROOT / "data" / "kanazawa"
FACILITY_FILES = ("public_facilities.csv", "commercial_venues.csv")
DEMO_USERS = (
    ("staff", Role.contractor_staff, "受託者 担当者"),
    ("lead", Role.contractor_lead, "受託者 責任者"),
    ("reviewer", Role.city_reviewer, "金沢市 審査担当"),
    ("admin", Role.admin, "システム管理者"),
)


@dataclass(frozen=True)
class Login:
    """A staff login the demo created (printed once; a new password on every run)."""

    username: str
    password: str
    role: str


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: each facility file's importable rows, the logins, and the plan in a sentence or two."""

    imported: tuple[tuple[str, int, int], ...]  # (file name, importable rows, rows)
    logins: tuple[Login, ...]
    summary: str


async def import_facilities(path: Path) -> tuple[int, int]:
    """Import one facility list as a whole (a file with errors imports nothing); (importable rows, rows)."""
    result = parse_facility_list(path.read_bytes(), kind_overrides={}, reference_points=await registry_points())
    if result.has_errors:
        raise ValidationFailed(_("The demo file {name} could not be imported.").format(name=path.name))
    await import_facility_list(None, result, source_name=path.name)
    return len(result.records), result.total_rows


async def reset_logins() -> tuple[Login, ...]:
    """One account per role with a fresh password (created on the first run)."""
    logins = []
    for username, role, display_name in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        if await find_actor(username) is not None:
            await set_password(username, password)
        else:
            await create_user(username, password, role, display_name=display_name, email=f"{username}@example.jp")
        logins.append(Login(username, password, role_label(role)))
    return tuple(logins)


async def approve_latest(plan_id: int, lead: Actor, reviewer: Actor) -> int:
    """Submit (as the lead) and approve (as the reviewer) the plan's newest solved version, if it is not yet
    approved; returns how many booths it published (0 when nothing was to do)."""
    version = await plans.latest_version(plan_id)
    if version.solve_state != SolveState.done:
        return 0
    if version.state == VersionState.draft:
        await workflow.submit(lead, version.id)
        version = await plans.get_version(version.id)
    if version.state != VersionState.submitted:
        return 0
    await workflow.approve(reviewer, version.id, version.revision, _("Approved for the demo."))
    return await plans.published_count(version.id)


async def load_demo(today: dt.date, data_dir: Path = DEMO_DIR) -> DemoResult:
    """Import the Kanazawa data, (re)create the staff accounts, plan the fiscal year after ``today``'s (kept if it
    was planned before), and approve and publish it. The database must be migrated."""
    imported = []
    for name in FACILITY_FILES:
        imported.append((name, *await import_facilities(data_dir / name)))
    points, _notes = read_demand((data_dir / "town_points.csv").read_bytes())
    await replace_demand(points)
    await import_places(data_dir / "town_points.csv")
    await replace_seasonality(read_seasonality((data_dir / "window_stats_2024.csv").read_bytes()))
    logins = await reset_logins()
    lead, reviewer = await find_actor("lead"), await find_actor("reviewer")
    assert lead is not None and reviewer is not None  # reset_logins made them
    start, end = fiscal_year_period(fiscal_year(today) + 1)
    plan_id = await plans.plan_for_period(start, end)
    if plan_id is not None:
        summary = _("The plan for {start} – {end} already exists (plan {id}).").format(
            start=start.isoformat(), end=end.isoformat(), id=plan_id
        )
    else:
        title = _("Implementation plan FY{year}").format(year=start.year)
        version_id = await plans.create_plan(lead, title, Parameters(start=start, end=end))
        result = await plans.run_solve(version_id, actor=lead)
        summary = _("{title}: {status}, {n} sessions, reach {objective:.1f} in {seconds:.1f} s.").format(
            title=title,
            status=result.status,
            n=len(result.sessions),
            objective=result.objective,
            seconds=result.solve_seconds,
        )
        plan_id = (await plans.get_version(version_id)).plan
    published = await approve_latest(plan_id, lead, reviewer)
    if published:
        summary += "\n" + _("Approved and published: {n} booths are open for booking.").format(n=published)
    return DemoResult(tuple(imported), logins, summary)
