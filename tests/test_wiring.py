"""The domain's handlers are wired by one explicit call: an entry point that forgets it cannot approve a plan and
silently publish nothing."""

from __future__ import annotations

import pytest

import wiring
from core import events
from core.tables import Role
from planner import services, workflow
from planner.tables import SessionState, VersionState
from tests.planner.test_services import solved_version


async def test_an_entry_point_without_the_wiring_cannot_approve_silently(city, make_user):
    staff, reviewer = await make_user(Role.contractor_staff), await make_user(Role.city_reviewer)
    version = await solved_version(staff)
    await workflow.submit(staff, version.id)
    version = await services.get_version(version.id)
    with events.unregistered(), pytest.raises(events.HandlersNotRegistered):
        await workflow.approve(reviewer, version.id, version.revision, "承認します")
    unchanged = await services.get_version(version.id)
    assert unchanged.state == VersionState.submitted  # the approval was rolled back with the failed publication
    assert await services.published_count(version.id) == 0


async def test_the_wiring_publishes_the_booths_of_an_approved_plan(city, make_user):
    staff, reviewer = await make_user(Role.contractor_staff), await make_user(Role.city_reviewer)
    version = await solved_version(staff)
    await workflow.submit(staff, version.id)
    version = await services.get_version(version.id)
    with events.unregistered():
        wiring.register()  # what every entry point does at start-up
        await workflow.approve(reviewer, version.id, version.revision, "承認します")
    sessions = await services.sessions_of(version.id)
    assert sessions and all(s.state == SessionState.published for s in sessions)
