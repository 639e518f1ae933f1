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
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def places_import(files: tuple[Path, ...]) -> None:
    """Replace the places with those of town points CSVs (town,koaza,lat,lon or name,lat,lon, optionally kana)."""
    from cli.runtime import migrate, run
    from core.errors import ValidationFailed
    from venues.places import import_places, read_places

    for file in files:
        for problem in read_places(file)[1]:
            click.echo(f"{file.name}: {problem}", err=True)
    run(migrate())
    try:
        count = run(import_places(*files))
    except ValidationFailed as exc:
        click.echo(exc.message, err=True)
        sys.exit(1)
    click.echo(_("{n} places loaded.").format(n=count))
