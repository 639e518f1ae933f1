"""Stored plans: create and solve with progress, edits refused with the rule they break, re-plan keeps locks."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import pytest

from core.calendar import DayType
from core.errors import InvalidTransition, NotFound, ValidationFailed
from core.i18n import using_locale
from core.tables import AuditEvent, Role
from planner import services, workflow
from planner.tables import PlanVersion, Session, SolveState, VersionState
from tests.planner.factories import JUNE
from venues.tables import BlackoutDate


@pytest.fixture(autouse=True)
def english():
    """The refusals are matched in English below (they are Japanese by default)."""
    with using_locale("en"):
        yield


@pytest.fixture
async def staff(make_user):
    return await make_user(Role.contractor_staff)


async def solved_version(staff, parameters=JUNE) -> dict:
    version_id = await services.create_plan(staff, "2027年6月 実施計画", parameters)
    await services.run_solve(version_id, actor=staff, progress_interval=0.05)
    return await services.get_version(version_id)


async def test_create_and_solve_stores_an_optimal_plan_meeting_the_quotas(city, staff):
    version = await solved_version(staff)
    assert (version.solve_state, version.status) == (SolveState.done, "optimal")
    sessions = await services.sessions_of(version.id)
    assert sum(1 for s in sessions if s.day_type == DayType.weekday) == 3
    assert sum(1 for s in sessions if s.day_type == DayType.holiday) == 2
    assert all(s.reason and s.expected_applicants > 0 for s in sessions)
    assert version.objective == pytest.approx(version.bound, rel=1e-6)
    assert await AuditEvent.count().where(AuditEvent.action == "plan.solved") == 1


async def test_an_edit_that_breaks_a_rule_is_refused_with_the_reason(city, staff):
    version = await solved_version(staff)
    first, second = (await services.sessions_of(version.id))[:2]
    with pytest.raises(ValidationFailed, match="12/29|period"):
        await services.move_session(staff, first.id, dt.date(2027, 7, 15))
    await BlackoutDate.insert(BlackoutDate(venue=first.venue, date=dt.date(2027, 6, 20)))
    with pytest.raises(ValidationFailed, match="blackout"):
        await services.move_session(staff, first.id, dt.date(2027, 6, 20))
    with pytest.raises(ValidationFailed, match="teams"):
        await services.move_session(staff, first.id, second.date)
    with pytest.raises(ValidationFailed, match="cannot host"):
        await services.swap_venue(staff, first.id, "C0")
    unchanged = await Session.select(Session.date).where(Session.id == first.id).first()
    assert unchanged["date"] == first.date


async def test_moving_a_session_keeps_the_gap_at_its_venue(city, staff):
    version = await solved_version(staff)
    sessions = await services.sessions_of(version.id)
    taken = {s.date for s in sessions}
    session = sessions[0]
    free = [dt.date(2027, 6, d) for d in range(1, 31) if dt.date(2027, 6, d) not in taken]
    same_venue = [s for s in sessions if s.venue == session.venue and s.id != session.id]
    for date in free:
        too_close = any(abs((date - s.date).days) < JUNE.min_gap_days for s in same_venue)
        if too_close:
            with pytest.raises(ValidationFailed, match="days away"):
                await services.move_session(staff, session.id, date)
        else:
            await services.move_session(staff, session.id, date)
            moved = await Session.select(Session.date).where(Session.id == session.id).first()
            assert moved["date"] == date
            break


async def test_replan_keeps_locked_sessions_and_refills_the_rest(city, staff):
    version = await solved_version(staff)
    sessions = await services.sessions_of(version.id)
    keep = sessions[0]
    await services.set_locked(staff, keep.id, True)
    for other in sessions[1:]:
        await services.remove_session(staff, other.id)
    after_removal = await services.get_version(version.id)
    assert after_removal.status == "feasible" and after_removal.objective < version.objective
    await services.request_replan(staff, version.id)
    await services.run_solve(version.id, actor=staff, progress_interval=0.05)
    replanned = await services.sessions_of(version.id)
    assert len(replanned) == 5
    assert any(s.venue == keep.venue and s.date == keep.date and s.locked for s in replanned)
    assert (await services.get_version(version.id)).status == "optimal"


async def test_replan_after_a_venue_is_dropped_changes_only_its_sessions(city, staff):
    """Issue 16: the reviewer asks to drop a venue; the re-plan moves that venue's sessions and keeps the rest."""
    from venues.tables import Venue

    version = await solved_version(staff)
    before = await services.sessions_of(version.id)
    dropped = before[0].venue
    await Venue.update({Venue.active: False}).where(Venue.id == dropped)
    await services.request_replan(staff, version.id)
    await services.run_solve(version.id, actor=staff, progress_interval=0.05)

    after = await services.sessions_of(version.id)
    pairs_before = {(s.venue, s.date) for s in before}
    pairs_after = {(s.venue, s.date) for s in after}
    lost = {pair for pair in pairs_before if pair[0] == dropped}
    assert dropped not in {s.venue for s in after} and len(after) == len(before)
    assert pairs_before - lost <= pairs_after  # every other session stays on its venue and date
    replanned = await services.get_version(version.id)
    assert replanned.status == "optimal"
    assert replanned.replan["kept"] == len(pairs_before - lost)
    assert replanned.replan["changed"] == len(lost)
    assert replanned.replan["reach_loss"] == 0 and replanned.replan["max_reach_loss"] == 0
    plain = await services.run_solve(version.id, actor=staff)  # the same instance, now without a previous plan
    assert replanned.objective == pytest.approx(plain.objective, rel=1e-9)  # the optimum of the new instance


async def test_a_replan_may_give_up_only_the_reach_staff_allow(city, staff):
    version = await solved_version(staff)
    with pytest.raises(ValidationFailed, match="percentage from 0 to 10"):
        await services.request_replan(staff, version.id, 12.5)
    with pytest.raises(ValidationFailed):
        await services.request_replan(staff, version.id, -1)
    await services.request_replan(staff, version.id, 2.5)
    assert (await services.get_version(version.id)).replan == {"max_reach_loss": 2.5}
    await services.run_solve(version.id, actor=staff, progress_interval=0.05)
    replanned = await services.get_version(version.id)
    assert replanned.replan["max_reach_loss"] == 2.5 and 0 <= replanned.replan["reach_loss"] <= 2.5
    assert replanned.replan["kept"] == len(await services.sessions_of(version.id))  # nothing had to change
    event = await AuditEvent.select().where(AuditEvent.action == "plan.replan_requested").first()
    assert event is not None


async def test_add_session_is_checked_and_locked(city, staff):
    version = await solved_version(staff)
    sessions = await services.sessions_of(version.id)
    busy = sessions[0].date
    with pytest.raises(ValidationFailed):
        await services.add_session(staff, version.id, "H4", busy)
    free = next(
        dt.date(2027, 6, d)
        for d in range(1, 31)
        if dt.date(2027, 6, d) not in {s.date for s in sessions}
        and all(abs((dt.date(2027, 6, d) - s.date).days) >= 7 for s in sessions if s.venue_id == "H4")
    )
    session_id = await services.add_session(staff, version.id, "H4", free)
    added = await Session.select().where(Session.id == session_id).first()
    assert added["locked"] and added["reason"]


async def test_only_drafts_can_be_edited(city, staff):
    version = await solved_version(staff)
    await PlanVersion.update({PlanVersion.state: "submitted"}).where(PlanVersion.id == version.id)
    session = (await services.sessions_of(version.id))[0]
    with pytest.raises(InvalidTransition):
        await services.remove_session(staff, session.id)


async def test_result_of_a_stored_version_round_trips_to_plan_json(city, staff):
    version = await solved_version(staff)
    result = await services.result_of(version)
    data = result.as_json()
    assert data["status"] == "optimal" and len(data["sessions"]) == 5
    assert set(data["sessions"][0]) >= {
        "date",
        "day_type",
        "venue_id",
        "venue_name",
        "lat",
        "lon",
        "start",
        "end",
        "expected_applicants",
        "reason",
    }


async def test_a_solver_that_died_is_reported_and_the_plan_can_be_replanned(city, staff):
    import time

    version_id = await services.create_plan(staff, "計画", JUNE)
    await PlanVersion.update(
        {PlanVersion.solve_state: "running", PlanVersion.progress: {"heartbeat": time.time() - 3600}}
    ).where(PlanVersion.id == version_id)
    version = await services.get_version(version_id)
    assert version.solve_state == SolveState.failed and "Re-plan" in version.error
    row = await PlanVersion.select(PlanVersion.solve_state).where(PlanVersion.id == version_id).first()
    assert row["solve_state"] == "running"  # reading it wrote nothing
    await services.request_replan(staff, version_id)
    await services.run_solve(version_id, progress_interval=0.05)
    assert (await services.get_version(version_id)).status == "optimal"


async def test_plans_are_read_through_the_service(city, staff):
    version = await solved_version(staff)
    (plan,) = await services.list_plans()
    assert (plan.id, plan.title, plan.start, plan.end) == (version.plan, "2027年6月 実施計画", JUNE.start, JUNE.end)
    assert await services.get_plan(plan.id) == plan
    with pytest.raises(NotFound):
        await services.get_plan(plan.id + 1)
    assert await services.previous_version(version) is None
    venues = await services.candidate_venues()
    assert [v.venue_id for v in venues] == ["H0", "H1", "H2", "H3", "H4"]  # the civic centre hosts no booths


def submitted_before_the_edit_is_written(monkeypatch, actor, version_id: int) -> None:
    """The version is submitted by someone else after the edit's checks could have run outside its transaction and
    before the transaction that writes the edit begins (the race of a page loaded while the plan was a draft)."""
    real = services.write_transaction

    @contextlib.asynccontextmanager
    async def racing():
        monkeypatch.setattr(services, "write_transaction", real)
        await workflow.submit(actor, version_id)
        async with real():
            yield

    monkeypatch.setattr(services, "write_transaction", racing)


@pytest.mark.parametrize("edit", ["lock", "move", "venue", "remove", "add", "replan"])
async def test_an_edit_racing_a_submission_is_refused_and_changes_nothing(city, staff, monkeypatch, edit):
    version = await solved_version(staff)
    sessions = await services.sessions_of(version.id)
    session = sessions[0]
    submitted_before_the_edit_is_written(monkeypatch, staff, version.id)
    with pytest.raises(InvalidTransition, match="only a draft"):
        if edit == "lock":
            await services.set_locked(staff, session.id, not session.locked)
        elif edit == "move":
            await services.move_session(staff, session.id, session.date)
        elif edit == "venue":
            await services.swap_venue(staff, session.id, session.venue_id)
        elif edit == "remove":
            await services.remove_session(staff, session.id)
        elif edit == "add":
            await services.add_session(staff, version.id, "H4", session.date)
        else:
            await services.request_replan(staff, version.id)
    after = await services.get_version(version.id)
    assert after.state == VersionState.submitted and after.solve_state == SolveState.done
    assert await services.sessions_of(version.id) == sessions
    assert await AuditEvent.count().where(AuditEvent.object_type == "session") == 0


async def test_two_sessions_added_at_once_on_a_one_team_day_make_one(city, staff):
    version = await solved_version(staff)
    sessions = await services.sessions_of(version.id)
    taken = {s.date for s in sessions}

    def allowed(venue_id: str, date: dt.date) -> bool:  # the gap at the venue; the day has no session yet
        return all(abs((date - s.date).days) >= JUNE.min_gap_days for s in sessions if s.venue_id == venue_id)

    free, venues = next(
        (date, venues)
        for date in (dt.date(2027, 6, d) for d in range(1, 31))
        if date not in taken and len(venues := [f"H{n}" for n in range(5) if allowed(f"H{n}", date)]) >= 2
    )
    results = await asyncio.gather(
        *(services.add_session(staff, version.id, venue_id, free) for venue_id in venues[:2]),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["ValidationFailed", "int"]
    assert len(await services.sessions_of(version.id)) == len(sessions) + 1
