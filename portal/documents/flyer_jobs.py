"""A month's flyers as one ZIP, made as a background job (core.jobs, kind ``flyers.month_zip``): the job renders the
files one by one in the flyer threads and reports its progress in its job row, which any worker reads; the ZIP is
written under ``var/jobs/`` and removed a day later. ``render`` also serves the public flyer requests."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from booking.booths import upcoming_booths
from core.errors import NotFound
from core.i18n import gettext as _
from core.jobs import JobContext, JobFailed, JobState, Registry, default_registry, enqueue, job_payload, job_status
from core.settings import get_settings
from portal.documents.flyers import by_month, extent_of, month_files
from portal.documents.venue_map import TileSource

logger = logging.getLogger(__name__)

KIND = "flyers.month_zip"
KEEP_SECONDS = 24 * 3600  # finished ZIPs are removed a day later
# Flyers render in at most two threads per worker, public requests and jobs alike: a burst of requests for
# flyers cannot take every thread (or the whole CPU) of a worker.
RENDER_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="flyers")


@dataclass(frozen=True)
class FlyerJob:
    """A flyer set's job as the staff page shows it."""

    id: int
    month: str
    state: str  # "running" (queued or running) | "done" | "failed"
    done: int  # files rendered
    total: int
    file_name: str  # the ZIP's name for the download


async def render(function: Callable[..., bytes], *args: Any) -> bytes:
    """Run a CPU-heavy rendering function in the flyer threads, keeping the event loop free. It runs in a copy of
    the caller's context: the request's locale (a context variable) is the one the document is written in."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(RENDER_POOL, context.run, function, *args)


def jobs_dir() -> Path:
    """``var/jobs/``, where the finished ZIPs live (shared by every worker of the machine)."""
    path = get_settings().var_dir / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def zip_path(job_id: int) -> Path:
    """Where a job's finished ZIP is."""
    return jobs_dir() / f"flyers-{job_id}.zip"


def set_size(booths: int) -> int:
    """How many files a month's set has: a PDF and a PNG per booth, and the month's poster (``month_files``)."""
    return 2 * booths + 1


async def start_month_zip(month: str, booths: int) -> int:
    """Queue the making of a month's flyer set of ``booths`` booths; returns the job id."""
    return await enqueue(KIND, {"month": month}, total=set_size(booths))


async def read_job(job_id: int) -> FlyerJob:
    """A flyer job's progress, from any worker (NotFound for another kind of job, or one older than a day)."""
    try:
        month = str((await job_payload(job_id, KIND))["month"])
        status = await job_status(job_id)
    except NotFound:
        raise NotFound(_("These flyers were not found. They are kept for a day.")) from None
    if status.state == JobState.done and not zip_path(job_id).exists():
        raise NotFound(_("These flyers were not found. They are kept for a day."))
    state = {JobState.done: "done", JobState.failed: "failed"}.get(status.state, "running")
    return FlyerJob(job_id, month, state, status.done, status.total, f"flyers-{month}.zip")


async def build_month_zip(context: JobContext) -> dict[str, Any]:
    """Handler of ``flyers.month_zip``: render the month's set into a ZIP, reporting each file."""
    month = str(context.payload["month"])
    upcoming = await upcoming_booths()
    booths = by_month(upcoming).get(month)
    if not booths:
        raise JobFailed(_("There is no published booth in this month."))
    settings = get_settings()
    files = month_files(
        month,
        booths,
        settings.base_url,
        phone=settings.booking_phone,
        extent=extent_of(upcoming),
        tiles=TileSource.of(settings),
    )
    target = zip_path(context.job_id)
    partial = target.with_suffix(f".{os.getpid()}.part")
    await context.progress(0, len(files))
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:  # PDF and PNG are compressed
            for number, file in enumerate(files, start=1):
                archive.writestr(file.name, await render(file.render))
                await context.progress(number, len(files))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    logger.info("flyer job %s done: %s files for %s", context.job_id, len(files), month)
    return {"month": month, "files": len(files)}


async def remove_old_zips(now: float | None = None) -> int:
    """Delete the ZIPs (and parts left by a stopped worker) older than KEEP_SECONDS; returns how many."""
    limit = (now or time.time()) - KEEP_SECONDS
    removed = 0
    for path in jobs_dir().glob("flyers-*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except OSError:
            pass
    return removed


def register(registry: Registry = default_registry) -> None:
    """The flyer jobs (called by ``wiring.register``)."""
    registry.register_job(KIND, build_month_zip, max_attempts=2)
    registry.register_periodic("flyers.remove_old_zips", 3600, remove_old_zips)
