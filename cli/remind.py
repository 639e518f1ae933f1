"""`outreach remind`: the reminder emails of tomorrow's bookings (safe to run twice; run it from cron daily)."""

from __future__ import annotations

import datetime as dt

import click

from core.i18n import gettext as _
from core.i18n import ngettext


@click.command("remind")
@click.option("--date", "day", default=None, help="The booking day to remind (YYYY-MM-DD); default: tomorrow.")
def remind(day: str | None) -> None:
    """Queue a reminder email for every booking of the day (default tomorrow) that has not had one."""
    from booking.reminders import send_reminders
    from cli.runtime import run

    try:
        target = dt.date.fromisoformat(day) if day else None
    except ValueError as error:
        raise click.BadParameter(_("Use YYYY-MM-DD.")) from error
    queued = run(send_reminders(target))
    click.echo(ngettext("{n} reminder queued.", "{n} reminders queued.", queued).format(n=queued))
