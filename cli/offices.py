"""``outreach offices``: the counter's offices for scripts and set-up: add one with its services, list them, and
designate a day (a weekend opening, or a closure). Staff's edits are audited as done by "system"."""

from __future__ import annotations

import datetime as dt

import click

from cli.tickets import KINDS, _run_step
from core.i18n import gettext as _

DEFAULT_LETTERS = {"pickup": "A", "certificate": "B", "pin_reset": "C", "application": "D", "other": "E"}


def _service(value: str) -> tuple[str, str, float, int]:
    """``KIND[:LETTER[:MINUTES[:WINDOWS]]]``, e.g. ``pickup:A:8:2``."""
    parts = value.split(":")
    kind = parts[0]
    if kind not in KINDS or len(parts) > 4:
        raise click.BadParameter(_("Use KIND[:LETTER[:MINUTES[:WINDOWS]]], e.g. pickup:A:8:2."))
    try:
        letter = parts[1] if len(parts) > 1 and parts[1] else DEFAULT_LETTERS[kind]
        minutes = float(parts[2]) if len(parts) > 2 else 10.0
        windows = int(parts[3]) if len(parts) > 3 else 1
    except ValueError as error:
        raise click.BadParameter(_("Use KIND[:LETTER[:MINUTES[:WINDOWS]]], e.g. pickup:A:8:2.")) from error
    return kind, letter, minutes, windows


@click.group("offices")
def offices() -> None:
    """The counter's offices (窓口)."""


@offices.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The office's name, e.g. 金沢市役所.")
@click.option("--name-en", default="", help="Its name in English.")
@click.option("--opens", default="09:00", show_default=True, help="Opening time on its days (HH:MM, Japan time).")
@click.option("--closes", default="17:45", show_default=True, help="Closing time (HH:MM).")
@click.option("--pickup-reservations", is_flag=True, help="It takes pickup reservations (交付予約).")
@click.option(
    "--service",
    "services",
    multiple=True,
    help="A service: KIND[:LETTER[:MINUTES[:WINDOWS]]] (kinds: pickup, certificate, pin_reset, application, other).",
)
def offices_add(
    code: str, name: str, name_en: str, opens: str, closes: str, pickup_reservations: bool, services: tuple[str, ...]
) -> None:
    """Add an office CODE (open on weekdays) with its services."""
    from counter import offices as service
    from counter.offices import OfficeInput, ServiceInput

    wanted = [_service(value) for value in services]

    async def add() -> None:
        office = await service.create_office(
            None,
            OfficeInput(
                code=code,
                name=name,
                name_en=name_en,
                opens=opens,
                closes=closes,
                pickup_enabled=pickup_reservations,
            ),
        )
        for kind, letter, minutes, windows in wanted:
            await service.create_service(
                None, office.id, ServiceInput(kind, letter, minutes, windows, reservable=kind == "pickup")
            )
        click.echo(_("Added office {code} (id {id}).").format(code=office.code, id=office.id))

    _run_step(add)


@offices.command("list")
def offices_list() -> None:
    """List the offices with their hours and services."""
    from counter import offices as service

    async def show() -> None:
        for office in await service.list_offices(active_only=False):
            found = service.kinds_in_order(await service.office_services(office.id))
            kinds = ", ".join(f"{s.letter}:{s.kind.value}" for s in found) or "-"
            hours = f"{office.opens:%H:%M}-{office.closes:%H:%M}"
            click.echo(f"{office.code}\t{office.id}\t{office.name}\t{hours}\t{kinds}")

    _run_step(show)


@offices.command("day")
@click.argument("office")
@click.argument("date")
@click.option("--open/--closed", "is_open", required=True, help="Open on that day (e.g. a Saturday), or closed.")
@click.option("--hours", default="", help="Hours of that day, HH:MM-HH:MM (default: the office's).")
@click.option("--note", default="")
def offices_day(office: str, date: str, is_open: bool, hours: str, note: str) -> None:
    """Designate DATE (YYYY-MM-DD) of OFFICE as an opening day or a closure."""
    from counter import offices as service

    try:
        day = dt.date.fromisoformat(date)
    except ValueError as error:
        raise click.BadParameter(_("Use YYYY-MM-DD.")) from error
    opens, _sep, closes = hours.partition("-")

    async def designate() -> None:
        found = await service.get_office(office)
        await service.set_office_day(None, found.id, day, is_open, opens, closes, note)

    _run_step(designate)
    message = _("{date} of {office}: open.") if is_open else _("{date} of {office}: closed.")
    click.echo(message.format(date=day.isoformat(), office=office))
