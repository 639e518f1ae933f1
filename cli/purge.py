"""`outreach purge`: erase residents' contact data a number of days after their booth (run it from cron daily), or,
with ``--end-of-contract``, delete every piece of personal data and write the deletion report (個人情報の削除報告書).
It prints counts only, never a name, phone or email."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from core.i18n import gettext as _


def default_report_path() -> Path:
    """var/reports/deletion-report-YYYYMMDD-HHMMSS.pdf (Japan time)."""
    from core import clock
    from core.settings import get_settings

    stamp = clock.now().astimezone(clock.JST).strftime("%Y%m%d-%H%M%S")
    return get_settings().var_dir / "reports" / f"deletion-report-{stamp}.pdf"


def print_counts(result) -> None:
    from booking.retention import count_label, count_text

    for key, value in result.counts.items():
        click.echo(f"  {count_label(key)}: {count_text(key, value)}")


@click.command("purge")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=None,
    help="Anonymise the bookings of booths more than this many days ago (default: RETENTION_DAYS).",
)
@click.option(
    "--end-of-contract",
    is_flag=True,
    help="Delete every piece of personal data, whatever its date, and write the deletion report.",
)
@click.option(
    "--by",
    "actor",
    default=None,
    metavar="NAME",
    help="Who runs it (required with --end-of-contract; printed in the report).",
)
@click.option("--yes", is_flag=True, help="Confirm the end-of-contract deletion without a question.")
@click.option(
    "--report",
    "report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the deletion report (default: var/reports/deletion-report-YYYYMMDD-HHMMSS.pdf).",
)
@click.option("--dry-run", is_flag=True, help="Print what would be erased; change nothing.")
def purge(
    days: int | None, end_of_contract: bool, actor: str | None, yes: bool, report: Path | None, dry_run: bool
) -> None:
    """Erase personal data on schedule (contact data of past booths; the counts stay), or at the end of the
    contract (everything, with a deletion report)."""
    from booking import retention
    from cli.runtime import run
    from core.errors import ValidationFailed

    if not end_of_contract:
        if report is not None:
            raise click.UsageError(_("--report goes with --end-of-contract: the scheduled purge writes no report."))
        try:
            result = run(retention.purge_expired(days=days, actor_name=actor, dry_run=dry_run))
        except ValidationFailed as error:
            raise click.UsageError(error.message) from None
        click.echo(_("Contact data of bookings at booths before {date}:").format(date=result.cutoff.isoformat()))
        print_counts(result)
        click.echo(_("Dry run: nothing was changed.") if dry_run else _("Done."))
        return

    if days is not None:
        raise click.UsageError(_("--days does not go with --end-of-contract, which deletes everything."))
    if not dry_run:
        if not (actor or "").strip():
            raise click.UsageError(_("Name who runs the deletion with --by NAME: the deletion report names them."))
        if not yes:
            if not sys.stdin.isatty():
                raise click.UsageError(_("The end-of-contract deletion cannot be undone. Add --yes to confirm it."))
            click.confirm(_("Delete every piece of personal data now? This cannot be undone."), abort=True)
    path = (report or default_report_path()).resolve()
    try:
        result = run(
            retention.purge_end_of_contract(actor or "", report_file="" if dry_run else str(path), dry_run=dry_run)
        )
    except ValidationFailed as error:
        raise click.UsageError(error.message) from None
    click.echo(_("End-of-contract deletion of personal data:"))
    print_counts(result)
    if dry_run:
        click.echo(_("Dry run: nothing was changed."))
        return
    written = run(_write_report(result, path))
    click.echo(_("Deletion report: {path}").format(path=written))
    if not result.counts.get("storage_compacted"):
        click.echo(
            _(
                "The database storage could not be rebuilt (another process may be using it). Stop the portal "
                "and run the command again to rebuild it."
            ),
            err=True,
        )


async def _write_report(result, path: Path) -> Path:
    from booking.deletion_report import write_deletion_report

    return await write_deletion_report(result, path)
