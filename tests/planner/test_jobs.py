"""Solving as background work: a queued solve runs once, in a process of its own, and stores the plan; a solve that
fails is reported on the version and its job."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from unittest.mock import patch

import pytest

from core.jobs import JobState, Registry, Worker, job_status
from core.tables import Role
from planner import jobs, services
from planner.tables import PlanVersion, SolveState
from tests.planner.factories import JUNE


def planner_registry() -> Registry:
    registry = Registry()
    jobs.register(registry)
    return registry


async def test_a_queued_solve_runs_once_and_stores_the_plan(city, make_user):
    staff = await make_user(Role.contractor_staff)
    version_id = await services.create_plan(staff, "2027年6月 実施計画", JUNE)
    job_id = await jobs.queue_solve(version_id)
    assert await jobs.queue_solve(version_id) == job_id  # asked twice while queued: one job
    assert (await services.get_version(version_id)).solve_state == SolveState.queued
    registry = planner_registry()
    ran = await asyncio.gather(*(Worker(registry).run_once() for _ in range(3)))
    assert sum(ran) == 1
    version = await services.get_version(version_id)
    assert (version.solve_state, version.status) == (SolveState.done, "optimal")
    assert len(await services.sessions_of(version_id)) == 5  # June's quotas: 3 weekdays and 2 holidays
    status = await job_status(job_id)
    assert status.state == JobState.done and status.result["sessions"] == 5


async def test_a_solve_that_fails_is_reported_on_the_version_and_the_job(city, make_user):
    staff = await make_user(Role.contractor_staff)
    version_id = await services.create_plan(staff, "2027年6月 実施計画", JUNE)
    await PlanVersion.update({PlanVersion.parameters: {"start": "not a date"}}).where(PlanVersion.id == version_id)
    job_id = await jobs.queue_solve(version_id)
    await Worker(planner_registry()).run_once()
    version = await services.get_version(version_id)
    assert version.solve_state == SolveState.failed and version.error
    assert (await job_status(job_id)).state == JobState.failed


async def test_a_solve_stopped_with_its_runner_waits_for_the_next_one(city, make_user):
    """A restart during a solve: the runner cancels the job (it goes back to the queue) and the version waits again,
    instead of reading as a solver that died."""
    staff = await make_user(Role.contractor_staff)
    version_id = await services.create_plan(staff, "2027年6月 実施計画", JUNE)
    await PlanVersion.update({PlanVersion.solve_state: SolveState.running.value}).where(PlanVersion.id == version_id)
    stopping = SimpleNamespace(payload={"version_id": version_id})
    with (
        patch("planner.jobs.run_in_process", side_effect=asyncio.CancelledError),
        pytest.raises(asyncio.CancelledError),
    ):
        await jobs.solve_job(stopping)  # type: ignore[arg-type]
    assert (await services.get_version(version_id)).solve_state == SolveState.queued
    await Worker(planner_registry()).run_once()  # the next runner solves it
    assert (await services.get_version(version_id)).status == "optimal"


async def test_a_solve_whose_runner_was_lost_for_good_reads_failed(city, make_user):
    staff = await make_user(Role.contractor_staff)
    version_id = await services.create_plan(staff, "2027年6月 実施計画", JUNE)
    await jobs.solve_failed({"version_id": version_id})  # what the runner calls for a job lost on its last attempt
    version = await services.get_version(version_id)
    assert version.solve_state == SolveState.failed and "再計画" in version.error  # staff are told to re-plan
