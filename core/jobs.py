"""Background work: queued jobs and periodic tasks, each run once per deployment however many runners serve, claimed
in the database (SQLite or PostgreSQL; no Redis).

Wiring (explicit, never at import time): each app registers its handlers with ``register_job(kind, handler)`` and
``register_periodic(name, seconds, handler)``; a ``Worker`` runs them. ``run_once()`` claims and runs everything due
now (tests call it with a frozen ``core.clock``); ``run_forever(poll_seconds)`` does that every ``poll_seconds`` and
stops on cancellation, putting the job it was running back in the queue.

- A job is a ``Job`` row: ``enqueue()`` it inside the transaction of the change that causes it, so that it exists only
  if that change commits. A runner claims the oldest due job with one conditional ``UPDATE ... RETURNING`` (on SQLite
  in an IMMEDIATE write transaction, on PostgreSQL through ``FOR UPDATE SKIP LOCKED``), under a lease it renews while
  the handler runs; a job whose runner died is claimed again once its lease has passed. So a job runs at least once,
  and twice only when a runner dies or loses the database for a whole lease mid-job: handlers should be safe to repeat.
  A handler that raises is retried with back-off and marked failed after ``max_attempts`` attempts.
- A periodic task is a ``PeriodicTask`` row: the runner whose conditional update moves ``next_run_at`` on runs it,
  at most once per interval across all runners. A failed run is logged and waits for the next interval.

CPU-heavy handlers must not hold the runner's event loop (in a web process that would stall every request): they
hand the work to ``core.offload.run_in_thread`` (code that releases the GIL, such as HiGHS; report progress from the
thread with ``JobContext.progress_threadsafe``) or ``core.offload.run_in_process`` (long pure-Python work such as
WeasyPrint rendering a month of flyers).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from piccolo.custom_types import Combinable

from core import clock
from core.db import is_sqlite, write_transaction
from core.errors import DomainError, NotFound
from core.i18n import gettext as _
from core.settings import get_settings
from core.tables import Job, JobState, PeriodicTask

log = logging.getLogger("outreach.jobs")

DEFAULT_MAX_ATTEMPTS = 3
BACKOFF = dt.timedelta(seconds=30)  # before the second attempt; doubled before each further one
MAX_BACKOFF = dt.timedelta(hours=1)
_MESSAGE_LENGTH = 200  # Job.progress_message
_ERROR_LENGTH = 300  # Job.error, PeriodicTask.last_error

JobHandler = Callable[["JobContext"], Awaitable[Any]]  # returns the job's result (JSON-serialisable) or None
FailedHandler = Callable[[Mapping[str, Any]], Awaitable[None]]  # told the payload of a job that failed for good
PeriodicHandler = Callable[[], Awaitable[Any]]


# --- registry --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobKind:
    """A registered kind of job: the handler that runs it and how many attempts it gets."""

    kind: str
    handler: JobHandler
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    on_failed: FailedHandler | None = None  # the domain's record of a job that failed for good (runner lost too)


@dataclass(frozen=True)
class Periodic:
    """A registered periodic task: its handler runs once every ``seconds`` across all runners."""

    name: str
    seconds: int
    handler: PeriodicHandler


class Registry:
    """The handlers a runner knows. A runner claims only the kinds registered with it, so a runner of an older
    release leaves a new kind of job to the runners that know it."""

    def __init__(self) -> None:
        self.jobs: dict[str, JobKind] = {}
        self.periodic: dict[str, Periodic] = {}

    def register_job(
        self,
        kind: str,
        handler: JobHandler,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        on_failed: FailedHandler | None = None,
    ) -> None:
        """Register the handler of a kind of job (registering the same again is harmless). ``on_failed(payload)`` runs
        when a job of this kind fails for good, also when its runner was lost during the last attempt."""
        if not 0 < len(kind) <= 100:
            raise ValueError("a job kind has 1 to 100 characters")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        entry = JobKind(kind, handler, max_attempts, on_failed)
        if self.jobs.setdefault(kind, entry) != entry:
            raise ValueError(f"job kind {kind!r} is registered with another handler")

    def register_periodic(self, name: str, seconds: int, handler: PeriodicHandler) -> None:
        """Register a task to run every ``seconds`` (registering the same again is harmless)."""
        if not 0 < len(name) <= 100:
            raise ValueError("a periodic task's name has 1 to 100 characters")
        if seconds < 1:
            raise ValueError("a periodic task's interval is at least 1 second")
        entry = Periodic(name, seconds, handler)
        if self.periodic.setdefault(name, entry) != entry:
            raise ValueError(f"periodic task {name!r} is registered with another handler or interval")


default_registry = Registry()  # the process's handlers, filled by the apps' wiring


def register_job(
    kind: str, handler: JobHandler, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS, on_failed: FailedHandler | None = None
) -> None:
    """Register ``async def handler(context: JobContext)`` for jobs of ``kind`` in the process's registry."""
    default_registry.register_job(kind, handler, max_attempts=max_attempts, on_failed=on_failed)


def register_periodic(name: str, seconds: int, handler: PeriodicHandler) -> None:
    """Register ``async def handler()`` to run every ``seconds`` in the process's registry."""
    default_registry.register_periodic(name, seconds, handler)


# --- enqueue and read ------------------------------------------------------------------------------------------------


async def enqueue(
    kind: str,
    payload: Mapping[str, Any],
    *,
    unique_key: str | None = None,
    run_after: dt.datetime | None = None,
    total: int = 0,
) -> int:
    """Queue a job and return its id. Call it inside the transaction of the change that causes the job: the job is
    visible only once that commits. ``payload`` is JSON (ids, never personal data). While a job with the same
    ``unique_key`` is queued or running, that job's id comes back instead of a new one. ``total``, when the caller
    knows it, is the job's amount of work before it starts (its progress reads "0 of total" while queued)."""
    text = json.dumps(dict(payload))  # refuses what JSON cannot hold, here rather than in the runner
    if unique_key is not None and not 0 < len(unique_key) <= 200:
        raise ValueError("a unique key has 1 to 200 characters")
    if run_after is not None and run_after.tzinfo is None:
        raise ValueError("run_after must be an aware datetime")
    async with write_transaction():
        for _attempt in range(3):  # a job holding the key may finish between the insert and the select
            now = clock.now()
            insert = Job.insert(
                Job(
                    kind=kind,
                    payload=text,
                    state=JobState.queued.value,
                    run_after=run_after or now,
                    unique_key=unique_key,
                    live_key=unique_key,
                    progress_total=max(0, total),
                    created_at=now,
                )
            )
            if unique_key is not None:
                insert = insert.on_conflict(target=Job.live_key, action="DO NOTHING")
            inserted = await insert.returning(Job.id)
            if inserted:
                return int(inserted[0]["id"])
            holder = await Job.select(Job.id).where(Job.live_key == unique_key).first()
            if holder is not None:
                return int(holder["id"])
    raise RuntimeError(f"could not queue a {kind} job under its unique key")


@dataclass(frozen=True)
class JobStatus:
    """What any process can read about a job (the payload stays out: a status is shown to staff)."""

    id: int
    kind: str
    state: JobState
    attempts: int
    done: int  # progress as the handler last reported it
    total: int
    message: str
    result: Any  # the handler's return value once done
    error: str  # the last failed attempt's exception class and safe text
    created_at: dt.datetime
    run_after: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @property
    def finished(self) -> bool:
        return self.state in (JobState.done, JobState.failed)

    @property
    def fraction(self) -> float | None:
        """Progress from 0 to 1, or None before the handler reported a total."""
        return min(1.0, self.done / self.total) if self.total > 0 else None


async def job_status(job_id: int) -> JobStatus:
    """The job's state, progress, result and error (NotFound when there is no such job)."""
    row = await Job.select().where(Job.id == job_id).output(load_json=True).first()
    if row is None:
        raise NotFound(_("Not found"))
    return JobStatus(
        id=row["id"],
        kind=row["kind"],
        state=JobState(row["state"]),
        attempts=row["attempts"],
        done=row["progress_done"],
        total=row["progress_total"],
        message=row["progress_message"],
        result=row["result"],
        error=row["error"],
        created_at=row["created_at"],
        run_after=row["run_after"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


async def job_payload(job_id: int, kind: str) -> dict[str, Any]:
    """The payload of a job of ``kind`` (NotFound for another kind or no job), for the page that shows that kind's
    jobs (e.g. which month a flyer set is of)."""
    row = await Job.select(Job.payload).where((Job.id == job_id) & (Job.kind == kind)).output(load_json=True).first()
    if row is None:
        raise NotFound(_("Not found"))
    payload: dict[str, Any] = row["payload"]
    return payload


# --- claiming --------------------------------------------------------------------------------------------------------

# The claim of the oldest due job (queued and due, or running with its lease passed): one conditional UPDATE, the
# same text on both databases but for the kind filter (a JSON list on SQLite, an array on PostgreSQL) and the row
# lock. SQLite runs it in an IMMEDIATE transaction (one writer at a time); on PostgreSQL the subquery locks the row it
# picks and skips rows other runners have locked, so concurrent claims take different jobs without waiting.
_CLAIM_SET = (
    "UPDATE job SET state = {}, attempts = attempts + 1, claimed_by = {}, lease_until = {}, started_at = {} "
    "WHERE id = (SELECT id FROM job WHERE "
)
_CLAIM_DUE = (
    " AND ((state = {} AND run_after <= {}) OR (state = {} AND lease_until <= {})) ORDER BY run_after, id LIMIT 1"
)
_CLAIM_RETURNING = ") RETURNING id, kind, payload, attempts"
_CLAIM_SQLITE = _CLAIM_SET + "kind IN (SELECT value FROM json_each({}))" + _CLAIM_DUE + _CLAIM_RETURNING
_CLAIM_POSTGRES = _CLAIM_SET + "kind = ANY({})" + _CLAIM_DUE + " FOR UPDATE SKIP LOCKED" + _CLAIM_RETURNING

# A periodic task's row, made on a runner's first look; a shortened interval pulls a far next run in.
_UPSERT_PERIODIC = (
    "INSERT INTO periodic_task (name, interval_seconds, next_run_at, last_error) VALUES ({}, {}, {}, '') "
    "ON CONFLICT (name) DO UPDATE SET interval_seconds = excluded.interval_seconds, next_run_at = "
    "CASE WHEN periodic_task.next_run_at > {} THEN {} ELSE periodic_task.next_run_at END"
)


def _one_statement() -> contextlib.AbstractAsyncContextManager[Any]:
    """A write transaction on SQLite (IMMEDIATE, with this process's write turns); nothing on PostgreSQL, where one
    statement is atomic by itself."""
    return write_transaction() if is_sqlite() else contextlib.nullcontext()


@dataclass(frozen=True)
class _Claim:
    job_id: int
    kind: str
    payload: dict[str, Any]
    attempt: int  # with the runner's name, tells this claim from any later one of the same job
    runner: str


def _mine(claim: _Claim) -> Combinable:
    """The job's row while this claim still holds it (not finished, not claimed again after a lost lease)."""
    condition: Combinable = (
        (Job.id == claim.job_id)
        & (Job.claimed_by == claim.runner)
        & (Job.attempts == claim.attempt)
        & (Job.state == JobState.running.value)
    )
    return condition


class JobFailed(Exception):
    """Raise from a handler to fail the attempt with a message that is safe to store and show (no personal data)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _safe_error(exc: BaseException) -> str:
    """The exception's class, and its text only when it is ours: a domain error's message is written for people
    and carries no personal data, while a library's (a database constraint, say) may quote the row."""
    text = exc.message if isinstance(exc, DomainError | JobFailed) else ""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return f"{type(exc).__name__}: {line}"[:_ERROR_LENGTH] if line else type(exc).__name__


class JobContext:
    """What a job handler gets: the job's id and payload, and ``progress()`` that any process can read."""

    def __init__(self, claim: _Claim, lease: dt.timedelta) -> None:
        self.job_id = claim.job_id
        self.payload = claim.payload
        self.attempt = claim.attempt
        self._claim = claim
        self._lease = lease
        self._loop = asyncio.get_running_loop()
        self._pending: tuple[int, int, str] | None = None  # the latest report from a thread, not yet recorded
        self._pending_lock = threading.Lock()
        self._flushing: asyncio.Task[None] | None = None

    async def progress(self, done: int, total: int, message: str = "") -> None:
        """Record how far the job is (``done`` of ``total``, and a short message without personal data)."""
        async with _one_statement():
            await Job.update(
                {
                    Job.progress_done: max(0, int(done)),
                    Job.progress_total: max(0, int(total)),
                    Job.progress_message: message[:_MESSAGE_LENGTH],
                    Job.lease_until: clock.now() + self._lease,
                }
            ).where(_mine(self._claim))

    def progress_threadsafe(self, done: int, total: int, message: str = "") -> None:
        """``progress()`` from a worker thread (e.g. the solver's callback under ``run_in_thread``): returns at once;
        reports arriving faster than the database takes them are merged, the latest kept."""
        with self._pending_lock:
            self._pending = (done, total, message)
        self._loop.call_soon_threadsafe(self._flush_soon)

    def _flush_soon(self) -> None:
        if self._flushing is None or self._flushing.done():
            self._flushing = self._loop.create_task(self._flush())

    async def _flush(self) -> None:
        while True:
            with self._pending_lock:
                report, self._pending = self._pending, None
            if report is None:
                return
            try:
                await self.progress(*report)
            except Exception:  # progress is advice: a lost report must not fail the job
                log.warning("job %s: progress not recorded", self.job_id, exc_info=True)

    async def _settle(self) -> None:
        """Let the last report from a thread reach the database before the job's outcome is written."""
        if self._flushing is not None:
            await asyncio.gather(self._flushing, return_exceptions=True)


# --- the runner ------------------------------------------------------------------------------------------------------


class Worker:
    """A runner: claims due periodic tasks and jobs of the kinds in its registry and runs them one at a time."""

    def __init__(
        self, registry: Registry | None = None, *, name: str | None = None, lease_seconds: float | None = None
    ) -> None:
        self.registry = default_registry if registry is None else registry
        self.name = (name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}")[:100]
        seconds = get_settings().job_lease_seconds if lease_seconds is None else lease_seconds
        self.lease = dt.timedelta(seconds=seconds)
        self._periodic_rows: set[str] = set()

    async def run_forever(self, poll_seconds: float | None = None) -> None:
        """Run what is due every ``poll_seconds`` (default WORKER_POLL_SECONDS) until cancelled; a database error is
        logged and the next look tries again."""
        poll = get_settings().worker_poll_seconds if poll_seconds is None else poll_seconds
        log.info(
            "job runner %s started (%s kinds, %s periodic)",
            self.name,
            len(self.registry.jobs),
            len(self.registry.periodic),
        )
        try:
            # Periodic tasks and jobs in two loops: a long job (a solve, a month of flyers) never holds up the
            # emails or the release of late bookings.
            async with asyncio.TaskGroup() as group:
                group.create_task(self._loop(self.run_periodic_once, poll))
                group.create_task(self._loop(self.run_jobs_once, poll))
        finally:
            log.info("job runner %s stopped", self.name)

    async def _loop(self, step: Callable[[], Awaitable[int]], poll: float) -> None:
        while True:
            try:
                await step()
            except Exception:  # the runner must outlive a database restart
                log.exception("job runner %s: look for work failed; trying again in %s s", self.name, poll)
            await asyncio.sleep(poll)

    async def run_once(self) -> int:
        """Run every periodic task and job due now; returns how many ran (failed runs included)."""
        return await self.run_periodic_once() + await self.run_jobs_once()

    async def run_periodic_once(self) -> int:
        """Run every periodic task due now; returns how many ran."""
        ran = 0
        due = await self._periodic_due()
        for periodic in list(self.registry.periodic.values()):
            if (due is None or periodic.name in due) and await self._claim_periodic(periodic):
                await self._run_periodic(periodic)
                ran += 1
        return ran

    async def run_jobs_once(self) -> int:
        """Run every job due now, one after the other; returns how many ran."""
        ran = 0
        while (claim := await self._claim_job()) is not None:
            await self._run_job(claim)
            ran += 1
        return ran

    # periodic tasks

    async def _periodic_due(self) -> set[str] | None:
        """On SQLite, the names worth a claim (due, or not yet seen by this runner), found by a read: an idle runner
        then takes no write lock, which the portal's bookings would wait for. None (all) on PostgreSQL, where a
        claim that finds nothing costs no more than the read."""
        if not is_sqlite():
            return None
        rows = await PeriodicTask.select(PeriodicTask.name).where(PeriodicTask.next_run_at <= clock.now())
        return {row["name"] for row in rows} | (set(self.registry.periodic) - self._periodic_rows)

    async def _claim_periodic(self, periodic: Periodic) -> bool:
        now = clock.now()
        interval = dt.timedelta(seconds=periodic.seconds)
        async with _one_statement():
            if periodic.name not in self._periodic_rows:
                await PeriodicTask.raw(
                    _UPSERT_PERIODIC, periodic.name, periodic.seconds, now, now + interval, now + interval
                )
            claimed = (
                await PeriodicTask.update({PeriodicTask.next_run_at: now + interval, PeriodicTask.last_started_at: now})
                .where((PeriodicTask.name == periodic.name) & (PeriodicTask.next_run_at <= now))
                .returning(PeriodicTask.id)
            )
        self._periodic_rows.add(periodic.name)
        return bool(claimed)

    async def _run_periodic(self, periodic: Periodic) -> None:
        try:
            await periodic.handler()
        except asyncio.CancelledError:  # stopped mid-run: due again at once, for the next runner
            await asyncio.shield(self._periodic_due_now(periodic))
            raise
        except Exception as exc:
            log.exception("periodic task %s failed", periodic.name)
            error = _safe_error(exc)
        else:
            error = ""
        await asyncio.shield(self._periodic_finished(periodic, error))

    async def _periodic_due_now(self, periodic: Periodic) -> None:
        async with _one_statement():
            await PeriodicTask.update({PeriodicTask.next_run_at: clock.now()}).where(PeriodicTask.name == periodic.name)

    async def _periodic_finished(self, periodic: Periodic, error: str) -> None:
        async with _one_statement():
            await PeriodicTask.update(
                {PeriodicTask.last_finished_at: clock.now(), PeriodicTask.last_error: error}
            ).where(PeriodicTask.name == periodic.name)

    # jobs

    async def _claim_job(self) -> _Claim | None:
        kinds = sorted(self.registry.jobs)
        if not kinds:
            return None
        now = clock.now()
        running, queued = JobState.running.value, JobState.queued.value
        if is_sqlite():
            if not await self._job_due(kinds, now):  # as for periodic tasks: no write lock while idle
                return None
            async with write_transaction():
                rows = await Job.raw(
                    _CLAIM_SQLITE,
                    running,
                    self.name,
                    now + self.lease,
                    now,
                    json.dumps(kinds),
                    queued,
                    now,
                    running,
                    now,
                )
        else:
            rows = await Job.raw(
                _CLAIM_POSTGRES, running, self.name, now + self.lease, now, kinds, queued, now, running, now
            )
        if not rows:
            return None
        row = rows[0]
        payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
        return _Claim(int(row["id"]), str(row["kind"]), payload, int(row["attempts"]), self.name)

    @staticmethod
    async def _job_due(kinds: list[str], now: dt.datetime) -> bool:
        due = ((Job.state == JobState.queued.value) & (Job.run_after <= now)) | (
            (Job.state == JobState.running.value) & (Job.lease_until <= now)
        )
        return bool(await Job.exists().where(Job.kind.is_in(kinds) & due))

    async def _run_job(self, claim: _Claim) -> None:
        kind = self.registry.jobs[claim.kind]
        if claim.attempt > kind.max_attempts:  # its runner died during the last attempt
            log.error("job %s (%s): runner lost on the last attempt", claim.job_id, claim.kind)
            await asyncio.shield(self._attempt_failed(claim, kind, "WorkerLost: the runner stopped during the job"))
            return
        context = JobContext(claim, self.lease)
        lease = asyncio.create_task(self._keep_lease(claim))
        try:
            try:
                result = await kind.handler(context)
                result_text = None if result is None else json.dumps(result)
            finally:
                lease.cancel()
                await context._settle()
        except asyncio.CancelledError:  # the runner is stopping: the job goes back to the queue, not counted
            await asyncio.shield(self._give_back(claim))
            raise
        except Exception as exc:
            log.exception(
                "job %s (%s) failed on attempt %s of %s", claim.job_id, claim.kind, claim.attempt, kind.max_attempts
            )
            await asyncio.shield(self._attempt_failed(claim, kind, _safe_error(exc)))
        else:
            await asyncio.shield(self._done(claim, result_text))

    async def _keep_lease(self, claim: _Claim) -> None:
        """Renew the lease while the handler runs, three times per lease."""
        while True:
            await asyncio.sleep(max(0.05, self.lease.total_seconds() / 3))
            try:
                async with _one_statement():
                    kept = (
                        await Job.update({Job.lease_until: clock.now() + self.lease})
                        .where(_mine(claim))
                        .returning(Job.id)
                    )
            except Exception:  # a hiccup: the lease still has two thirds left
                log.warning("job %s: lease not renewed; trying again", claim.job_id, exc_info=True)
                continue
            if not kept:
                log.warning("job %s: lease lost to another runner", claim.job_id)
                return

    async def _done(self, claim: _Claim, result_text: str | None) -> None:
        async with _one_statement():
            finished = (
                await Job.update(
                    {
                        Job.state: JobState.done.value,
                        Job.result: result_text,
                        Job.error: "",
                        Job.lease_until: None,
                        Job.live_key: None,
                        Job.finished_at: clock.now(),
                    }
                )
                .where(_mine(claim))
                .returning(Job.id)
            )
        if not finished:
            log.warning("job %s finished after its lease was lost; its result is dropped", claim.job_id)

    async def _attempt_failed(self, claim: _Claim, kind: JobKind, error: str) -> None:
        now = clock.now()
        values: dict[Any, Any] = {Job.error: error, Job.lease_until: None}
        if claim.attempt >= kind.max_attempts:
            values |= {Job.state: JobState.failed.value, Job.live_key: None, Job.finished_at: now}
        else:
            delay = min(MAX_BACKOFF, BACKOFF * 2 ** (claim.attempt - 1))
            values |= {Job.state: JobState.queued.value, Job.run_after: now + delay}
        async with _one_statement():
            await Job.update(values).where(_mine(claim))
        if claim.attempt >= kind.max_attempts and kind.on_failed is not None:
            try:
                await kind.on_failed(claim.payload)
            except Exception:
                log.exception("job %s (%s): recording its failure failed", claim.job_id, claim.kind)

    async def _give_back(self, claim: _Claim) -> None:
        async with _one_statement():
            await Job.update(
                {
                    Job.state: JobState.queued.value,
                    Job.attempts: Job.attempts - 1,
                    Job.claimed_by: "",
                    Job.lease_until: None,
                }
            ).where(_mine(claim))


class BackgroundRunner:
    """A ``Worker.run_forever`` as a task of the running event loop, started and stopped with the process that hosts
    it (each worker process of ``outreach serve``, unless SERVE_WORKER is off)."""

    def __init__(self, registry: Registry | None = None) -> None:
        self.registry = registry
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(Worker(self.registry).run_forever())

    async def stop(self) -> None:
        """Cancel the runner and wait for it: the job it was running goes back to the queue."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
