"""``outreach db``: apply migrations, check the database."""

from __future__ import annotations

import click

from cli.runtime import migrate, run
from core.i18n import gettext as _


@click.group("db")
def db() -> None:
    """Database commands."""


@db.command("migrate")
def db_migrate() -> None:
    """Apply pending migrations."""
    run(migrate())
    click.echo(_("Database is up to date."))


@db.command("check")
def db_check() -> None:
    """Exit non-zero when the database does not answer."""
    from core.db import check_database

    if not run(check_database()):
        raise click.ClickException(_("The database does not answer."))
    click.echo("ok")
