"""``outreach demo``: the Kanazawa demo (DESIGN §5), loaded by the domain's demo service."""

from __future__ import annotations

import click

from cli.runtime import migrate, run
from core import clock
from core.errors import ValidationFailed
from core.i18n import gettext as _
from core.settings import get_settings


@click.command("demo")
def demo() -> None:
    """Load the Kanazawa demo data, plan the next fiscal year, approve and publish it, print one staff login per
    role."""
    from demo.services import DemoResult, load_demo

    async def migrate_and_load() -> DemoResult:
        await migrate()
        return await load_demo(clock.today())

    try:
        result = run(migrate_and_load())
    except ValidationFailed as exc:
        raise click.ClickException(exc.message) from exc
    for name, importable, total in result.imported:
        click.echo(f"{name}: {importable} / {total}")
    click.echo(result.summary)
    click.echo("")
    click.echo(_("Staff logins (sign in at {url}/staff/login):").format(url=get_settings().base_url))
    for login in result.logins:
        click.echo(
            _("  {role:<16} username: {username:<10} password: {password}").format(
                role=login.role, username=login.username, password=login.password
            )
        )
