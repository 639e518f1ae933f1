"""``outreach users``: staff accounts: create, deactivate, reactivate, reset a password, set a role (for scripts;
each step is audited as done by "system" and ends the account's sessions)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import click

from cli.runtime import migrate, run
from core.errors import DomainError, NotFound
from core.i18n import gettext as _

ROLES = ["contractor_staff", "contractor_lead", "city_reviewer", "admin"]


def _run_step(step: Callable[[], Awaitable[Any]]) -> None:
    """Migrate, then run one service step; a refusal (unknown user, weak password, last administrator) is an error
    message and exit status 1, not a traceback."""

    async def migrate_and_run() -> None:
        await migrate()
        await step()

    try:
        run(migrate_and_run())
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc


async def _user_id(username: str) -> int:
    from core.users import find_actor

    actor = await find_actor(username)
    if actor is None:
        raise NotFound(_("There is no staff account {username}.").format(username=username))
    return actor.id


@click.group("users")
def users() -> None:
    """Staff account commands."""


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", "display_name", default="")
@click.password_option(prompt=True, confirmation_prompt=True)
def users_create(username: str, role: str, display_name: str, password: str) -> None:
    """Create a staff account."""
    from core.tables import Role
    from core.users import create_user

    _run_step(lambda: create_user(username, password, Role(role), display_name=display_name))
    click.echo(_("Created {username}.").format(username=username))


@users.command("deactivate")
@click.argument("username")
def users_deactivate(username: str) -> None:
    """Take an account's access away: it can no longer sign in and its sessions end at once."""
    from core.users import deactivate_user

    async def step() -> None:
        await deactivate_user(await _user_id(username), None)

    _run_step(step)
    click.echo(_("Deactivated {username}.").format(username=username))


@users.command("reactivate")
@click.argument("username")
def users_reactivate(username: str) -> None:
    """Give a deactivated account its access back."""
    from core.users import reactivate_user

    async def step() -> None:
        await reactivate_user(await _user_id(username), None)

    _run_step(step)
    click.echo(_("Reactivated {username}.").format(username=username))


@users.command("reset-password")
@click.argument("username")
@click.password_option(prompt=True, confirmation_prompt=True)
def users_reset_password(username: str, password: str) -> None:
    """Give an account a new password (asked for twice); its sessions end."""
    from core.users import reset_password

    async def step() -> None:
        await reset_password(await _user_id(username), password, None)

    _run_step(step)
    click.echo(_("Set a new password for {username}; their sessions have ended.").format(username=username))


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
def users_set_role(username: str, role: str) -> None:
    """Give an account another role; its sessions end."""
    from core.tables import Role
    from core.users import change_role, role_label

    async def step() -> None:
        await change_role(await _user_id(username), Role(role), None)

    _run_step(step)
    click.echo(_("{username} is now {role}.").format(username=username, role=role_label(role)))
