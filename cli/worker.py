"""``outreach worker``: run the background work (core.jobs) in a process of its own, for sites that serve the portal
with SERVE_WORKER off; any number may run, each job and periodic task still runs once."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import click

from cli.runtime import migrate
from core.i18n import gettext as _


async def work(once: bool) -> int:
    """Run what is due (once) or keep running until SIGTERM or Ctrl-C; returns how many things ran (once)."""
    from core.db import close_pool, start_pool
    from core.jobs import Worker
    from core.settings import get_settings

    await migrate()
    await start_pool(get_settings().db_pool)
    try:
        if once:
            return await Worker().run_once()
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await Worker().run_forever()
        return 0
    finally:
        await close_pool()


@click.command("worker")
@click.option("--once", is_flag=True, help="Run what is due now and stop (e.g. from cron).")
def worker(once: bool) -> None:
    """Run background work: plan solving, flyer sets, emails, late bookings, reminders, the purge."""
    ran = asyncio.run(work(once))
    if once:
        click.echo(_("{n} background tasks ran.").format(n=ran))
