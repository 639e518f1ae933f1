"""The review of a 実施計画 between contractor and city: submit, approve, return with comments, new versions and
what changed between two of them (DESIGN §3). Each step checks the role and the current state, changes the state
in one conditional update (so a double click or two reviewers at once cannot both act), and writes the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core import clock
from core.audit import record_event
from core.db import write_transaction
from core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from core.events import PlanApproved, publish
from core.i18n import gettext as _
from core.outbox import queue_email
from core.roles import CONTRACTORS, REVIEWERS
from core.settings import get_settings
from core.tables import Role, StaffUser
from core.users import Actor
from planner.document import PlanDocument, VersionStep
from planner.document import plan_document as document_for
from planner.schemas import PlanVersionDetail, SessionDetail, VersionHistoryEntry
from planner.services import (
    get_plan,
    get_version,
    lock_plan,
    lock_version,
    plan_scope,
    session_detail,
    sessions_of,
    version_state_text,
)
from planner.tables import PlanVersion, ReviewSeen, Session, SessionState, SolveState, VersionState


def _now() -> dt.datetime:
    return clock.now()


def _require(actor: Actor, roles: tuple[Role, ...], message: str) -> None:
    if actor.role not in roles:
        raise PermissionDenied(message)


async def booths_in_the_past(version_id: int) -> list[SessionDetail]:
    """The booths of a version that start before now and that the last approved version did not already hold at
    the same venue, date and time: a booth nobody could run any more (a change may carry past booths along)."""
    now = clock.now()
    started = [
        s
        for s in await sessions_of(version_id)
        if s.state != SessionState.cancelled and dt.datetime.combine(s.date, s.start, clock.JST) <= now
    ]
    if not started:
        return []
    version = await get_version(version_id)
    approved = await last_approved(version.plan, version_id)
    held = (
        {(s.venue, s.date, s.start) for s in await sessions_of(approved) if s.state != SessionState.cancelled}
        if approved
        else set()
    )
    return [s for s in started if (s.venue, s.date, s.start) not in held]


MAX_LISTED = 10  # booths named in a refusal; the rest are counted


def _booth_list(sessions: list[SessionDetail]) -> str:
    shown = [f"{s.date.isoformat()} {s.start.strftime('%H:%M')} {s.venue_name}" for s in sessions[:MAX_LISTED]]
    if len(sessions) > MAX_LISTED:
        shown.append(_("and {n} more").format(n=len(sessions) - MAX_LISTED))
    return "、".join(shown)


async def _refuse_past_booths(version_id: int, message: str) -> None:
    past = await booths_in_the_past(version_id)
    if past:
        raise ValidationFailed(message.format(n=len(past), booths=_booth_list(past)))


async def submit(actor: Actor, version_id: int) -> None:
    """Contractor staff or lead hand a solved draft to the city. Submitting twice makes one submission. A draft
    with booths that start in the past is refused with the list of them (``booths_in_the_past``)."""
    _require(actor, CONTRACTORS, _("Only contractor staff and leads submit plans."))
    async with write_transaction():
        if (await get_version(version_id)).state == VersionState.draft:
            await _refuse_past_booths(
                version_id,
                _(
                    "{n} booths of this version start in the past and can no longer be held: {booths}. Remove or "
                    "move them (or re-plan), then submit again."
                ),
            )
        changed = (
            await PlanVersion.update(
                {
                    PlanVersion.state: VersionState.submitted.value,
                    PlanVersion.revision: PlanVersion.revision + 1,
                    PlanVersion.submitted_at: _now(),
                    PlanVersion.submitted_by: actor.id,
                }
            )
            .where(
                (PlanVersion.id == version_id)
                & (PlanVersion.state == VersionState.draft.value)
                & (PlanVersion.solve_state == SolveState.done.value)
            )
            .returning(PlanVersion.id)
        )
        if not changed:
            version = await get_version(version_id)
            if version.state == VersionState.submitted:
                return  # the same submission again (double click, back button): nothing more to do
            if version.state == VersionState.draft:
                raise Conflict(_("The planner has not finished this version; submit it when it is solved."))
            raise InvalidTransition(
                _("This version is {state}; only a draft can be submitted.").format(
                    state=version_state_text(version.state)
                )
            )
        version = await get_version(version_id)
        await record_event(
            actor,
            "plan.submitted",
            "plan_version",
            version_id,
            "",
            {"state": {"before": VersionState.draft.value, "after": VersionState.submitted.value}},
            scope=plan_scope(version.plan),
        )
        await notify(
            await emails_of_role(Role.city_reviewer),
            version,
            _("[outreach] Plan submitted for your review (version {n})"),
            _("{who} submitted version {n} of the plan for your review:\n{url}"),
            actor,
        )


async def _decide(actor: Actor, version_id: int, revision: int, state: VersionState, comment: str) -> None:
    """Move a submitted version to approved or returned, if nobody acted on it since ``revision``."""
    changed = (
        await PlanVersion.update(
            {
                PlanVersion.state: state.value,
                PlanVersion.revision: PlanVersion.revision + 1,
                PlanVersion.review_comment: comment,
                PlanVersion.decided_at: _now(),
                PlanVersion.decided_by: actor.id,
            }
        )
        .where(
            (PlanVersion.id == version_id)
            & (PlanVersion.state == VersionState.submitted.value)
            & (PlanVersion.revision == revision)
        )
        .returning(PlanVersion.id)
    )
    if changed:
        return
    version = await get_version(version_id)
    if version.state != VersionState.submitted:
        raise InvalidTransition(
            _(
                "This version is {state}; only a submitted version can be approved or returned; reload to see it."
            ).format(state=version_state_text(version.state))
        )
    raise Conflict(_("The version changed since you opened it (someone else acted on it); reload to see it."))


async def approve(actor: Actor, version_id: int, revision: int, comment: str = "") -> None:
    """A city reviewer approves the submitted version they saw (事前に本市と協議のうえ承諾); refused with the list
    of its booths that start in the past (``booths_in_the_past``)."""
    _require(actor, REVIEWERS, _("Only city reviewers approve or return plans."))
    async with write_transaction():
        if (await get_version(version_id)).state == VersionState.submitted:
            await _refuse_past_booths(
                version_id,
                _(
                    "This version cannot be approved: {n} of its booths start in the past and can no longer be "
                    "held: {booths}. Return it with comments so that the contractor removes or moves them."
                ),
            )
        await _decide(actor, version_id, revision, VersionState.approved, comment.strip())
        version = await get_version(version_id)
        await record_event(
            actor,
            "plan.approved",
            "plan_version",
            version_id,
            comment.strip(),
            {"state": {"before": VersionState.submitted.value, "after": VersionState.approved.value}},
            scope=plan_scope(version.plan),
        )
        await publish(PlanApproved(version_id, actor.id))  # booking publishes the booths in this transaction
        await notify(
            await contractor_emails(version),
            version,
            _("[outreach] Plan approved (version {n})"),
            _("{who} approved version {n} of the plan; its booths are published:\n{url}"),
            actor,
        )


async def return_for_changes(actor: Actor, version_id: int, revision: int, comment: str) -> int:
    """A city reviewer returns the version with comments; a new draft version is made from it (its sessions and
    their comments carried along) for the contractor to fix. Returns the new version's id."""
    _require(actor, REVIEWERS, _("Only city reviewers approve or return plans."))
    if not comment.strip():
        message = _("Say what should change: a comment is needed to return a plan.")
        raise ValidationFailed(message, {"comment": message})
    async with write_transaction():
        await _decide(actor, version_id, revision, VersionState.returned, comment.strip())
        old = await get_version(version_id)
        last = (
            await PlanVersion.select(PlanVersion.number)
            .where(PlanVersion.plan == old.plan)
            .order_by(PlanVersion.number, ascending=False)
            .first()
        )
        new = PlanVersion(
            plan=old.plan,
            number=last["number"] + 1,
            state=VersionState.draft.value,
            parameters=dict(old.parameters),
            solve_state=SolveState.done.value,
            status=old.status,
            objective=old.objective,
            bound=old.bound,
            gap=old.gap,
            solve_seconds=old.solve_seconds,
            shortages=[s.as_json() for s in old.shortages],
            notes=list(old.notes),
            based_on=version_id,
            created_by=actor.id,
        )
        await new.save()
        sessions = await Session.select().where(Session.version == version_id)
        if sessions:
            await Session.insert(
                *[Session(**{**{k: v for k, v in s.items() if k != "id"}, "version": new.id}) for s in sessions]
            )
        await record_event(
            actor,
            "plan.returned",
            "plan_version",
            version_id,
            comment.strip(),
            {
                "state": {"before": VersionState.submitted.value, "after": VersionState.returned.value},
                "new_version": {"after": new.number},
            },
            scope=plan_scope(old.plan),
        )
        await notify(
            await contractor_emails(old),
            old,
            _("[outreach] Plan returned with comments (version {n})"),
            _("{who} returned version {n} of the plan with comments:\n\n{comment}\n\n{url}"),
            actor,
            comment=comment.strip(),
        )
    return new.id


async def start_change(actor: Actor, plan_id: int) -> int:
    """After approval, a change (a venue cancels a date, the city asks to move one) starts a new draft version:
    every published session is copied, locked, and remembers the booth it continues; the contractor removes or
    moves what must change and re-plans the rest, then submits the change for review. Returns the new version."""
    _require(actor, CONTRACTORS, _("Only contractor staff and leads change plans."))
    async with write_transaction():
        await lock_plan(plan_id)  # two changes started at once make one new version
        latest = (
            await PlanVersion.select(PlanVersion.id)
            .where(PlanVersion.plan == plan_id)
            .order_by(PlanVersion.number, ascending=False)
            .first()
        )
        if latest is None:
            raise InvalidTransition(_("That plan was not found."))
        old = await get_version(latest["id"])
        if old.state != VersionState.approved:
            raise InvalidTransition(_("Only an approved plan is changed this way; edit the draft instead."))
        new = PlanVersion(
            plan=plan_id,
            number=old.number + 1,
            state=VersionState.draft.value,
            parameters=dict(old.parameters),
            solve_state=SolveState.done.value,
            status=old.status,
            objective=old.objective,
            bound=old.bound,
            gap=old.gap,
            solve_seconds=old.solve_seconds,
            based_on=old.id,
            created_by=actor.id,
        )
        await new.save()
        sessions = await Session.select().where(
            (Session.version == old.id) & (Session.state != SessionState.cancelled.value)
        )
        if sessions:
            await Session.insert(
                *[
                    Session(
                        **{
                            **{k: v for k, v in s.items() if k != "id"},
                            "version": new.id,
                            "locked": True,
                            "state": SessionState.planned.value,
                            "reviewer_comment": "",
                            "origin": s["id"] if s["state"] == SessionState.published else s["origin"],
                        }
                    )
                    for s in sessions
                ]
            )
        await record_event(
            actor,
            "plan.change_started",
            "plan_version",
            new.id,
            "",
            {"based_on": {"after": old.number}, "version": {"after": new.number}},
            scope=plan_scope(plan_id),
        )
    return new.id


async def comment_session(actor: Actor, session_id: int, text: str) -> None:
    """A reviewer's comment on one session of a submitted version (shown beside it to the contractor)."""
    _require(actor, REVIEWERS, _("Only city reviewers comment on sessions."))
    async with write_transaction():
        await _comment(actor, session_id, text)


async def comment_sessions(actor: Actor, plan_id: int, comments: dict[int, str]) -> None:
    """Several comments at once (every row of the table the reviewer typed into), in one transaction; a comment
    left as it was changes nothing."""
    _require(actor, REVIEWERS, _("Only city reviewers comment on sessions."))
    if not comments:
        return
    async with write_transaction():
        for session_id, text in comments.items():
            await _comment(actor, session_id, text, plan_id)


async def _comment(actor: Actor, session_id: int, text: str, plan_id: int | None = None) -> None:
    session = await session_detail(session_id)
    if plan_id is not None and session.plan != plan_id:
        raise InvalidTransition(_("That session is not part of this plan; reload the page."))
    if session.reviewer_comment == text.strip():
        return  # the same words again (a row left as it was): nothing changed, nothing to log
    await lock_version(session.version)
    version = await get_version(session.version)
    if version.state != VersionState.submitted:
        raise InvalidTransition(_("Comments are made while a version is submitted for review."))
    await Session.update({Session.reviewer_comment: text.strip()}).where(Session.id == session_id)
    await record_event(
        actor,
        "session.commented",
        "session",
        session_id,
        f"{session.venue_name} {session.date.isoformat()}",
        {"comment": {"before": session.reviewer_comment, "after": text.strip()[:200]}},
        scope=plan_scope(version.plan),
    )


async def last_seen(actor: Actor, plan_id: int) -> int | None:
    row = (
        await ReviewSeen.select(ReviewSeen.version)
        .where((ReviewSeen.plan == plan_id) & (ReviewSeen.user_id == actor.id))
        .first()
    )
    return row["version"] if row else None


async def last_approved(plan_id: int, before_version: int) -> int | None:
    """The newest approved version of a plan other than ``before_version`` (what a change is compared with)."""
    row = (
        await PlanVersion.select(PlanVersion.id)
        .where(
            (PlanVersion.plan == plan_id)
            & (PlanVersion.state == VersionState.approved.value)
            & (PlanVersion.id != before_version)
        )
        .order_by(PlanVersion.number, ascending=False)
        .first()
    )
    return row["id"] if row else None


async def mark_seen(actor: Actor, plan_id: int, version_id: int) -> None:
    """Remember the version a reviewer has opened (the next review shows what changed since)."""
    async with write_transaction():
        await ReviewSeen.delete().where((ReviewSeen.plan == plan_id) & (ReviewSeen.user_id == actor.id))
        await ReviewSeen.insert(ReviewSeen(plan=plan_id, user_id=actor.id, version=version_id))


@dataclass(frozen=True)
class Change:
    """One difference between two versions: added, removed, moved (date) or venue (another venue)."""

    kind: str
    before: SessionDetail | None
    after: SessionDetail | None

    @property
    def comment(self) -> str:
        """The city's comment on the session, after the change or else before it."""
        return (self.after and self.after.reviewer_comment) or (self.before and self.before.reviewer_comment) or ""

    @property
    def date(self) -> dt.date:
        """The date the change is sorted by: the new one, or the removed session's."""
        session = self.after or self.before
        assert session is not None  # a change has a session on at least one side
        return session.date


async def differences(old_version_id: int, new_version_id: int) -> list[Change]:
    """What changed from one version to another: sessions added, removed, moved in time (same venue) or to another
    venue (same date); unchanged sessions are left out."""

    def key(s: SessionDetail) -> tuple[int, dt.date]:
        return s.venue, s.date

    old = {key(s): s for s in await sessions_of(old_version_id)}
    new = {key(s): s for s in await sessions_of(new_version_id)}
    removed = [s for k, s in old.items() if k not in new]
    added = [s for k, s in new.items() if k not in old]
    changes: list[Change] = []
    for kind, match in (
        ("moved", lambda a, b: a.venue == b.venue),
        ("venue", lambda a, b: a.date == b.date),
    ):
        for before in list(removed):
            after = next((s for s in added if match(before, s)), None)
            if after is not None:
                changes.append(Change(kind, before, after))
                removed.remove(before)
                added.remove(after)
    changes += [Change("removed", s, None) for s in removed] + [Change("added", None, s) for s in added]
    changes.sort(key=lambda c: (c.date, c.kind))
    return changes


async def history(plan_id: int) -> list[VersionHistoryEntry]:
    """Every version of a plan with who submitted and who decided it, and when."""
    versions = (
        await PlanVersion.select(
            PlanVersion.id,
            PlanVersion.number,
            PlanVersion.state,
            PlanVersion.submitted_at,
            PlanVersion.submitted_by,
            PlanVersion.decided_at,
            PlanVersion.decided_by,
            PlanVersion.review_comment,
            PlanVersion.created_at,
        )
        .where(PlanVersion.plan == plan_id)
        .order_by(PlanVersion.number)
    )
    names = {row["id"]: row["display_name"] for row in await StaffUser.select(StaffUser.id, StaffUser.display_name)}
    return [
        VersionHistoryEntry(
            id=v["id"],
            number=v["number"],
            state=VersionState(v["state"]),
            review_comment=v["review_comment"],
            created_at=v["created_at"],
            submitted_at=v["submitted_at"],
            submitted_by_name=names.get(v["submitted_by"], ""),
            decided_at=v["decided_at"],
            decided_by_name=names.get(v["decided_by"], ""),
        )
        for v in versions
    ]


async def plan_document(plan_id: int, version: PlanVersionDetail) -> PlanDocument:
    """What the 実施計画書 of ``version`` says about itself: the plan's title, this version's number and state, and
    the review of every version up to it (who submitted and decided, when)."""
    plan = await get_plan(plan_id)
    steps = [
        VersionStep(
            number=entry.number,
            state=entry.state.value,
            created_at=entry.created_at,
            submitted_at=entry.submitted_at,
            submitted_by=entry.submitted_by_name,
            decided_at=entry.decided_at,
            decided_by=entry.decided_by_name,
            comment=entry.review_comment,
        )
        for entry in await history(plan_id)
        if entry.number <= version.number
    ]
    return document_for(plan_title=plan.title, version=version.number, state=version.state.value, history=steps)


async def emails_of_role(*roles: Role) -> list[str]:
    rows = await StaffUser.select(StaffUser.email).where(
        StaffUser.role.is_in([r.value for r in roles]) & (StaffUser.active == True) & (StaffUser.email != "")
    )
    return [row["email"] for row in rows]


async def contractor_emails(version: PlanVersionDetail) -> list[str]:
    """The submitter and every contractor lead."""
    emails = set(await emails_of_role(Role.contractor_lead))
    if version.submitted_by:
        submitter = await StaffUser.select(StaffUser.email).where(StaffUser.id == version.submitted_by).first()
        if submitter and submitter["email"]:
            emails.add(submitter["email"])
    return sorted(emails)


async def notify(
    recipients: list[str], version: PlanVersionDetail, subject: str, body: str, actor: Actor, **params: str
) -> None:
    """Queue one email per recipient in the outbox (sent after the transaction commits)."""
    url = f"{get_settings().base_url}/staff/plans/{version.plan}"
    for recipient in recipients:
        await queue_email(
            recipient,
            subject.format(n=version.number),
            body.format(who=actor.display_name, n=version.number, url=url, **params),
            kind="plan.review",
        )
