"""Tables every app shares: staff users, the audit log (AuditEvent), the outbox and background work (Job,
PeriodicTask)."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Role(str, Enum):
    """Staff roles (DESIGN §7)."""

    contractor_staff = "contractor_staff"
    contractor_lead = "contractor_lead"
    city_reviewer = "city_reviewer"
    admin = "admin"


class StaffUser(Table, tablename="staff_user"):
    """A member of contractor or city staff who signs in to the back office."""

    # The primary key Piccolo adds to every table; declared so that type checkers know it.
    id: Serial

    username = Varchar(length=100, unique=True, index=True)
    display_name = Varchar(length=200)
    email = Varchar(length=254, default="")
    role = Varchar(length=32, choices=Role)
    password_hash = Varchar(length=255, secret=True)
    active = Boolean(default=True)
    preferred_language = Varchar(length=8, default="ja")
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)
    # Stored in the session cookie at sign-in; raising it (sign-out, new password) ends every session of the user.
    session_version = Integer(default=0)


class AuditEvent(Table, tablename="audit_event"):
    """Who did what to which object, when, with a before/after summary (監査ログ)."""

    id: Serial

    occurred_at = Timestamptz(default=TimestamptzNow(), index=True)
    actor_id = Integer(null=True, default=None, index=True)
    actor_name = Varchar(length=100, default="")
    action = Varchar(length=64, index=True)
    object_type = Varchar(length=64, index=True, index_method=IndexMethod.btree)
    object_id = Varchar(length=64, index=True)
    summary = Text(default="")
    changes = JSON(default={})
    scope = Varchar(length=64, default="", index=True)  # e.g. "plan:12": every event about that plan and its sessions


class OutboxMessage(Table, tablename="outbox_message"):
    """An email written in the same transaction as the change that causes it, sent afterwards with retries."""

    id: Serial

    created_at = Timestamptz(default=TimestamptzNow())
    recipient = Varchar(length=254)
    subject = Varchar(length=300)
    body = Text()
    status = Varchar(length=16, default="queued", index=True)  # queued | sent | failed
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    last_error = Text(default="")
    sent_at = Timestamptz(null=True, default=None)
    kind = Varchar(length=64, default="")
    # One iCalendar part (an invitation): sent as text/calendar beside the text and as invite.ics; "" for none.
    calendar = Text(default="")
    calendar_method = Varchar(length=16, default="")  # REQUEST | CANCEL


class JobState(str, Enum):
    """Where a queued job is: ``queued → running → done | failed`` (a failed attempt before the last goes back to
    ``queued`` with a later ``run_after``; a cancelled runner puts its job back to ``queued``)."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Job(Table, tablename="job"):
    """One piece of background work (core.jobs): a registered handler's ``kind`` and its JSON ``payload`` (ids, never
    personal data), claimed by one runner at a time under a lease."""

    # The primary key Piccolo adds to every table; declared so that type checkers know it.
    id: Serial

    kind = Varchar(length=100)
    payload = JSON(default={})
    state = Varchar(length=16, default=JobState.queued.value, choices=JobState, index=True)
    attempts = Integer(default=0)  # attempts started (a claim counts one; a cancelled runner gives it back)
    run_after = Timestamptz(default=TimestamptzNow(), index=True)
    claimed_by = Varchar(length=100, default="")  # the runner of the latest attempt
    lease_until = Timestamptz(null=True, default=None)  # a running job whose lease passed is claimed again
    progress_done = Integer(default=0)
    progress_total = Integer(default=0)
    progress_message = Varchar(length=200, default="")
    result = JSON(null=True, default=None)
    error = Varchar(length=300, default="")  # exception class and a safe short text, never personal data
    unique_key = Varchar(length=200, null=True, default=None)
    # unique_key while the job is queued or running, NULL after: a unique column stands in for a partial unique
    # index (which Piccolo's migrations cannot express), so a key is taken once at a time and free again after.
    live_key = Varchar(length=200, null=True, default=None, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)


class PeriodicTask(Table, tablename="periodic_task"):
    """A registered periodic task (core.jobs): the runner that moves ``next_run_at`` on by one conditional update
    runs it; every other runner's update finds nothing due."""

    id: Serial

    name = Varchar(length=100, unique=True)
    interval_seconds = Integer()
    next_run_at = Timestamptz(default=TimestamptzNow())
    last_started_at = Timestamptz(null=True, default=None)
    last_finished_at = Timestamptz(null=True, default=None)
    last_error = Varchar(length=300, default="")
