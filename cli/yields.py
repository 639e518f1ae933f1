"""`outreach yields`: recompute the learned yields from every booth's results and print them (planner.yields)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from core.i18n import gettext as _

if TYPE_CHECKING:
    from planner.yields import FactorRow


def _label(row: FactorRow) -> str:
    from venues.facility_list import kind_label

    if row.level == "kind_day":
        return f"{kind_label(row.kind)}・{_('Holiday') if row.day_type == 'holiday' else _('Weekday')}"
    return row.venue_name or row.key


@click.command("yields")
def yields() -> None:
    """Recompute the learned yield factors from every booth's results and print them (key, what it applies to,
    booths, applications observed, forecast before learning, factor)."""
    from booking.results import recompute_yields
    from cli.runtime import migrate, run
    from core.settings import get_settings
    from planner.yields import factor_table

    async def work():
        await migrate()
        await recompute_yields()
        return await factor_table()

    rows = run(work())
    click.echo(
        _("Learned yields (k = {k:g}): factor = (k + observed) / (k + forecast)").format(
            k=get_settings().yield_prior_strength
        )
    )
    if not rows:
        click.echo(_("No results yet: every factor is 1."))
        return
    click.echo("\t".join([_("Key"), _("Applies to"), _("Booths"), _("Observed"), _("Forecast"), _("Factor")]))
    for row in rows:
        click.echo(
            "\t".join(
                [
                    row.key,
                    _label(row),
                    str(row.samples),
                    f"{row.observed:.0f}",
                    f"{row.expected:.1f}",
                    f"{row.factor:.3f}",
                ]
            )
        )
