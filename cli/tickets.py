"""``outreach tickets``: the counter's queue tickets for scripts: issue one (整理券発行) and call the next to a window
(呼出), as reception's tablet and a window's page do."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

import click

from cli.runtime import migrate, run
from core.errors import DomainError
from core.i18n import gettext as _

KINDS = ["pickup", "certificate", "pin_reset", "application", "other"]
NOBODY_WAITING = 3  # the exit status of `tickets next` when no ticket waits (a script can tell it from an error)


def _run_step(step: Callable[[], Awaitable[Any]]) -> Any:
    """Migrate, then run one service step; a refusal (unknown office, closed, no such service) is a message (with
    what each field needs) and exit status 1, not a traceback."""

    async def migrate_and_run() -> Any:
        await migrate()
        return await step()

    try:
        return run(migrate_and_run())
    except DomainError as exc:
        fields = getattr(exc, "fields", {}) or {}
        raise click.ClickException(" ".join([exc.message, *fields.values()])) from exc


@click.group("tickets")
def tickets() -> None:
    """Queue tickets at the counter (整理券)."""


@tickets.command("issue")
@click.argument("office")
@click.option("--service", "kind", type=click.Choice(KINDS), required=True, help="The service the visit is for.")
@click.option("--language", default="ja", help="The ticket holder's language (ja, en, ja-easy, zh-hans, ko, vi).")
def tickets_issue(office: str, kind: str, language: str) -> None:
    """Issue a ticket at OFFICE (its code, or its id) for a service; prints its number and code."""
    from counter import tickets as service

    ticket, _issued = _run_step(lambda: service.issue(office, kind, language=language))
    click.echo(f"{ticket.label} {ticket.code}")


@tickets.command("next")
@click.argument("office")
@click.option("--window", type=click.IntRange(1, 99), required=True, help="The window that calls.")
@click.option("--service", "kinds", type=click.Choice(KINDS), multiple=True, help="Only these services (default: all).")
def tickets_next(office: str, window: int, kinds: tuple[str, ...]) -> None:
    """Call the next waiting ticket at OFFICE to a window; prints its number and code, or says that nobody waits
    (exit status 3)."""
    from counter import tickets as service

    ticket = _run_step(lambda: service.call_next(office, window, kinds or None))
    if ticket is None:
        click.echo(_("Nobody is waiting."), err=True)
        sys.exit(NOBODY_WAITING)
    click.echo(_("{label} {code} → window {n}").format(label=ticket.label, code=ticket.code, n=window))
