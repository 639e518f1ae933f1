"""The ``outreach`` command: serve, demo, database and venue commands (DESIGN §5)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import os
import secrets
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import click

import booking.services  # noqa: F401 - registers the handlers of domain events (publishing booths)
from core.i18n import gettext as _
from core.i18n import set_locale
from core.settings import ROOT

DEMO_DIR = ROOT / "data" / "kanazawa"
DEMO_FILES = ("public_facilities.csv", "commercial_venues.csv")


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine with the database pool open (PostgreSQL) and closed afterwards."""
    from core.db import close_pool, start_pool

    async def wrapper() -> Any:
        await start_pool()
        try:
            return await coro
        finally:
            await close_pool()

    return asyncio.run(wrapper())


@click.group()
def main() -> None:
    """outreach — マイナンバーカード出張申請サポート: plan, publish and run pop-up application booths."""
    set_locale(os.environ.get("OUTREACH_LANG") or os.environ.get("LANG"))


# --- database -------------------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database commands."""


async def migrate() -> None:
    """Apply every pending migration of every app (the same migrations on SQLite and PostgreSQL)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    output = io.StringIO()
    with contextlib.redirect_stdout(output):  # Piccolo narrates every app; show it only when something fails
        result = await run_forwards(app_name="all")
    if not result.success:
        raise click.ClickException(output.getvalue() + result.message)


@db.command("migrate")
def db_migrate() -> None:
    """Apply pending migrations."""
    run(migrate())
    click.echo(_("Database is up to date."))


@db.command("check")
def db_check() -> None:
    """Exit non-zero when the database does not answer."""
    from core.db import check_database

    if not run(check_database()):
        raise click.ClickException(_("The database does not answer."))
    click.echo("ok")


# --- serve ----------------------------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes (PostgreSQL for >1).")
@click.option("--no-migrate", is_flag=True, help="Do not apply pending migrations first.")
def serve(host: str, port: int, workers: int, no_migrate: bool) -> None:
    """Run the portal."""
    import uvicorn

    from core.logs import uvicorn_log_config
    from core.settings import get_settings

    if workers > 1 and get_settings().is_sqlite:
        raise click.ClickException(_("SQLite serves one worker process; set DATABASE_URL to PostgreSQL for more."))
    if not no_migrate:
        run(migrate())
    uvicorn.run(
        "portal.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        log_config=uvicorn_log_config(),
    )


# --- venues ---------------------------------------------------------------------------------------------------


@main.group()
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
    from venues.services import import_facility_list, registry_points
    from venues.tables import Venue

    if dry_run and not await Venue.table_exists():  # a dry run must work before the database is set up
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


# --- users ----------------------------------------------------------------------------------------------------


@main.group()
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


# --- demo -----------------------------------------------------------------------------------------------------

DEMO_USERS = (
    ("staff", "contractor_staff", "受託者 担当者"),
    ("lead", "contractor_lead", "受託者 責任者"),
    ("reviewer", "city_reviewer", "金沢市 審査担当"),
    ("admin", "admin", "システム管理者"),
)


def next_fiscal_year(today: dt.date) -> tuple[dt.date, dt.date]:
    """The fiscal year (April to March) after the one containing ``today``."""
    first = today.year + 1 if today.month >= 4 else today.year
    return dt.date(first, 4, 1), dt.date(first + 1, 3, 31)


async def load_demo() -> tuple[list[tuple[str, str, str]], str]:
    """Migrate, import the Kanazawa venues, demand points and seasonality, (re)create one staff user per role with
    a fresh password, plan the next fiscal year (kept if it was planned before), and approve and publish it."""
    from core.tables import Role, StaffUser
    from core.users import Actor, actor_from_row, create_user, role_label, set_password
    from planner.model import Parameters
    from planner.services import create_plan, run_solve
    from planner.tables import Plan, PlanVersion
    from portal.plan_command import load_demand, load_seasonality
    from venues.places import import_places

    await migrate()
    for name in DEMO_FILES:
        if not await import_file(DEMO_DIR / name, dry_run=False, accept_partial=False, overrides={}, quiet=True):
            raise click.ClickException(_("The demo file {name} could not be imported.").format(name=name))
    await load_demand(DEMO_DIR / "town_points.csv")
    await import_places(DEMO_DIR / "town_points.csv")
    await load_seasonality(DEMO_DIR / "window_stats_2024.csv")
    logins = []
    for username, role, display_name in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        if await StaffUser.exists().where(StaffUser.username == username):
            await set_password(username, password)
        else:
            await create_user(username, password, Role(role), display_name=display_name, email=f"{username}@example.jp")
        logins.append((username, password, role_label(role)))
    lead: Actor = actor_from_row(await StaffUser.select().where(StaffUser.username == "lead").first())
    start, end = next_fiscal_year(dt.date.today())
    existing = await Plan.select(Plan.id).where((Plan.start == start) & (Plan.end == end)).first()
    if existing:
        summary = _("The plan for {start} – {end} already exists (plan {id}).").format(
            start=start.isoformat(), end=end.isoformat(), id=existing["id"]
        )
        plan_id = existing["id"]
    else:
        title = _("Implementation plan FY{year}").format(year=start.year)
        version_id = await create_plan(lead, title, Parameters(start=start, end=end))
        result = await run_solve(version_id, actor=lead)
        summary = _("{title}: {status}, {n} sessions, reach {objective:.1f} in {seconds:.1f} s.").format(
            title=title,
            status=result.status,
            n=len(result.sessions),
            objective=result.objective,
            seconds=result.solve_seconds,
        )
        plan_id = (await PlanVersion.select(PlanVersion.plan).where(PlanVersion.id == version_id).first())["plan"]
    reviewer: Actor = actor_from_row(await StaffUser.select().where(StaffUser.username == "reviewer").first())
    published = await approve_latest(plan_id, lead, reviewer)
    if published:
        summary += "\n" + _("Approved and published: {n} booths are open for booking.").format(n=published)
    return logins, summary


async def approve_latest(plan_id: int, lead, reviewer) -> int:
    """Submit (as the lead) and approve (as the reviewer) the plan's newest solved version, if it is not yet
    approved; returns how many booths it published (0 when nothing was to do)."""
    from planner import workflow
    from planner.tables import PlanVersion, Session, SessionState, SolveState, VersionState

    version = (
        await PlanVersion.select()
        .where(PlanVersion.plan == plan_id)
        .order_by(PlanVersion.number, ascending=False)
        .first()
    )
    if version is None or version["solve_state"] != SolveState.done.value:
        return 0
    if version["state"] == VersionState.draft.value:
        await workflow.submit(lead, version["id"])
        version = await PlanVersion.select().where(PlanVersion.id == version["id"]).first()
    if version["state"] != VersionState.submitted.value:
        return 0
    await workflow.approve(reviewer, version["id"], version["revision"], _("Approved for the demo."))
    return await Session.count().where(
        (Session.version == version["id"]) & (Session.state == SessionState.published.value)
    )


@main.command()
def demo() -> None:
    """Load the Kanazawa demo data, plan the next fiscal year, approve and publish it, print one staff login per
    role."""
    from core.settings import get_settings

    logins, summary = run(load_demo())
    click.echo(summary)
    click.echo("")
    click.echo(_("Staff logins (sign in at {url}/staff/login):").format(url=get_settings().base_url))
    for username, password, label in logins:
        click.echo(
            _("  {role:<16} username: {username:<10} password: {password}").format(
                role=label, username=username, password=password
            )
        )


from portal.booking_command import remind as remind_command  # noqa: E402
from portal.place_command import places as places_group  # noqa: E402
from portal.plan_command import demand as demand_group  # noqa: E402 - the commands join the group here
from portal.plan_command import outbox as outbox_group  # noqa: E402
from portal.plan_command import plan as plan_command  # noqa: E402
from portal.plan_command import plans as plans_group  # noqa: E402
from portal.purge_command import purge as purge_command  # noqa: E402
from portal.yields_command import yields as yields_command  # noqa: E402

main.add_command(remind_command)
main.add_command(yields_command)
main.add_command(purge_command)
main.add_command(plan_command)
main.add_command(plans_group)
main.add_command(demand_group)
main.add_command(outbox_group)
main.add_command(places_group)


if __name__ == "__main__":  # pragma: no cover
    main()
