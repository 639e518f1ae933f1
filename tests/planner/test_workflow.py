"""The review of a plan: each transition and each forbidden one per role, versions and their differences,
double submissions and two reviewers at once."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import pytest

from core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from core.i18n import using_locale
from core.tables import AuditEvent, Role
from planner import services, workflow
from planner.tables import PlanVersion, Session, VersionState
from tests.planner.test_services import solved_version


@pytest.fixture(autouse=True)
def english():
    with using_locale("en"):
        yield


@pytest.fixture
async def people(make_user):
    return {role: await make_user(role) for role in Role}


async def submitted(people) -> dict:
    version = await solved_version(people[Role.contractor_staff])
    await workflow.submit(people[Role.contractor_staff], version.id)
    return await services.get_version(version.id)


async def test_submit_then_approve(city, people):
    version = await submitted(people)
    assert version.state == VersionState.submitted and version.submitted_by == people[Role.contractor_staff].id
    await workflow.approve(people[Role.city_reviewer], version.id, version.revision, "承認します")
    approved = await services.get_version(version.id)
    assert approved.state == VersionState.approved and approved.decided_by == people[Role.city_reviewer].id
    actions = [
        e["action"]
        for e in await AuditEvent.select(AuditEvent.action)
        .where(AuditEvent.object_type == "plan_version")
        .order_by(AuditEvent.id)
    ]
    assert actions[-2:] == ["plan.submitted", "plan.approved"]


@pytest.mark.parametrize("role", [Role.city_reviewer, Role.admin])
async def test_only_contractors_submit(city, people, role):
    version = await solved_version(people[Role.contractor_lead])
    with pytest.raises(PermissionDenied):
        await workflow.submit(people[role], version.id)
    assert (await services.get_version(version.id)).state == VersionState.draft


@pytest.mark.parametrize("role", [Role.contractor_staff, Role.contractor_lead, Role.admin])
async def test_only_city_reviewers_decide(city, people, role):
    version = await submitted(people)
    with pytest.raises(PermissionDenied):
        await workflow.approve(people[role], version.id, version.revision)
    with pytest.raises(PermissionDenied):
        await workflow.return_for_changes(people[role], version.id, version.revision, "直して")
    assert (await services.get_version(version.id)).state == VersionState.submitted


async def test_forbidden_steps_are_refused_not_ignored(city, people):
    reviewer = people[Role.city_reviewer]
    draft = await solved_version(people[Role.contractor_staff])
    with pytest.raises(InvalidTransition):
        await workflow.approve(reviewer, draft.id, draft.revision)  # not submitted yet
    version = await submitted(people)
    await workflow.approve(reviewer, version.id, version.revision)
    with pytest.raises(InvalidTransition):
        await workflow.submit(people[Role.contractor_staff], version.id)  # approved: no resubmission
    with pytest.raises(InvalidTransition):
        await workflow.return_for_changes(reviewer, version.id, version.revision + 1, "遅い")
    session = (await services.sessions_of(version.id))[0]
    with pytest.raises(InvalidTransition):
        await services.remove_session(people[Role.contractor_staff], session.id)  # nobody edits it in place


async def test_return_needs_a_comment_and_makes_a_new_draft_with_the_comments(city, people):
    reviewer = people[Role.city_reviewer]
    version = await submitted(people)
    session = (await services.sessions_of(version.id))[0]
    await workflow.comment_session(reviewer, session.id, "この日は祭りで駐車場が混みます")
    with pytest.raises(ValidationFailed):
        await workflow.return_for_changes(reviewer, version.id, version.revision, "  ")
    new_id = await workflow.return_for_changes(reviewer, version.id, version.revision, "6月の日程を見直して")
    old, new = await services.get_version(version.id), await services.get_version(new_id)
    assert (old.state, new.state, new.number, new.based_on) == (
        VersionState.returned,
        VersionState.draft,
        2,
        version.id,
    )
    assert old.review_comment == "6月の日程を見直して"
    assert (await services.previous_version(new)) == old  # what the new version's map compares with
    copied = await services.sessions_of(new_id)
    assert len(copied) == len(await services.sessions_of(version.id))
    assert [s.reviewer_comment for s in copied if s.date == session.date] == ["この日は祭りで駐車場が混みます"]
    assert (await services.latest_version(version.plan)).id == new_id


async def test_differences_between_versions(city, people):
    reviewer, staff = people[Role.city_reviewer], people[Role.contractor_staff]
    version = await submitted(people)
    before = await services.sessions_of(version.id)
    new_id = await workflow.return_for_changes(reviewer, version.id, version.revision, "直して")
    draft = await services.sessions_of(new_id)
    by_key = {(s.venue, s.date): s for s in draft}
    first, second, third = (by_key[(s.venue, s.date)] for s in before[:3])
    taken = {s.date for s in draft}
    free = [dt.date(2027, 6, d) for d in range(1, 31) if dt.date(2027, 6, d) not in taken]
    for date in free:  # move the first session in time (same venue), where the rules allow
        try:
            await services.move_session(staff, first.id, date)
            break
        except ValidationFailed:
            continue
    await services.remove_session(staff, second.id)
    other_venue = next(v for v in ("H0", "H1", "H2", "H3", "H4") if v != third.venue_id)
    try:
        await services.swap_venue(staff, third.id, other_venue)
        swapped = True
    except ValidationFailed:
        swapped = False
    kinds = sorted(c.kind for c in await workflow.differences(version.id, new_id))
    assert kinds == sorted(["moved", "removed"] + (["venue"] if swapped else []))


async def test_double_submission_makes_one_submission(city, people):
    staff = people[Role.contractor_staff]
    version = await solved_version(staff)
    await asyncio.gather(*(workflow.submit(staff, version.id) for _ in range(5)))
    assert (await services.get_version(version.id)).revision == 1
    assert await AuditEvent.count().where(AuditEvent.action == "plan.submitted") == 1


async def test_two_reviewers_at_once_one_wins_the_other_is_told(city, people, make_user):
    version = await submitted(people)
    second_reviewer = await make_user(Role.city_reviewer)
    results = await asyncio.gather(
        workflow.approve(people[Role.city_reviewer], version.id, version.revision),
        workflow.return_for_changes(second_reviewer, version.id, version.revision, "差し戻します"),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], (Conflict, InvalidTransition))
    assert "reload" in failures[0].message
    final = await services.get_version(version.id)
    assert final.state in (VersionState.approved, VersionState.returned)
    assert await PlanVersion.count().where(PlanVersion.plan == version.plan) == (
        2 if final.state == VersionState.returned else 1
    )


async def test_a_decision_on_a_stale_revision_is_refused(city, people):
    version = await submitted(people)
    with pytest.raises(Conflict, match="changed since you opened it"):
        await workflow.approve(people[Role.city_reviewer], version.id, version.revision - 1)
    assert (await services.get_version(version.id)).state == VersionState.submitted


async def test_comments_only_while_submitted_and_only_by_reviewers(city, people):
    version = await solved_version(people[Role.contractor_staff])
    session = (await services.sessions_of(version.id))[0]
    with pytest.raises(InvalidTransition):
        await workflow.comment_session(people[Role.city_reviewer], session.id, "早すぎる")
    await workflow.submit(people[Role.contractor_staff], version.id)
    with pytest.raises(PermissionDenied):
        await workflow.comment_session(people[Role.contractor_staff], session.id, "自分で")
    await workflow.comment_session(people[Role.city_reviewer], session.id, "ここは良い")
    assert (await Session.select(Session.reviewer_comment).where(Session.id == session.id).first())[
        "reviewer_comment"
    ] == "ここは良い"


async def test_a_comment_racing_the_approval_is_refused(city, people, monkeypatch):
    reviewer = people[Role.city_reviewer]
    version = await submitted(people)
    session = (await services.sessions_of(version.id))[0]
    real = workflow.write_transaction

    @contextlib.asynccontextmanager
    async def approved_first():  # another reviewer approves while this one is writing a comment
        monkeypatch.setattr(workflow, "write_transaction", real)
        await workflow.approve(reviewer, version.id, version.revision)
        async with real():
            yield

    monkeypatch.setattr(workflow, "write_transaction", approved_first)
    with pytest.raises(InvalidTransition):
        await workflow.comment_session(reviewer, session.id, "遅すぎた")
    assert (await services.session_detail(session.id)).reviewer_comment == ""


async def test_two_changes_started_at_once_make_one_new_version(city, people):
    version = await submitted(people)
    await workflow.approve(people[Role.city_reviewer], version.id, version.revision)
    staff = people[Role.contractor_staff]
    results = await asyncio.gather(
        workflow.start_change(staff, version.plan), workflow.start_change(staff, version.plan), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["InvalidTransition", "int"]
    assert await PlanVersion.count().where(PlanVersion.plan == version.plan) == 2


async def test_a_plan_whose_booths_start_in_the_past_is_refused_at_submit_and_approval(city, people):
    """A plan whose booths had started was approved without a word."""
    from core import clock

    staff, reviewer = people[Role.contractor_staff], people[Role.city_reviewer]
    version = await solved_version(staff)
    sessions = await services.sessions_of(version.id)
    middle = sessions[len(sessions) // 2]
    later = dt.datetime.combine(middle.date, middle.start, clock.JST) + dt.timedelta(minutes=1)
    past = [s for s in sessions if dt.datetime.combine(s.date, s.start, clock.JST) <= later]
    with clock.frozen(later):
        assert [s.id for s in await workflow.booths_in_the_past(version.id)] == [s.id for s in past]
        with pytest.raises(ValidationFailed) as refused:
            await workflow.submit(staff, version.id)
    first = past[0]
    assert f"{len(past)} booths of this version start in the past" in refused.value.message
    assert f"{first.date.isoformat()} {first.start.strftime('%H:%M')} {first.venue_name}" in refused.value.message
    assert (await services.get_version(version.id)).state == VersionState.draft

    with clock.frozen(dt.datetime(2027, 5, 20, 9, 0, tzinfo=clock.JST)):
        await workflow.submit(staff, version.id)
    version = await services.get_version(version.id)
    with clock.frozen(later):
        with pytest.raises(ValidationFailed) as refused:
            await workflow.approve(reviewer, version.id, version.revision)
        assert "cannot be approved" in refused.value.message and first.venue_name in refused.value.message
        assert (await services.get_version(version.id)).state == VersionState.submitted
        await workflow.return_for_changes(reviewer, version.id, version.revision, "過去の日程を外してください")


async def test_a_change_may_carry_booths_already_held_but_not_add_one_in_the_past(city, people):
    from core import clock

    staff, reviewer = people[Role.contractor_staff], people[Role.city_reviewer]
    with clock.frozen(dt.datetime(2027, 5, 20, 9, 0, tzinfo=clock.JST)):
        version = await submitted(people)
        await workflow.approve(reviewer, version.id, version.revision)
    sessions = await services.sessions_of(version.id)
    middle = sessions[len(sessions) // 2]
    later = dt.datetime.combine(middle.date, middle.start, clock.JST) + dt.timedelta(minutes=1)
    with clock.frozen(later):
        change = await workflow.start_change(staff, version.plan)
        assert await workflow.booths_in_the_past(change) == []  # the booths already held come along
        moved = (await services.sessions_of(change))[-1]  # a booth to come, moved (by mistake) to a past day
        taken = {s.date for s in sessions}
        past_day = next(
            sessions[0].date + dt.timedelta(days=n)
            for n in range(1, 30)
            if sessions[0].date + dt.timedelta(days=n) not in taken
        )
        await Session.update({Session.date: past_day}).where(Session.id == moved.id)
        assert [s.id for s in await workflow.booths_in_the_past(change)] == [moved.id]
        with pytest.raises(ValidationFailed, match=moved.venue_name):
            await workflow.submit(staff, change)
        await Session.update({Session.date: moved.date}).where(Session.id == moved.id)
        await workflow.submit(staff, change)
        assert (await services.get_version(change)).state == VersionState.submitted
