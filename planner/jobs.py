"""The planner's background work (core.jobs): solving a stored version. The solver runs in a process of its own, so
that a web worker that also runs jobs never computes a plan; its progress goes to the version row, where any worker
reads it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from core.db import close_pool, start_pool
from core.i18n import gettext as _
from core.jobs import JobContext, Registry, default_registry, enqueue
from core.offload import run_in_process
from core.settings import get_settings

SOLVE = "planner.solve"


async def queue_solve(version_id: int) -> int:
    """Queue the solving of a version, inside the transaction that marks it queued (planner.services does);
    returns the job id."""
    return await enqueue(SOLVE, {"version_id": version_id}, unique_key=f"{SOLVE}:{version_id}")


async def _solve(version_id: int) -> dict[str, Any]:
    from planner.services import get_version, run_solve
    from planner.tables import SolveState

    await start_pool(get_settings().db_pool)
    try:
        if (await get_version(version_id)).solve_state == SolveState.done:
            return {"skipped": True}  # solved meanwhile (e.g. by `outreach plans solve`, as the demo does)
        result = await run_solve(version_id)
    finally:
        await close_pool()
    return {"status": result.status, "sessions": len(result.sessions)}


def solve_in_this_process(version_id: int) -> dict[str, Any]:
    """The child process's work: solve the version and store the plan (run_solve records a failure in the row)."""
    return asyncio.run(_solve(version_id))


async def solve_job(context: JobContext) -> dict[str, Any]:
    """Handler of ``planner.solve`` jobs. A solve stopped with its runner (a restart) is queued again, like its job."""
    from planner.services import requeue_solve

    version_id = int(context.payload["version_id"])
    try:
        return await run_in_process(solve_in_this_process, version_id)
    except asyncio.CancelledError:
        await asyncio.shield(requeue_solve(version_id))
        raise


async def solve_failed(payload: Mapping[str, Any]) -> None:
    """A solve job failed for good (the solver raised, or its runner was lost): the version says so."""
    from planner.services import fail_solve

    await fail_solve(
        int(payload["version_id"]), _("The planner stopped without finishing; start it again with Re-plan.")
    )


def register(registry: Registry = default_registry) -> None:
    """The planner's jobs (called by ``wiring.register``). A solve is not retried: a failed one is reported on the
    plan page, where staff start it again with Re-plan."""
    registry.register_job(SOLVE, solve_job, max_attempts=1, on_failed=solve_failed)
