"""``outreach demo``: the Kanazawa demo (DESIGN §5), loaded by the domain's demo service."""

from __future__ import annotations

import datetime as dt

import click

from cli.runtime import migrate, run
from core import clock
from core.clock import JST
from core.errors import ValidationFailed
from core.i18n import gettext as _
from core.settings import get_settings


@click.command("demo")
@click.option(
    "--date",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Build the story as of this day (YYYY-MM-DD; default today in Japan).",
)
@click.option("--seed", type=int, default=None, help="Seed of the simulated residents (the same seed, the same story).")
def demo(as_of: dt.datetime | None, seed: int | None) -> None:
    """Load the Kanazawa demo as the city looks in the middle of its contract: this fiscal year planned, reviewed,
    published and held up to yesterday (simulated), next year's plan submitted; print one staff login per role."""
    from demo.services import DemoResult, load_demo
    from demo.story import DEFAULT_SEED

    now = clock.now()
    if as_of is not None:  # the same time of day, on that day in Japan
        now = dt.datetime.combine(as_of.date(), now.astimezone(JST).time(), JST)

    async def migrate_and_load() -> DemoResult:
        await migrate()
        with clock.frozen(now):
            return await load_demo(clock.today(), now, seed=DEFAULT_SEED if seed is None else seed)

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
        click.echo(f"      {login.first_steps}")
