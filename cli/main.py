"""The ``outreach`` command (DESIGN §5): the group and its commands, each from its own module, registered here."""

from __future__ import annotations

import click

import wiring
from cli.db import db
from cli.demand import demand
from cli.demo import demo
from cli.offices import offices
from cli.outbox import outbox
from cli.places import places
from cli.plan import plan
from cli.plans import plans
from cli.purge import purge
from cli.remind import remind
from cli.serve import serve
from cli.tickets import tickets
from cli.users import users
from cli.venues import venues
from cli.worker import worker
from cli.yields import yields
from core.i18n import normalize_locale, set_locale
from core.settings import SettingsError, get_settings

CLI_LANGUAGES = ("ja", "en")  # the command line is the back office's: Japanese or English


@click.group()
def main() -> None:
    """outreach — マイナンバーカード出張申請サポート: plan, publish and run pop-up application booths."""
    try:
        settings = get_settings()
    except SettingsError as exc:  # e.g. a weak SECRET_KEY: say so, and start nothing
        raise click.ClickException(str(exc)) from None
    language = normalize_locale(settings.cli_language)
    set_locale(language if language in CLI_LANGUAGES else None)  # staff's output: Japanese or English only
    wiring.register()


for command in (
    serve,
    worker,
    demo,
    db,
    venues,
    users,
    plan,
    plans,
    demand,
    places,
    outbox,
    remind,
    yields,
    purge,
    offices,
    tickets,
):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
