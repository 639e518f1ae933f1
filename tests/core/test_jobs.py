"""Background jobs and periodic tasks: each runs once however many runners race for it, in one process or several;
leases, retries, cancellation and progress."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import clock
from core.db import write_transaction
from core.errors import NotFound
from core.jobs import (
    BACKOFF,
    JobContext,
    JobFailed,
    Registry,
    Worker,
    enqueue,
    job_status,
)
from core.offload import run_in_thread
from core.tables import Job, JobState, PeriodicTask

ROOT = Path(__file__).resolve().parent.parent.parent
START = dt.datetime(2027, 4, 1, 9, 0, tzinfo=dt.UTC)


class FrozenClock:
    """``core.clock`` fixed at a time that the test moves on."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self.at = START
        self._stack = stack
        stack.enter_context(clock.frozen(self.at))

    def advance(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)
        self._stack.enter_context(clock.frozen(self.at))


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with contextlib.ExitStack() as stack:
        yield FrozenClock(stack)


@pytest.fixture
def registry() -> Registry:
    return Registry()


class Rollback(Exception):
    pass


async def test_a_job_runs_once_and_its_result_and_progress_are_readable(registry, frozen):
    seen: list[dict] = []

    async def count_bookings(context: JobContext) -> dict:
        seen.append(context.payload)
        await context.progress(1, 2, "half")
        assert (await job_status(context.job_id)).fraction == 0.5  # readable while it runs
        await context.progress(2, 2, "all")
        return {"counted": 42}

    registry.register_job("booking.count", count_bookings)
    job_id = await enqueue("booking.count", {"session_id": 7})
    queued = await job_status(job_id)
    assert (queued.state, queued.attempts, queued.started_at) == (JobState.queued, 0, None)

    assert await Worker(registry).run_once() == 1
    assert await Worker(registry).run_once() == 0  # done: nobody runs it again

    status = await job_status(job_id)
    assert seen == [{"session_id": 7}]
    assert status.state is JobState.done and status.finished
    assert (status.attempts, status.result, status.error) == (1, {"counted": 42}, "")
    assert (status.done, status.total, status.message, status.fraction) == (2, 2, "all", 1.0)
    assert status.finished_at == START
    with pytest.raises(NotFound):
        await job_status(job_id + 1000)


async def test_a_job_enqueued_in_a_rolled_back_transaction_does_not_exist(registry):
    with pytest.raises(Rollback):
        async with write_transaction():
            await enqueue("booking.count", {"session_id": 7})
            raise Rollback
    assert await Job.count() == 0

    async with write_transaction():
        job_id = await enqueue("booking.count", {"session_id": 7})
    assert (await job_status(job_id)).state is JobState.queued


async def test_a_unique_key_gives_back_the_queued_or_running_job(registry, frozen):
    async def handler(context: JobContext) -> None:
        month = context.payload["month"]
        again = await enqueue("flyers.render", {"month": month}, unique_key=f"flyers:{month}")
        assert again == context.job_id  # running: still the same job

    registry.register_job("flyers.render", handler)
    first = await enqueue("flyers.render", {"month": "2027-04"}, unique_key="flyers:2027-04")
    assert await enqueue("flyers.render", {"month": "2027-04"}, unique_key="flyers:2027-04") == first
    other = await enqueue("flyers.render", {"month": "2027-05"}, unique_key="flyers:2027-05")
    assert other != first
    assert await Job.count() == 2

    assert await Worker(registry).run_once() == 2
    assert (await job_status(first)).state is (await job_status(other)).state is JobState.done
    later = await enqueue("flyers.render", {"month": "2027-04"}, unique_key="flyers:2027-04")
    assert later not in (first, other)  # the key is free again once its job is done
    row = await Job.select(Job.unique_key, Job.live_key).where(Job.id == first).first()
    assert row == {"unique_key": "flyers:2027-04", "live_key": None}


async def test_a_failing_handler_is_retried_with_back_off_then_fails_with_its_error(registry, frozen, caplog):
    calls: list[int] = []

    async def broken(context: JobContext) -> None:
        calls.append(context.attempt)
        raise ValueError("no contact for tanaka@example.jp")  # a library's text may quote personal data

    registry.register_job("booking.remind", broken, max_attempts=3)
    job_id = await enqueue("booking.remind", {"booking_id": 12})
    worker = Worker(registry)
    with caplog.at_level(logging.ERROR, logger="outreach.jobs"):
        assert await worker.run_once() == 1
    status = await job_status(job_id)
    assert (status.state, status.attempts, status.error) == (JobState.queued, 1, "ValueError")
    assert status.run_after == START + BACKOFF
    assert [r.getMessage() for r in caplog.records] == [f"job {job_id} (booking.remind) failed on attempt 1 of 3"]

    assert await worker.run_once() == 0  # backing off
    frozen.advance(seconds=BACKOFF.total_seconds())
    assert await worker.run_once() == 1
    assert (await job_status(job_id)).run_after == frozen.at + 2 * BACKOFF  # doubled
    frozen.advance(seconds=2 * BACKOFF.total_seconds())
    assert await worker.run_once() == 1

    status = await job_status(job_id)
    assert calls == [1, 2, 3]
    assert (status.state, status.attempts, status.error, status.finished_at) == (
        JobState.failed,
        3,
        "ValueError",
        frozen.at,
    )
    frozen.advance(hours=2)
    assert await worker.run_once() == 0  # failed for good
    assert "tanaka" not in caplog.text.split("Traceback")[0]  # the log line itself carries the id, not the data


async def test_a_job_failed_raises_keeps_its_safe_message(registry, frozen):
    async def refuse(context: JobContext) -> None:
        raise JobFailed("the venue has no coordinates")

    registry.register_job("planner.solve", refuse, max_attempts=1)
    job_id = await enqueue("planner.solve", {"plan_id": 3})
    assert await Worker(registry).run_once() == 1
    status = await job_status(job_id)
    assert (status.state, status.error) == (JobState.failed, "JobFailed: the venue has no coordinates")


async def test_a_job_whose_runner_died_is_run_again_after_its_lease(registry, frozen):
    ran: list[str] = []

    async def handler(context: JobContext) -> str:
        ran.append(context.payload["name"])
        return "ok"

    failed: list[dict] = []

    async def on_failed(payload: dict) -> None:
        failed.append(dict(payload))

    registry.register_job("plan.export", handler, max_attempts=2, on_failed=on_failed)
    job_id = await enqueue("plan.export", {"name": "a"})
    lost = await enqueue("plan.export", {"name": "b"})
    # Two runners took the jobs and died (the process was killed): rows left running under their leases.
    for dead, attempts in ((job_id, 1), (lost, 2)):
        await Job.update(
            {
                Job.state: JobState.running.value,
                Job.attempts: attempts,
                Job.claimed_by: "dead-runner",
                Job.lease_until: START + dt.timedelta(minutes=5),
            }
        ).where(Job.id == dead)

    worker = Worker(registry, lease_seconds=300)
    assert await worker.run_once() == 0  # the lease still holds
    frozen.advance(minutes=5)
    assert await worker.run_once() == 2
    status = await job_status(job_id)
    assert (ran, status.state, status.attempts, status.result) == (["a"], JobState.done, 2, "ok")
    gave_up = await job_status(lost)  # it had died on its last attempt: failed, not run a third time
    assert (gave_up.state, gave_up.attempts, gave_up.error) == (
        JobState.failed,
        3,
        "WorkerLost: the runner stopped during the job",
    )
    assert failed == [{"name": "b"}]  # the domain hears of the job lost for good


async def test_a_cancelled_runner_puts_its_job_back_in_the_queue(registry, frozen):
    started = asyncio.Event()

    async def slow(context: JobContext) -> None:
        started.set()
        await asyncio.Event().wait()  # forever

    registry.register_job("flyers.render", slow)
    job_id = await enqueue("flyers.render", {"month": "2027-04"})
    runner = asyncio.create_task(Worker(registry).run_forever(poll_seconds=0))
    await asyncio.wait_for(started.wait(), 10)
    assert (await job_status(job_id)).state is JobState.running
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner

    status = await job_status(job_id)
    assert (status.state, status.attempts) == (JobState.queued, 0)  # not counted as a failed attempt
    row = await Job.select(Job.claimed_by, Job.lease_until).where(Job.id == job_id).first()
    assert row == {"claimed_by": "", "lease_until": None}


async def test_a_periodic_task_runs_once_per_interval_however_many_runners_race(registry, frozen):
    runs: list[dt.datetime] = []

    async def purge() -> None:
        runs.append(clock.now())

    registry.register_periodic("booking.purge", 3600, purge)
    runners = [Worker(registry) for _ in range(8)]

    ran = await asyncio.gather(*(runner.run_once() for runner in runners))
    assert (sorted(ran), runs) == ([0] * 7 + [1], [START])
    frozen.advance(minutes=59)
    assert sum(await asyncio.gather(*(runner.run_once() for runner in runners))) == 0
    frozen.advance(minutes=1)
    assert sum(await asyncio.gather(*(runner.run_once() for runner in runners))) == 1
    assert runs == [START, START + dt.timedelta(hours=1)]
    row = await PeriodicTask.select().where(PeriodicTask.name == "booking.purge").first()
    assert (row["interval_seconds"], row["next_run_at"], row["last_error"]) == (
        3600,
        frozen.at + dt.timedelta(hours=1),
        "",
    )


async def test_a_failing_periodic_task_is_logged_and_waits_for_its_next_interval(registry, frozen):
    async def broken() -> None:
        raise RuntimeError("boom")

    registry.register_periodic("booking.no_shows", 60, broken)
    worker = Worker(registry)
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    row = await PeriodicTask.select(PeriodicTask.last_error).where(PeriodicTask.name == "booking.no_shows").first()
    assert row["last_error"] == "RuntimeError"


async def test_twenty_jobs_claimed_by_four_runners_run_once_each(registry):
    ran: list[int] = []

    async def handler(context: JobContext) -> None:
        ran.append(context.job_id)
        await asyncio.sleep(0)  # let the other runners claim meanwhile

    registry.register_job("test.job", handler)
    ids = [await enqueue("test.job", {"n": n}) for n in range(20)]
    counts = await asyncio.gather(*(Worker(registry).run_once() for _ in range(4)))
    assert sum(counts) == 20
    assert sorted(ran) == sorted(ids)
    assert await Job.count().where(Job.state == JobState.done.value) == 20


async def test_a_runner_leaves_kinds_it_does_not_know(registry):
    async def handler(context: JobContext) -> None:
        pass

    registry.register_job("known", handler)
    unknown = await enqueue("added.in.a.later.release", {})
    assert await Worker(registry).run_once() == 0
    assert (await job_status(unknown)).state is JobState.queued


_RACER = """
import asyncio, sys, time
from core.jobs import Registry, Worker

out, start_at = sys.argv[1], float(sys.argv[2])

def record(line):
    with open(out, "a") as f:
        f.write(line + "\\n")

async def tick():
    record("periodic")

async def job(context):
    record(f"job {context.job_id}")
    await asyncio.sleep(0.01)

async def main():
    registry = Registry()
    registry.register_periodic("race", 3600, tick)
    registry.register_job("race.job", job)
    worker = Worker(registry)
    await asyncio.sleep(max(0.0, start_at - time.time()))  # all three start together
    print(await worker.run_once())

asyncio.run(main())
"""


async def test_runners_in_three_processes_run_each_task_and_job_once(tmp_path):
    ids = [await enqueue("race.job", {"n": n}) for n in range(20)]
    out = tmp_path / "ran.txt"
    start_at = time.time() + 3  # after the three interpreters have imported everything
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _RACER,
            str(out),
            str(start_at),
            cwd=ROOT,
            env=dict(os.environ),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outputs = [await asyncio.wait_for(process.communicate(), 120) for process in processes]
    for process, (_stdout, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr.decode()
    lines = out.read_text().splitlines()
    assert lines.count("periodic") == 1
    assert sorted(line for line in lines if line.startswith("job")) == sorted(f"job {i}" for i in ids)
    assert sum(int(stdout) for stdout, _stderr in outputs) == 21


async def test_progress_reported_from_a_thread_is_recorded(registry):
    def solve(report) -> int:  # a blocking solver with a progress callback, as HiGHS calls it
        for step in range(1, 101):
            report(step, 100, f"step {step}")
        return threading.get_ident()

    async def handler(context: JobContext) -> bool:
        thread = await run_in_thread(solve, context.progress_threadsafe)
        return thread != threading.get_ident()

    registry.register_job("planner.solve", handler)
    job_id = await enqueue("planner.solve", {"plan_id": 1})
    assert await Worker(registry).run_once() == 1
    status = await job_status(job_id)
    assert (status.result, status.done, status.total, status.message) == (True, 100, 100, "step 100")


async def test_run_forever_survives_a_database_error(registry, caplog):
    looks = 0

    class FlakyWorker(Worker):
        async def run_jobs_once(self) -> int:
            nonlocal looks
            looks += 1
            if looks == 1:
                raise OSError("connection refused")
            return await super().run_jobs_once()

    done = asyncio.Event()

    async def handler(context: JobContext) -> None:
        done.set()

    registry.register_job("test.job", handler)
    await enqueue("test.job", {})
    runner = asyncio.create_task(FlakyWorker(registry).run_forever(poll_seconds=0.01))
    await asyncio.wait_for(done.wait(), 10)
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert looks >= 2 and "trying again" in caplog.text


async def test_a_long_job_does_not_hold_up_the_periodic_tasks(registry):
    release = asyncio.Event()
    ticks = 0

    async def long_job(context: JobContext) -> None:
        await release.wait()  # a solve or a month of flyers

    async def tick() -> None:
        nonlocal ticks
        ticks += 1

    registry.register_job("test.long", long_job)
    registry.register_periodic("test.tick", 1, tick)
    job_id = await enqueue("test.long", {})
    runner = asyncio.create_task(Worker(registry).run_forever(poll_seconds=0.05))
    try:
        for _ in range(200):
            if ticks >= 2:
                break
            await asyncio.sleep(0.05)
        assert ticks >= 2 and (await job_status(job_id)).state == JobState.running
    finally:
        release.set()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner


def test_a_kind_has_one_handler(registry):
    async def one(context: JobContext) -> None:
        pass

    async def other(context: JobContext) -> None:
        pass

    registry.register_job("x", one)
    registry.register_job("x", one)  # the wiring may run twice (an app per test)
    with pytest.raises(ValueError):
        registry.register_job("x", other)
    with pytest.raises(ValueError):
        registry.register_periodic("y", 0, other)  # type: ignore[arg-type]


async def test_a_payload_is_json():
    with pytest.raises(TypeError):
        await enqueue("x", {"when": dt.date(2027, 4, 1)})
    assert await Job.count() == 0
