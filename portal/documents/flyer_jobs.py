"""A month's flyers as one ZIP, made in the background of the web worker that was asked (no table): the files are
rendered one by one in a thread, and the job's progress is a small JSON file under ``var/jobs/`` that any worker can
read, next to the ZIP it produces."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import time
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from core.settings import get_settings
from portal.documents.flyers import FlyerFile

logger = logging.getLogger(__name__)

JOB_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
KEEP_SECONDS = 24 * 3600  # finished jobs and their ZIPs are removed a day later
STALE_SECONDS = 600  # a job that has not moved for this long died with its worker
# Flyers render in at most two threads per worker, public requests and jobs alike: a burst of requests for
# flyers cannot take every thread (or the whole CPU) of a worker.
RENDER_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="flyers")
_running: set[asyncio.Task] = set()  # the jobs of this worker (a reference keeps a task from being collected)


@dataclass(frozen=True)
class FlyerJob:
    """What a job's progress file says."""

    id: str
    month: str
    state: str  # "running" | "done" | "failed"
    done: int  # files rendered
    total: int
    file_name: str  # the ZIP's name for the download
    updated_at: float  # time.time() of the last change
    error: str = ""


async def render(function, *args):
    """Run a CPU-heavy rendering function in the flyer threads, keeping the event loop free."""
    return await asyncio.get_running_loop().run_in_executor(RENDER_POOL, function, *args)


def jobs_dir() -> Path:
    """``var/jobs/``, where the jobs' progress files and ZIPs live (shared by every worker of the machine)."""
    path = get_settings().var_dir / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _status_path(job_id: str) -> Path:
    return jobs_dir() / f"flyers-{job_id}.json"


def zip_path(job_id: str) -> Path:
    """Where a job's finished ZIP is."""
    return jobs_dir() / f"flyers-{job_id}.zip"


def _write(job: FlyerJob) -> None:
    """Replace the progress file in one step, so a reader never sees half of it."""
    path = _status_path(job.id)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(asdict(job)))
    os.replace(temporary, path)


def read_job(job_id: str) -> FlyerJob | None:
    """A job's progress, from any worker; None for an unknown or malformed id. A running job whose file has not
    changed for STALE_SECONDS is reported as failed (its worker stopped)."""
    if not JOB_ID.fullmatch(job_id):
        return None
    try:
        job = FlyerJob(**json.loads(_status_path(job_id).read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if job.state == "running" and time.time() - job.updated_at > STALE_SECONDS:
        return FlyerJob(**{**asdict(job), "state": "failed", "error": "stopped"})
    return job


def remove_old_jobs(now: float | None = None) -> None:
    """Delete the progress files and ZIPs of jobs older than KEEP_SECONDS."""
    limit = (now or time.time()) - KEEP_SECONDS
    for path in jobs_dir().glob("flyers-*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


async def start_month_zip(month: str, files: Sequence[FlyerFile]) -> FlyerJob:
    """Start building the ZIP of a month's flyer set in the background of this worker; returns the job."""
    remove_old_jobs()
    job = FlyerJob(
        id=secrets.token_urlsafe(16),
        month=month,
        state="running",
        done=0,
        total=len(files),
        file_name=f"flyers-{month}.zip",
        updated_at=time.time(),
    )
    _write(job)
    task = asyncio.create_task(_build(job, list(files)))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return job


async def _build(job: FlyerJob, files: list[FlyerFile]) -> None:
    target = zip_path(job.id)
    partial = target.with_suffix(".part")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:  # PDF and PNG are compressed
            for number, file in enumerate(files, start=1):
                archive.writestr(file.name, await render(file.render))
                _write(FlyerJob(**{**asdict(job), "done": number, "updated_at": time.time()}))
        os.replace(partial, target)
        _write(FlyerJob(**{**asdict(job), "state": "done", "done": len(files), "updated_at": time.time()}))
        logger.info("flyer job %s done: %s files for %s", job.id, len(files), job.month)
    except asyncio.CancelledError:  # the worker is stopping
        partial.unlink(missing_ok=True)
        _write(FlyerJob(**{**asdict(job), "state": "failed", "updated_at": time.time(), "error": "stopped"}))
        raise
    except Exception as exc:  # the job reports every failure through its progress file
        logger.exception("flyer job %s failed", job.id)
        partial.unlink(missing_ok=True)
        _write(FlyerJob(**{**asdict(job), "state": "failed", "updated_at": time.time(), "error": type(exc).__name__}))
