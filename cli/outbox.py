"""``outreach outbox``: send the queued emails."""

from __future__ import annotations

import click

from cli.runtime import run
from core.i18n import gettext as _


@click.group("outbox")
def outbox() -> None:
    """Queued emails."""


@outbox.command("send")
def outbox_send() -> None:
    """Send the emails that are due (safe to run from cron while the portal runs)."""
    from core.outbox import send_pending

    click.echo(_("{n} messages sent.").format(n=run(send_pending(limit=1000))))
