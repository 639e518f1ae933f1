"""``outreach users``: staff accounts."""

from __future__ import annotations

import click

from cli.runtime import migrate, run
from core.i18n import gettext as _


@click.group("users")
def users() -> None:
    """Staff account commands."""


@users.command("create")
@click.argument("username")
@click.option(
    "--role", type=click.Choice(["contractor_staff", "contractor_lead", "city_reviewer", "admin"]), required=True
)
@click.option("--name", "display_name", default="")
@click.password_option(prompt=True, confirmation_prompt=True)
def users_create(username: str, role: str, display_name: str, password: str) -> None:
    """Create a staff account."""
    from core.tables import Role
    from core.users import create_user

    run(migrate())
    run(create_user(username, password, Role(role), display_name=display_name))
    click.echo(_("Created {username}.").format(username=username))
