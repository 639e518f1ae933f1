"""Tables of the planner: plans (実施計画), their versions, sessions (booths), demand points and seasonality."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Time,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from venues.tables import Venue


class VersionState(str, Enum):
    """A plan version's review state (DESIGN §3)."""

    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    returned = "returned"


class SolveState(str, Enum):
    """Where the solver is with a version."""

    idle = "idle"
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class SessionState(str, Enum):
    planned = "planned"
    published = "published"
    held = "held"
    cancelled = "cancelled"
    superseded = "superseded"  # a published booth continued by a session of a later approved version


class Plan(Table, tablename="plan"):
    """A 実施計画 for a period (e.g. a fiscal year), with a chain of versions."""

    # The primary key Piccolo adds to every table; declared so that type checkers know it.
    id: Serial

    title = Varchar(length=200)
    start = Date()
    end = Date()
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class PlanVersion(Table, tablename="plan_version"):
    """One version of a plan: its parameters, the solver's result and progress, and its sessions."""

    id: Serial

    plan = ForeignKey(references=Plan, on_delete=OnDelete.cascade, index=True)
    number = Integer(default=1)
    state = Varchar(length=16, default=VersionState.draft.value, choices=VersionState, index=True)
    parameters = JSON(default={})
    solve_state = Varchar(length=16, default=SolveState.idle.value, choices=SolveState)
    progress = JSON(default={})  # {"seconds", "incumbent", "bound", "stage"} while solving
    status = Varchar(length=16, default="")  # optimal | feasible
    objective = DoublePrecision(null=True, default=None)
    bound = DoublePrecision(null=True, default=None)
    gap = DoublePrecision(null=True, default=None)
    solve_seconds = DoublePrecision(null=True, default=None)
    shortages = JSON(default=[])
    notes = JSON(default=[])
    error = Text(default="")
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    based_on = Integer(null=True, default=None)  # the version this one was made from (after a return)
    revision = Integer(default=0)  # bumped by every review transition: a decision names the revision it saw
    review_comment = Text(default="")
    submitted_at = Timestamptz(null=True, default=None)
    submitted_by = Integer(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decided_by = Integer(null=True, default=None)
    # Re-planning against the previous version: {"max_reach_loss"} as staff asked, then {"kept", "changed",
    # "previous", "reach_loss", "optimum"} as the solver returned (empty for a plain solve).
    replan = JSON(default={})


class ReviewSeen(Table, tablename="plan_review_seen"):
    """The version of a plan a reviewer last opened, so the next review shows what changed since."""

    id: Serial

    plan = ForeignKey(references=Plan, on_delete=OnDelete.cascade, index=True)
    user_id = Integer(index=True)
    version = ForeignKey(references=PlanVersion, on_delete=OnDelete.cascade)


class Session(Table, tablename="plan_session"):
    """A booth: a venue on a date, in a plan version."""

    id: Serial

    version = ForeignKey(references=PlanVersion, on_delete=OnDelete.cascade, index=True)
    venue = ForeignKey(references=Venue, on_delete=OnDelete.restrict, index=True)
    date = Date(index=True)
    start = Time()
    end = Time()
    day_type = Varchar(length=16)
    staff = Integer(default=5)
    expected_applicants = Integer(default=0)
    reason = Text(default="")
    locked = Boolean(default=False)
    reviewer_comment = Text(default="")
    state = Varchar(length=16, default=SessionState.planned.value, choices=SessionState)
    origin = Integer(null=True, default=None)  # the published session (of an approved version) this one continues
    # The forecast fixed when the booth was published (None: not published yet). Reports compare results with it;
    # learned yields change only the forecasts of booths published later (booking.services.publish_version).
    published_forecast = Integer(null=True, default=None)


class InvitationState(str, Enum):
    """Where a venue partner's calendar invitation stands."""

    sent = "sent"
    cancelled = "cancelled"


class InvitationResponse(str, Enum):
    """A venue partner's answer to the current SEQUENCE of an invitation (iCalendar PARTSTAT values)."""

    needs_action = "needs-action"
    accepted = "accepted"
    declined = "declined"


class Invitation(Table, tablename="partner_invitation"):
    """The calendar invitation (iTIP) of one booth sent to its venue's partner: a UID that stays with the booth
    through later versions (``session`` follows the booth to the session that continues it), a SEQUENCE raised on
    every change, and the partner's answer to the current sequence."""

    id: Serial

    uid = Varchar(length=255, index=True)  # the booth's UID (planner.booth_uid), kept through later versions
    session = ForeignKey(references=Session, on_delete=OnDelete.cascade, index=True)
    venue = ForeignKey(references=Venue, on_delete=OnDelete.restrict)
    partner_email = Varchar(length=254)
    partner_name = Varchar(length=200, default="")
    sequence = Integer(default=0)
    state = Varchar(length=16, default=InvitationState.sent.value, choices=InvitationState, index=True)
    response = Varchar(length=16, default=InvitationResponse.needs_action.value, choices=InvitationResponse)
    responded_at = Timestamptz(null=True, default=None)
    response_note = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class DemandPoint(Table, tablename="demand_point"):
    """Where residents live (a town's representative point), with a weight."""

    id: Serial

    name = Varchar(length=200, default="")
    lat = DoublePrecision()
    lon = DoublePrecision()
    weight = DoublePrecision(default=1.0)


class Seasonality(Table, tablename="seasonality"):
    """The month's factor for expected applicants (mean 1), from the counter statistics."""

    id: Serial

    month = Integer(unique=True)
    factor = DoublePrecision(default=1.0)


class YieldFactor(Table, tablename="planner_yield"):
    """A learned multiplier of the forecast of expected applicants (planner.yields), for a venue kind on a day type
    (``kind_day:commercial:holiday``) or for one venue (``venue:12``): observed over forecast, pulled toward 1 when
    the sample is small."""

    id: Serial

    key = Varchar(length=100, unique=True)
    factor = DoublePrecision(default=1.0)
    observed = DoublePrecision(default=0.0)  # applications completed
    expected = DoublePrecision(default=0.0)  # what the forecast before learning said
    samples = Integer(default=0)  # booths
    updated_at = Timestamptz(default=TimestamptzNow())
