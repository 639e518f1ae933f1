"""What every command shares: running a coroutine with the database pool open, and applying migrations."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Coroutine
from typing import Any

import click


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine with the database pool open (PostgreSQL) and closed afterwards."""
    from core.db import close_pool, start_pool
    from core.settings import get_settings

    async def wrapper() -> Any:
        await start_pool(get_settings().db_pool)
        try:
            return await coro
        finally:
            await close_pool()

    return asyncio.run(wrapper())


async def migrate() -> None:
    """Apply every pending migration of every app (the same migrations on SQLite and PostgreSQL)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    output = io.StringIO()
    with contextlib.redirect_stdout(output):  # Piccolo narrates every app; show it only when something fails
        result = await run_forwards(app_name="all")
    if not result.success:
        raise click.ClickException(output.getvalue() + result.message)
