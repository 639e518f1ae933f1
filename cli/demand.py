"""``outreach demand``: where residents live (demand points) and the month factors of the forecast."""

from __future__ import annotations

from pathlib import Path

import click

from cli.runtime import migrate, run
from core.i18n import gettext as _
from planner.demand import replace_demand, replace_seasonality
from planner.inputs import read_demand, read_seasonality


@click.group("demand")
def demand() -> None:
    """Demand points (where residents live) used by the planner."""


def load_demand(path: Path) -> int:
    """Replace the demand points with a CSV's (lat, lon, optional weight and name); the notes go to stderr."""
    points, notes = read_demand(path.read_bytes())
    for note in notes:
        click.echo(note, err=True)
    return run(replace_demand(points))


@demand.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def demand_import(file: Path) -> None:
    """Replace the demand points with a CSV's."""
    run(migrate())
    click.echo(_("{n} demand points loaded.").format(n=load_demand(file)))


@demand.command("seasonality")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def demand_seasonality(file: Path) -> None:
    """Set the month factors of the expected applicants from counter statistics (month, applications_received)."""
    run(migrate())
    factors = run(replace_seasonality(read_seasonality(file.read_bytes())))
    click.echo(" ".join(f"{m}:{f:.2f}" for m, f in factors.items()))
