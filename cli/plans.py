"""``outreach plans``: work on stored plans (solve a version)."""

from __future__ import annotations

import click

from cli.runtime import run
from core.i18n import gettext as _


@click.group("plans")
def plans() -> None:
    """Stored plans (実施計画) in the database."""


@plans.command("solve")
@click.argument("version_id", type=int)
def plans_solve(version_id: int) -> None:
    """Solve a stored plan version (run by the portal in the background; progress goes to the database)."""
    from planner.services import run_solve

    result = run(run_solve(version_id))
    click.echo(
        _("{status}: {n} sessions, reach {objective:.3f} (bound {bound:.3f})").format(
            status=result.status, n=len(result.sessions), objective=result.objective, bound=result.bound
        )
    )
