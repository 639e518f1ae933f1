"""``outreach venues``: import and export the standard facility list (公共施設一覧)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cli.runtime import migrate, run
from core.i18n import gettext as _


@click.group("venues")
def venues() -> None:
    """Venue registry commands."""


def print_report(result: Any) -> None:
    """Every error, warning and exclusion with its row, column, value and reason."""
    for problem in result.problems:
        label = {"error": _("ERROR"), "warning": _("WARNING"), "excluded": _("LEFT OUT")}[problem.severity]
        click.echo(
            _("{severity}\trow {row}\t{column}\t{value}\t{reason}").format(
                severity=label,
                row=problem.row_number,
                column=problem.column,
                value=problem.value,
                reason=problem.message,
            )
        )
    click.echo(
        _(
            "{total} rows: {ok} importable, {errors} errors, {warnings} warnings, {excluded} left out "
            "(encoding {encoding})"
        ).format(
            total=result.total_rows,
            ok=len(result.records),
            errors=len(result.errors),
            warnings=len(result.warnings),
            excluded=len(result.excluded),
            encoding=result.encoding,
        )
    )


async def import_file(
    path: Path, *, dry_run: bool, accept_partial: bool, overrides: dict[int, str], quiet: bool = False
) -> bool:
    """Parse, report and (unless dry-run) import one facility list; False when nothing was imported."""
    from core.errors import ValidationFailed
    from venues.facility_list import parse_facility_list
    from venues.services import import_facility_list, registry_exists, registry_points

    if dry_run and not await registry_exists():  # a dry run must work before the database is set up
        click.echo(
            _(
                "The database is not set up yet (outreach db migrate), so the file is checked on its own, "
                "without the registered venues."
            ),
            err=True,
        )
        known_points = []
    else:
        known_points = await registry_points()
    result = parse_facility_list(path.read_bytes(), kind_overrides=overrides, reference_points=known_points)
    if quiet:
        click.echo(f"{path.name}: {len(result.records)} / {result.total_rows}")
    else:
        print_report(result)
    if dry_run:
        click.echo(_("Dry run: nothing was imported."))
        return not result.has_errors
    try:
        outcome = await import_facility_list(None, result, accept_partial=accept_partial, source_name=path.name)
    except ValidationFailed as exc:
        click.echo(exc.message, err=True)
        return False
    click.echo(
        _("{created} created, {updated} updated, {unchanged} unchanged, {skipped} rows left out").format(
            created=len(outcome.created),
            updated=len(outcome.updated),
            unchanged=len(outcome.unchanged),
            skipped=outcome.skipped_rows,
        )
    )
    return True


def parse_overrides(values: tuple[str, ...]) -> dict[int, str]:
    overrides: dict[int, str] = {}
    for value in values:
        row, _sep, kind = value.partition("=")
        if not row.isdigit() or not kind:
            raise click.BadParameter(_("Use ROW=KIND, for example 12=community_hall."), param_hint="--kind")
        overrides[int(row)] = kind
    return overrides


@venues.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would be imported; change nothing.")
@click.option("--accept-partial", is_flag=True, help="Import the good rows even if some rows have errors.")
@click.option("--kind", "kinds", multiple=True, metavar="ROW=KIND", help="Set the kind of a row (repeatable).")
def venues_import(file: Path, dry_run: bool, accept_partial: bool, kinds: tuple[str, ...]) -> None:
    """Import a 公共施設一覧 CSV (UTF-8 or Shift_JIS); venues are updated in place by their ID."""
    overrides = parse_overrides(kinds)
    if not dry_run:
        run(migrate())
    if not run(import_file(file, dry_run=dry_run, accept_partial=accept_partial, overrides=overrides)):
        sys.exit(1)


@venues.command("export")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@click.option("--encoding", type=click.Choice(["utf-8-sig", "cp932"]), default="utf-8-sig", show_default=True)
def venues_export(out: Path | None, encoding: str) -> None:
    """Export the registry in the 公共施設一覧 format."""
    from venues.services import export_venues

    content = run(export_venues(encoding=encoding))
    if out:
        out.write_bytes(content)
    else:
        sys.stdout.buffer.write(content)
