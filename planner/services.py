"""Plan workflows (実施計画): create, solve with progress, edit sessions under the model's rules, re-plan."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from core import clock
from core.audit import record_event
from core.calendar import DayType, day_type, is_open_on, is_year_end_closure, month_key
from core.db import is_sqlite, write_transaction
from core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from core.i18n import N_
from core.i18n import gettext as _
from core.users import Actor
from planner.explain import describe_sessions
from planner.instance import Instance, monthly_quotas, prepare, session_window, window_on
from planner.jobs import queue_solve
from planner.milp import Progress
from planner.model import (
    ApplicationPoint,
    Candidate,
    DemandPoint,
    LockedSession,
    Parameters,
    PlanInput,
    PlannedSession,
    PlanResult,
    PreviousSession,
    Shortage,
)
from planner.reach import evaluate_reach
from planner.schemas import CandidateVenue, MonthSummary, PlanSummary, PlanVersionDetail, SessionDetail
from planner.solve import solve
from planner.tables import DemandPoint as DemandPointRow
from planner.tables import Plan, PlanVersion, Seasonality, Session, SessionState, SolveState, VersionState
from planner.yields import planner_factors
from venues.facility_list import CANDIDATE_KINDS, PERMANENT_KINDS
from venues.opening_rules import open_windows
from venues.reading import gojuon_key
from venues.tables import BlackoutDate, Venue

EDITABLE_STATES = (VersionState.draft,)
PARAMETER_FIELDS = (
    "weekday_per_month",
    "holiday_per_month",
    "teams",
    "min_gap_days",
    "time_limit_seconds",
    "base_rate_per_hour",
)


def _json(value: Any) -> Any:
    """Piccolo returns JSON columns as text on select."""
    return json.loads(value) if isinstance(value, str) else value


def parameters_from_row(
    version: PlanVersionDetail,
    seasonality: dict[int, float] | None = None,
    learned: tuple[dict[str, float], dict[str, float]] | None = None,
) -> Parameters:
    """The model's parameters from a stored version (with ``learned``: the learned yields of planner.yields)."""
    stored = version.parameters
    values = {name: stored[name] for name in PARAMETER_FIELDS if name in stored}
    kind_day, venues = learned or ({}, {})
    return Parameters(
        start=dt.date.fromisoformat(stored["start"]),
        end=dt.date.fromisoformat(stored["end"]),
        month_overrides=stored.get("month_overrides", {}),
        seasonality=seasonality or {},
        kind_day_factors=kind_day,
        venue_factors=venues,
        **values,
    )


def parameters_to_json(parameters: Parameters) -> dict[str, Any]:
    return {
        "start": parameters.start.isoformat(),
        "end": parameters.end.isoformat(),
        "month_overrides": {k: dict(v) for k, v in parameters.month_overrides.items()},
        **{name: getattr(parameters, name) for name in PARAMETER_FIELDS},
    }


def parameter_errors(
    start: dt.date | None, end: dt.date | None, numbers: Mapping[str, float | None], title: str | None = None
) -> dict[str, str]:
    """Every rule a plan's parameters break, one message per field (a value given as None is not checked), so that a
    form can show all its mistakes at once."""
    errors: dict[str, str] = {}
    if title is not None and not title.strip():
        errors["title"] = _("Enter a title.")
    if start is not None and end is not None:
        if end < start:
            errors["end"] = _("The end date is before the start date.")
        elif (end - start).days > 3 * 366:
            errors["end"] = _("Plan at most three years at a time.")
    ranges = {
        "weekday_per_month": (0, 62, _("Enter a number from 0 to 62.")),
        "holiday_per_month": (0, 62, _("Enter a number from 0 to 62.")),
        "teams": (1, 20, _("Enter a number from 1 to 20.")),
        "min_gap_days": (1, 365, _("Enter a number of days from 1 to 365.")),
        "time_limit_seconds": (1, 3600, _("Enter a number of seconds from 1 to 3600.")),
    }
    for name, (least, most, message) in ranges.items():
        value = numbers.get(name)
        if value is not None and not least <= value <= most:
            errors[name] = message
    return errors


def validate_parameters(parameters: Parameters) -> None:
    errors = parameter_errors(
        parameters.start, parameters.end, {name: getattr(parameters, name) for name in PARAMETER_RANGES}
    )
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), errors)


PARAMETER_RANGES = ("weekday_per_month", "holiday_per_month", "teams", "min_gap_days", "time_limit_seconds")


async def seasonality() -> dict[int, float]:
    return {row["month"]: row["factor"] for row in await Seasonality.select()}


async def plan_input(parameters: Parameters, locked: Iterable[LockedSession] = ()) -> PlanInput:
    """The model's input from the registry: active candidate venues (with blackout dates and caps), the active
    permanent application points and the demand points."""
    # In the order they were added, on every database: PostgreSQL returns rows in the order they sit on disk, which an
    # update changes, and the solver breaks ties between equally good plans by the order of its input.
    venues = await Venue.select().where(Venue.active == True).order_by(Venue.id)
    blackouts: dict[int, set[dt.date]] = defaultdict(set)
    for row in await BlackoutDate.select(BlackoutDate.venue, BlackoutDate.date):
        blackouts[row["venue"]].add(row["date"])
    candidates = tuple(
        Candidate(
            venue_id=v["venue_id"],
            name=v["name"],
            kind=v["kind"],
            lat=v["lat"],
            lon=v["lon"],
            address=v["address"],
            open_days=v["open_days"],
            open_from=v["open_from"],
            open_until=v["open_until"],
            opening_hours=v["opening_hours"],
            hours_unread="" if v["hours_confirmed"] else v["hours_unread"],
            blackout=frozenset(blackouts.get(v["id"], ())),
            cap=v["session_cap"],
        )
        for v in venues
        if v["kind"] in CANDIDATE_KINDS
    )
    points = tuple(
        ApplicationPoint(v["venue_id"], v["name"], v["lat"], v["lon"]) for v in venues if v["kind"] in PERMANENT_KINDS
    )
    demand = tuple(
        DemandPoint(r["lat"], r["lon"], r["weight"], r["name"])
        for r in await DemandPointRow.select().order_by(DemandPointRow.id)
    )
    return PlanInput(candidates, points, demand, parameters, tuple(locked))


STALE_AFTER_SECONDS = 120.0


def _version(row: dict[str, Any]) -> PlanVersionDetail:
    """A version row (its JSON columns decoded) as the read model."""
    return PlanVersionDetail(
        id=row["id"],
        plan=row["plan"],
        number=row["number"],
        state=VersionState(row["state"]),
        solve_state=SolveState(row["solve_state"]),
        revision=row["revision"],
        parameters=row["parameters"] or {},
        progress=row["progress"] or {},
        status=row["status"],
        objective=row["objective"],
        bound=row["bound"],
        gap=row["gap"],
        solve_seconds=row["solve_seconds"],
        shortages=tuple(
            Shortage(s["month"], DayType(s["day_type"]), s["asked"], s["possible"], s["open_dates"], s["message"])
            for s in row["shortages"] or []
        ),
        notes=tuple(row["notes"] or []),
        error=row["error"],
        based_on=row["based_on"],
        review_comment=row["review_comment"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        submitted_by=row["submitted_by"],
        submitted_at=row["submitted_at"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        replan=row.get("replan") or {},
    )


async def get_version(version_id: int) -> PlanVersionDetail:
    """A version; one whose solver stopped reporting while running (its runner died) reads as failed."""
    row = await PlanVersion.select().where(PlanVersion.id == version_id).first()
    if row is None:
        raise NotFound(_("That plan version was not found."))
    for key in ("parameters", "progress", "shortages", "notes", "replan"):
        row[key] = _json(row[key])
    heartbeat = (row["progress"] or {}).get("heartbeat")
    if row["solve_state"] == SolveState.running.value and (
        heartbeat is None or time.time() - heartbeat > STALE_AFTER_SECONDS
    ):
        # The solver stopped reporting: its runner died (a failed solve is recorded by the job). Shown as failed, so
        # that staff re-plan; reading writes nothing.
        row["solve_state"] = SolveState.failed.value
        row["error"] = _("The planner stopped without finishing; start it again with Re-plan.")
    return _version(row)


async def latest_version(plan_id: int) -> PlanVersionDetail:
    """The newest version of a plan."""
    row = (
        await PlanVersion.select(PlanVersion.id)
        .where(PlanVersion.plan == plan_id)
        .order_by(PlanVersion.number, ascending=False)
        .first()
    )
    if row is None:
        raise NotFound(_("That plan was not found."))
    return await get_version(row["id"])


def _plan(row: dict[str, Any]) -> PlanSummary:
    return PlanSummary(
        id=row["id"],
        title=row["title"],
        start=row["start"],
        end=row["end"],
        created_by=row["created_by"],
        created_at=row["created_at"],
    )


async def list_plans() -> list[PlanSummary]:
    """Every plan, the latest period first."""
    return [_plan(row) for row in await Plan.select().order_by(Plan.start, ascending=False)]


async def get_plan(plan_id: int) -> PlanSummary:
    """One plan (実施計画)."""
    row = await Plan.select().where(Plan.id == plan_id).first()
    if row is None:
        raise NotFound(_("That plan was not found."))
    return _plan(row)


async def previous_version(version: PlanVersionDetail) -> PlanVersionDetail | None:
    """The version of the same plan numbered just before this one, if any (what a map compares with)."""
    row = (
        await PlanVersion.select(PlanVersion.id)
        .where((PlanVersion.plan == version.plan) & (PlanVersion.number < version.number))
        .order_by(PlanVersion.number, ascending=False)
        .first()
    )
    return await get_version(row["id"]) if row else None


async def candidate_venues(parameters: Parameters | None = None) -> list[CandidateVenue]:
    """The active venues of the booth kinds, in 50音 order of their reading (the choices of the session forms); with
    a plan's ``parameters``, those its rules leave out say why (they are listed apart, not offered)."""
    rows = await Venue.select(
        Venue.venue_id,
        Venue.name,
        Venue.name_kana,
        Venue.kind,
        Venue.lat,
        Venue.lon,
        Venue.open_days,
        Venue.open_from,
        Venue.open_until,
        Venue.opening_hours,
        Venue.hours_unread,
        Venue.hours_confirmed,
    ).where((Venue.active == True) & Venue.kind.is_in(list(CANDIDATE_KINDS)))
    rows.sort(key=lambda row: gojuon_key(row["name_kana"], row["name"]))
    venues = []
    for row in rows:
        unsuitable = ""
        if parameters is not None:
            if row["hours_unread"] and not row["hours_confirmed"]:
                unsuitable = _("opening rules not confirmed")
            elif not row["open_days"]:
                unsuitable = _("opening days not known")
            elif not (row["open_from"] and row["open_until"]):
                unsuitable = _("opening hours not known")
            else:
                candidate = Candidate(
                    row["venue_id"],
                    row["name"],
                    row["kind"],
                    row["lat"],
                    row["lon"],
                    open_days=row["open_days"],
                    open_from=row["open_from"],
                    open_until=row["open_until"],
                    opening_hours=row["opening_hours"],
                )
                if session_window(candidate, parameters) is None:
                    unsuitable = _("open less than {hours:g} hours in the booth window").format(
                        hours=parameters.min_hours
                    )
        venues.append(CandidateVenue(row["venue_id"], row["name"], row["kind"], unsuitable))
    return venues


async def create_plan(actor: Actor, title: str, parameters: Parameters) -> int:
    """A new plan with its first (draft) version, queued for solving; returns the version id."""
    validate_parameters(parameters)
    if not title.strip():
        raise ValidationFailed(_("Please correct the highlighted fields."), {"title": _("Enter a title.")})
    async with write_transaction():
        plan = Plan(title=title.strip(), start=parameters.start, end=parameters.end, created_by=actor.id)
        await plan.save()
        version = PlanVersion(
            plan=plan.id,
            number=1,
            parameters=parameters_to_json(parameters),
            solve_state=SolveState.queued.value,
            progress={"heartbeat": time.time()},
            created_by=actor.id,
        )
        await version.save()
        await record_event(
            actor, "plan.created", "plan", plan.id, title.strip(), {"version": {"after": 1}}, scope=plan_scope(plan.id)
        )
        await queue_solve(version.id)  # a job only if the plan is saved
    return version.id


async def _locked_sessions(version_id: int) -> list[LockedSession]:
    rows = await Session.select(Session.venue.venue_id, Session.date).where(
        (Session.version == version_id) & (Session.locked == True)
    )
    return [LockedSession(row["venue.venue_id"], row["date"]) for row in rows]


async def previous_sessions(version: PlanVersionDetail) -> list[PreviousSession]:
    """What a re-plan of this version keeps the most of: the sessions it holds now (the previous version's, carried
    into this draft with the staff's edits), or, when it holds none, those of the version it was made from."""
    for version_id in (version.id, version.based_on):
        if version_id is None:
            continue
        rows = await Session.select(Session.venue.venue_id, Session.date).where(
            (Session.version == version_id) & (Session.state != SessionState.cancelled.value)
        )
        if rows:
            return [PreviousSession(row["venue.venue_id"], row["date"]) for row in rows]
    return []


async def run_solve(version_id: int, *, actor: Actor | None = None, progress_interval: float = 0.5) -> PlanResult:
    """Solve a version (keeping its locked sessions and, when it had a plan, as many of its sessions as plans of
    enough reach allow), reporting progress in the version row, and store the plan."""
    version = await get_version(version_id)
    parameters = parameters_from_row(version, await seasonality(), await planner_factors())
    model_input = dataclasses.replace(
        await plan_input(parameters, await _locked_sessions(version_id)),
        previous=tuple(await previous_sessions(version)),
        max_reach_loss=float(version.replan.get("max_reach_loss", 0.0)) / 100.0,
    )
    await PlanVersion.update(
        {
            PlanVersion.solve_state: SolveState.running.value,
            PlanVersion.error: "",
            PlanVersion.progress: {"seconds": 0, "stage": "preparing", "heartbeat": time.time()},
        }
    ).where(PlanVersion.id == version_id)
    latest: dict[str, Any] = {}

    def on_progress(progress: Progress) -> None:  # called from the solver's thread
        latest.update(
            seconds=round(progress.seconds, 2),
            stage=progress.stage,
            incumbent=progress.incumbent,
            bound=progress.bound if progress.bound and progress.bound < 1e300 else None,
        )

    task = asyncio.get_running_loop().run_in_executor(None, lambda: solve(model_input, on_progress=on_progress))
    began = time.perf_counter()
    try:
        while not task.done():
            await asyncio.sleep(progress_interval)
            await PlanVersion.update(
                {
                    PlanVersion.progress: {
                        **latest,
                        "heartbeat": time.time(),
                        "elapsed": round(time.perf_counter() - began, 1),
                    }
                }
            ).where(PlanVersion.id == version_id)
        result = await task
    except Exception as exc:  # the job must record why it failed, then re-raise
        await PlanVersion.update(
            {PlanVersion.solve_state: SolveState.failed.value, PlanVersion.error: str(exc)[:2000]}
        ).where(PlanVersion.id == version_id)
        raise
    await store_result(version_id, result, actor)
    return result


def replan_outcome(result: PlanResult) -> dict[str, Any]:
    """What a re-plan kept and changed and the reach it gave up (percent) for the plan page; {} for a plain solve."""
    if result.kept is None:
        return {}
    return {
        "max_reach_loss": round(100 * result.max_reach_loss, 6),
        "kept": result.kept,
        "changed": result.changed,
        "previous": (result.kept or 0) + (result.changed or 0),
        "reach_loss": round(100 * result.reach_loss, 6),
        "optimum": result.reach_optimum,
    }


async def store_result(version_id: int, result: PlanResult, actor: Actor | None) -> None:
    """Replace the version's sessions by the result's and record the solver's figures."""
    ids = {row["venue_id"]: row["id"] for row in await Venue.select(Venue.id, Venue.venue_id)}
    async with write_transaction():
        # A session the plan keeps (same venue and date) keeps the booth it continues and the city's comment.
        kept = {
            (row["venue"], row["date"]): row
            for row in await Session.select(
                Session.venue, Session.date, Session.origin, Session.reviewer_comment
            ).where(Session.version == version_id)
        }
        await Session.delete().where(Session.version == version_id)
        if result.sessions:
            await Session.insert(
                *[
                    Session(
                        version=version_id,
                        venue=ids[s.venue_id],
                        date=s.date,
                        start=s.start,
                        end=s.end,
                        day_type=s.day_type.value,
                        staff=s.staff,
                        expected_applicants=s.expected_applicants,
                        reason=s.reason,
                        locked=s.locked,
                        origin=kept.get((ids[s.venue_id], s.date), {}).get("origin"),
                        reviewer_comment=kept.get((ids[s.venue_id], s.date), {}).get("reviewer_comment", ""),
                    )
                    for s in result.sessions
                ]
            )
        await PlanVersion.update(
            {
                PlanVersion.solve_state: SolveState.done.value,
                PlanVersion.status: result.status,
                PlanVersion.objective: result.objective,
                PlanVersion.bound: result.bound,
                PlanVersion.gap: result.gap if result.gap != float("inf") else None,
                PlanVersion.solve_seconds: result.solve_seconds,
                PlanVersion.shortages: [s.as_json() for s in result.shortages],
                PlanVersion.notes: result.notes,
                PlanVersion.progress: {},
                PlanVersion.replan: replan_outcome(result),
                PlanVersion.updated_at: clock.now(),
            }
        ).where(PlanVersion.id == version_id)
        plan = await PlanVersion.select(PlanVersion.plan).where(PlanVersion.id == version_id).first()
        await record_event(
            actor,
            "plan.solved",
            "plan_version",
            version_id,
            "",
            {"sessions": {"after": len(result.sessions)}, "reach": {"after": round(result.objective, 1)}},
            scope=plan_scope(plan["plan"]),
        )


_SESSION_COLUMNS = (
    *Session.all_columns(),
    Session.venue.venue_id,
    Session.venue.name,
    Session.venue.kind,
    Session.venue.address,
    Session.venue.lat,
    Session.venue.lon,
    Session.version.plan,
)


def _session_detail(row: dict[str, Any]) -> SessionDetail:
    return SessionDetail(
        id=row["id"],
        version=row["version"],
        plan=row["version.plan"],
        venue=row["venue"],
        venue_id=row["venue.venue_id"],
        venue_name=row["venue.name"],
        venue_kind=row["venue.kind"],
        venue_address=row["venue.address"],
        venue_lat=row["venue.lat"],
        venue_lon=row["venue.lon"],
        date=row["date"],
        start=row["start"],
        end=row["end"],
        day_type=DayType(row["day_type"]),
        staff=row["staff"],
        expected_applicants=row["expected_applicants"],
        reason=row["reason"],
        locked=row["locked"],
        reviewer_comment=row["reviewer_comment"],
        state=SessionState(row["state"]),
        origin=row["origin"],
    )


async def sessions_of(version_id: int) -> list[SessionDetail]:
    """The version's sessions with their venue, by date."""
    rows = (
        await Session.select(*_SESSION_COLUMNS)
        .where(Session.version == version_id)
        .order_by(Session.date)
        .order_by(Session.id)
    )
    return [_session_detail(row) for row in rows]


async def version_numbers(version_ids: Iterable[int]) -> dict[int, int]:
    """The numbers people see (版 1, 版 2, ...) of versions, by their ids."""
    ids = sorted(set(version_ids))
    if not ids:
        return {}
    rows = await PlanVersion.select(PlanVersion.id, PlanVersion.number).where(PlanVersion.id.is_in(ids))
    return {row["id"]: row["number"] for row in rows}


async def lock_version(version_id: int) -> None:
    """Lock a version's row until the write transaction ends, so that a state read after this stays true until the
    change is written (PostgreSQL, ``SELECT ... FOR UPDATE``); SQLite's write transaction already runs alone."""
    if not is_sqlite():
        await PlanVersion.select(PlanVersion.id).where(PlanVersion.id == version_id).lock_rows("UPDATE")


async def lock_plan(plan_id: int) -> None:
    """Lock a plan's row until the write transaction ends (one new version of a plan at a time)."""
    if not is_sqlite():
        await Plan.select(Plan.id).where(Plan.id == plan_id).lock_rows("UPDATE")


async def _editable(version_id: int) -> PlanVersionDetail:
    """The version as it is now, if it may be edited: a draft the planner is not working on. Call it inside the write
    transaction that makes the edit (CONVENTIONS 11): the version stays locked until the edit is written."""
    await lock_version(version_id)
    version = await get_version(version_id)
    if version.state not in EDITABLE_STATES:
        raise InvalidTransition(
            _("This version is {state}; only a draft can be edited.").format(state=version_state_text(version.state))
        )
    if version.solving:
        raise Conflict(_("The planner is still working on this version; wait until it has finished."))
    return version


STATE_TEXT = {
    VersionState.draft: N_("draft"),
    VersionState.submitted: N_("submitted"),
    VersionState.approved: N_("approved"),
    VersionState.returned: N_("returned"),
}


def version_state_text(state: VersionState) -> str:
    """The translated name of a version's state (下書き, 提出済み, ...)."""
    return _(STATE_TEXT[state])


def plan_scope(plan_id: int) -> str:
    """The audit scope of a plan: its events and those of its versions and sessions."""
    return f"plan:{plan_id}"


async def check_session(
    version: PlanVersionDetail, venue_id: str, date: dt.date, ignore_session: int | None = None
) -> tuple[dict[str, Any], tuple[dt.time, dt.time]]:
    """Every rule of the model for one session; raises ValidationFailed naming the first one broken."""
    parameters = parameters_from_row(version)
    venue = await Venue.select().where(Venue.venue_id == venue_id).first()

    def refuse(message: str) -> None:
        raise ValidationFailed(message, {"session": message})

    if venue is None:
        refuse(_("Venue {venue_id} was not found.").format(venue_id=venue_id))
    if venue["kind"] not in CANDIDATE_KINDS or not venue["active"]:
        refuse(
            _("{venue} cannot host booths (permanent application point or deactivated).").format(venue=venue["name"])
        )
    if not parameters.start <= date <= parameters.end:
        refuse(_("{date} is outside the plan's period.").format(date=date.isoformat()))
    if is_year_end_closure(date):
        refuse(_("{date} is in the year-end closure (12/29–1/3).").format(date=date.isoformat()))
    if await BlackoutDate.exists().where((BlackoutDate.venue == venue["id"]) & (BlackoutDate.date == date)):
        refuse(_("{date} is a blackout date of {venue}.").format(date=date.isoformat(), venue=venue["name"]))
    if venue["hours_unread"] and not venue["hours_confirmed"]:
        refuse(
            _("{venue}'s opening rules have not been confirmed (a note could not be read): 「{clause}」.").format(
                venue=venue["name"], clause=venue["hours_unread"].replace("\n", "、")
            )
        )
    candidate = Candidate(
        venue["venue_id"],
        venue["name"],
        venue["kind"],
        venue["lat"],
        venue["lon"],
        open_days=venue["open_days"],
        open_from=venue["open_from"],
        open_until=venue["open_until"],
        opening_hours=venue["opening_hours"],
    )
    if not candidate.opening_hours and (not venue["open_days"] or not is_open_on(venue["open_days"], date)):
        refuse(
            _("{venue} is closed on {date} (open: {days}).").format(
                venue=venue["name"], date=date.isoformat(), days=venue["open_days"] or "?"
            )
        )
    window = window_on(candidate, parameters, date)
    if window is None and candidate.opening_hours:
        hours = open_windows(candidate.opening_hours, date, date).get(date, [])
        refuse(
            _("{venue} is open {hours} on {date}, less than {min:g} hours inside the booth window.").format(
                venue=venue["name"],
                date=date.isoformat(),
                hours=_(", ").join(f"{a:%H:%M}–{b:%H:%M}" for a, b in hours) or _("not at all"),
                min=parameters.min_hours,
            )
        )
    if window is None:
        refuse(
            _("{venue}'s opening hours overlap the booth window by less than {hours:g} hours.").format(
                venue=venue["name"], hours=parameters.min_hours
            )
        )
    others = [
        s
        for s in await Session.select(Session.id, Session.venue, Session.date).where(Session.version == version.id)
        if s["id"] != ignore_session
    ]
    if sum(1 for s in others if s["date"] == date) >= parameters.teams:
        refuse(
            _("{date} already has {teams} session(s), as many as there are teams.").format(
                date=date.isoformat(), teams=parameters.teams
            )
        )
    for other in others:
        if other["venue"] == venue["id"] and abs((other["date"] - date).days) < parameters.min_gap_days:
            refuse(
                _("{venue} already has a session on {other}, less than {gap} days away.").format(
                    venue=venue["name"], other=other["date"].isoformat(), gap=parameters.min_gap_days
                )
            )
    cap = venue["session_cap"]
    if cap is not None and sum(1 for s in others if s["venue"] == venue["id"]) >= cap:
        refuse(_("{venue} is capped at {cap} sessions.").format(venue=venue["name"], cap=cap))
    return venue, window


async def stored_plan(
    version: PlanVersionDetail, rows: list[SessionDetail] | None = None
) -> tuple[Instance, dict[int, list[dt.date]]]:
    """The model's instance for a stored version and its sessions as the model sees them (venue index → dates)."""
    rows = rows if rows is not None else await sessions_of(version.id)
    parameters = parameters_from_row(version, await seasonality(), await planner_factors())
    instance = prepare(await plan_input(parameters, [LockedSession(r.venue_id, r.date) for r in rows if r.locked]))
    index_of = {v.candidate.venue_id: i for i, v in enumerate(instance.venues)}
    chosen: dict[int, list[dt.date]] = defaultdict(list)
    for row in rows:
        if row.venue_id in index_of:
            chosen[index_of[row.venue_id]].append(row.date)
    return instance, chosen


async def refresh(version_id: int) -> None:
    """Recompute reasons, expected applicants and the reach of a version after an edit (the bound stays: it holds
    for every plan with these parameters)."""
    version = await get_version(version_id)
    rows = await sessions_of(version_id)
    instance, chosen = await stored_plan(version, rows)
    described = {(s.venue_id, s.date): s for s in describe_sessions(instance, chosen)}
    objective = evaluate_reach(instance, chosen)
    bound = max(version.bound or objective, objective)
    async with write_transaction():
        for row in rows:
            session = described.get((row.venue_id, row.date))
            if session:
                await Session.update(
                    {Session.reason: session.reason, Session.expected_applicants: session.expected_applicants}
                ).where(Session.id == row.id)
        await PlanVersion.update(
            {
                PlanVersion.objective: objective,
                PlanVersion.bound: bound,
                PlanVersion.gap: (bound - objective) / objective if objective > 0 else None,
                PlanVersion.status: "optimal" if bound - objective <= 1e-6 * max(1.0, bound) else "feasible",
                PlanVersion.updated_at: clock.now(),
            }
        ).where(PlanVersion.id == version_id)


async def set_locked(actor: Actor, session_id: int, locked: bool) -> None:
    """Lock a session (re-planning keeps it as it is) or unlock it."""
    async with write_transaction():
        session = await session_detail(session_id)
        await _editable(session.version)
        await Session.update({Session.locked: locked}).where(Session.id == session_id)
        await record_event(
            actor,
            "session.locked" if locked else "session.unlocked",
            "session",
            session_id,
            f"{session.venue_name} {session.date.isoformat()}",
            {"locked": {"before": session.locked, "after": locked}},
            scope=plan_scope(session.plan),
        )


async def move_session(actor: Actor, session_id: int, new_date: dt.date) -> None:
    """Move a session to another date at the same venue."""
    async with write_transaction():
        session = await session_detail(session_id)
        version = await _editable(session.version)
        _venue, window = await check_session(version, session.venue_id, new_date, ignore_session=session_id)
        await Session.update(
            {
                Session.date: new_date,
                Session.day_type: day_type(new_date).value,
                Session.start: window[0],
                Session.end: window[1],
            }
        ).where(Session.id == session_id)
        await record_event(
            actor,
            "session.moved",
            "session",
            session_id,
            session.venue_name,
            {"date": {"before": session.date.isoformat(), "after": new_date.isoformat()}},
            scope=plan_scope(session.plan),
        )
    await refresh(version.id)


async def swap_venue(actor: Actor, session_id: int, venue_id: str) -> None:
    """Hold a session at another venue on the same date."""
    async with write_transaction():
        session = await session_detail(session_id)
        version = await _editable(session.version)
        venue, window = await check_session(version, venue_id, session.date, ignore_session=session_id)
        await Session.update({Session.venue: venue["id"], Session.start: window[0], Session.end: window[1]}).where(
            Session.id == session_id
        )
        await record_event(
            actor,
            "session.venue_swapped",
            "session",
            session_id,
            session.date.isoformat(),
            {
                "venue": {"before": session.venue_name, "after": venue["name"]},
                "venue_id": {"before": session.venue_id, "after": venue_id},
            },
            scope=plan_scope(session.plan),
        )
    await refresh(version.id)


async def remove_session(actor: Actor, session_id: int) -> None:
    """Take a session out of a draft."""
    async with write_transaction():
        session = await session_detail(session_id)
        version = await _editable(session.version)
        await Session.delete().where(Session.id == session_id)
        await record_event(
            actor,
            "session.removed",
            "session",
            session_id,
            f"{session.venue_name} {session.date.isoformat()}",
            {"venue": {"before": session.venue_name}, "date": {"before": session.date.isoformat()}},
            scope=plan_scope(session.plan),
        )
    await refresh(version.id)


async def add_session(actor: Actor, version_id: int, venue_id: str, date: dt.date) -> int:
    """Add a session to a draft, checked against every rule of the model and locked."""
    async with write_transaction():
        version = await _editable(version_id)
        venue, window = await check_session(version, venue_id, date)
        session = Session(
            version=version_id,
            venue=venue["id"],
            date=date,
            start=window[0],
            end=window[1],
            day_type=day_type(date).value,
            staff=parameters_from_row(version).staff_per_session,
            locked=True,
        )
        await session.save()
        await record_event(
            actor,
            "session.added",
            "session",
            session.id,
            f"{venue['name']} {date.isoformat()}",
            {"venue": {"after": venue["name"]}, "date": {"after": date.isoformat()}},
            scope=plan_scope(version.plan),
        )
    await refresh(version_id)
    return session.id


MAX_REACH_LOSS_PERCENT = 10.0


def check_reach_loss(max_reach_loss: float) -> None:
    """ValidationFailed unless ``max_reach_loss`` is a percentage staff may allow (0 to MAX_REACH_LOSS_PERCENT)."""
    if not 0.0 <= max_reach_loss <= MAX_REACH_LOSS_PERCENT:
        message = _("Enter a percentage from 0 to {most:g}.").format(most=MAX_REACH_LOSS_PERCENT)
        raise ValidationFailed(message, {"max_reach_loss": message})


async def request_replan(actor: Actor, version_id: int, max_reach_loss: float = 0.0) -> None:
    """Queue a re-plan: locked sessions stay, and among the plans of optimal reach (or within ``max_reach_loss``
    percent of it, as staff allow) the one that keeps the most of the version's sessions is chosen."""
    check_reach_loss(max_reach_loss)
    async with write_transaction():
        version = await _editable(version_id)
        await PlanVersion.update(
            {
                PlanVersion.solve_state: SolveState.queued.value,
                PlanVersion.progress: {"heartbeat": time.time()},
                PlanVersion.replan: {"max_reach_loss": max_reach_loss},
            }
        ).where(PlanVersion.id == version_id)
        await record_event(
            actor,
            "plan.replan_requested",
            "plan_version",
            version_id,
            scope=plan_scope(version.plan),
            changes={"max_reach_loss": {"after": max_reach_loss}} if max_reach_loss else None,
        )
        await queue_solve(version_id)


def month_summary(version: PlanVersionDetail, sessions: list[SessionDetail]) -> list[MonthSummary]:
    """Per month: weekday and holiday sessions against the quotas, and expected applicants."""
    parameters = parameters_from_row(version)
    months, quotas, _dates = monthly_quotas(parameters)
    summary = []
    for month in months:
        in_month = [s for s in sessions if month_key(s.date) == month]
        weekday = sum(1 for s in in_month if s.day_type == DayType.weekday)
        summary.append(
            MonthSummary(
                month=month,
                weekday=weekday,
                holiday=len(in_month) - weekday,
                weekday_quota=quotas[(month, DayType.weekday)],
                holiday_quota=quotas[(month, DayType.holiday)],
                expected=sum(s.expected_applicants for s in in_month),
            )
        )
    return summary


async def session_detail(session_id: int) -> SessionDetail:
    """A session with its venue and its plan."""
    row = await Session.select(*_SESSION_COLUMNS).where(Session.id == session_id).first()
    if row is None:
        raise NotFound(_("That session was not found."))
    return _session_detail(row)


async def demand_points() -> list[tuple[float, float, str]]:
    """The demand points as (lat, lon, town name): the geography of the 実施計画書's map."""
    rows = await DemandPointRow.select(DemandPointRow.lat, DemandPointRow.lon, DemandPointRow.name)
    return [(r["lat"], r["lon"], r["name"]) for r in rows]


async def result_of(version: PlanVersionDetail) -> PlanResult:
    """A stored version as a PlanResult (for plan.json and the 実施計画書)."""
    parameters = parameters_from_row(version, await seasonality())
    months, quotas, _dates = monthly_quotas(parameters)
    sessions = [
        PlannedSession(
            date=s.date,
            day_type=s.day_type,
            venue_id=s.venue_id,
            venue_name=s.venue_name,
            lat=s.venue_lat,
            lon=s.venue_lon,
            start=s.start,
            end=s.end,
            expected_applicants=s.expected_applicants,
            reason=s.reason,
            locked=s.locked,
            venue_address=s.venue_address,
            venue_kind=s.venue_kind,
            staff=s.staff,
        )
        for s in await sessions_of(version.id)
    ]
    return PlanResult(
        status=version.status or "feasible",
        objective=version.objective or 0.0,
        bound=version.bound or 0.0,
        solve_seconds=version.solve_seconds or 0.0,
        parameters=parameters,
        sessions=sessions,
        quotas={m: {k.value: quotas[(m, k)] for k in (DayType.weekday, DayType.holiday)} for m in months},
        shortages=list(version.shortages),
        notes=list(version.notes),
        kept=version.replan.get("kept"),
        changed=version.replan.get("changed"),
        reach_optimum=version.replan.get("optimum"),
        max_reach_loss=float(version.replan.get("max_reach_loss", 0.0)) / 100.0,
    )


async def plan_for_period(start: dt.date, end: dt.date) -> int | None:
    """The id of the plan for exactly this period, if there is one."""
    row = await Plan.select(Plan.id).where((Plan.start == start) & (Plan.end == end)).first()
    return row["id"] if row else None


async def published_count(version_id: int) -> int:
    """How many of a version's sessions are published booths."""
    return await Session.count().where(
        (Session.version == version_id) & (Session.state == SessionState.published.value)
    )


async def fail_solve(version_id: int, error: str) -> None:
    """Record that a version's solve stopped without a plan (its job failed); a finished solve is left as it is."""
    await PlanVersion.update({PlanVersion.solve_state: SolveState.failed.value, PlanVersion.error: error[:2000]}).where(
        (PlanVersion.id == version_id)
        & PlanVersion.solve_state.is_in([SolveState.queued.value, SolveState.running.value])
    )


async def requeue_solve(version_id: int) -> None:
    """A running solve was stopped with its runner (its job goes back to the queue): the version waits again."""
    await PlanVersion.update({PlanVersion.solve_state: SolveState.queued.value}).where(
        (PlanVersion.id == version_id) & (PlanVersion.solve_state == SolveState.running.value)
    )
