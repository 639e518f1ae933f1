"""``outreach places``: the places residents can search for by town name or postal code (場所検索)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from core.i18n import gettext as _


@click.group("places")
def places() -> None:
    """Places residents can search for (town points and postal codes)."""


@places.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def places_import(file: Path) -> None:
    """Replace the places with a town points CSV's (town,koaza,lat,lon or name,lat,lon)."""
    from cli.runtime import migrate, run
    from core.errors import ValidationFailed
    from venues.places import import_places, read_places

    _rows, problems = read_places(file)
    for problem in problems:
        click.echo(problem, err=True)
    run(migrate())
    try:
        count = run(import_places(file))
    except ValidationFailed as exc:
        click.echo(exc.message, err=True)
        sys.exit(1)
    click.echo(_("{n} places loaded.").format(n=count))
