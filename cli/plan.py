"""``outreach plan``: the optimal 実施計画 from facility lists and a demand file, without a database (DESIGN §5)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from core.errors import ValidationFailed
from core.i18n import gettext as _
from planner.model import PARAMETER_DEFAULTS, PreviousSession
from planner.month_overrides import SYNTAX, parse_month_overrides


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("Use a date such as 2027-04-01."), param_hint=name) from None


def read_previous(path: Path) -> tuple[PreviousSession, ...]:
    """The sessions (venue ID and date) of a plan.json written by ``outreach plan``."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
        return tuple(
            PreviousSession(str(s["venue_id"]), dt.date.fromisoformat(s["date"])) for s in document["sessions"]
        )
    except (ValueError, KeyError, TypeError):
        raise click.BadParameter(
            _("This is not a plan.json written by outreach plan (sessions with venue_id and date)."),
            param_hint="--previous",
        ) from None


@click.command("plan")
@click.option(
    "--facilities",
    "facility_files",
    multiple=True,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="公共施設一覧 CSV (repeatable); an optional 会場種別 column overrides the kind.",
)
@click.option(
    "--demand",
    "demand_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with lat, lon and optional weight (and name or town).",
)
@click.option("--start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--end", required=True, help="Last day, YYYY-MM-DD.")
@click.option(
    "--weekday-per-month", default=PARAMETER_DEFAULTS["weekday_per_month"], show_default=True, type=click.IntRange(0)
)
@click.option(
    "--holiday-per-month", default=PARAMETER_DEFAULTS["holiday_per_month"], show_default=True, type=click.IntRange(0)
)
@click.option("--teams", default=PARAMETER_DEFAULTS["teams"], show_default=True, type=click.IntRange(1))
@click.option("--min-gap-days", default=PARAMETER_DEFAULTS["min_gap_days"], show_default=True, type=click.IntRange(1))
@click.option(
    "--time-limit", default=PARAMETER_DEFAULTS["time_limit_seconds"], show_default=True, type=click.FloatRange(1.0)
)
@click.option(
    "--month",
    "months",
    multiple=True,
    metavar=SYNTAX,
    help="Replace a month's quotas (repeatable).",
)
@click.option(
    "--seasonality",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Monthly counter statistics (month, applications_received) for the expected applicants.",
)
@click.option(
    "--base-rate",
    default=PARAMETER_DEFAULTS["base_rate_per_hour"],
    show_default=True,
    type=click.FloatRange(0.0),
    help="Expected applicants per booth hour before draw and seasonality.",
)
@click.option(
    "--previous",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="plan.json of the previous version: re-plan keeping as many of its sessions (same venue and date) as "
    "plans of optimal reach allow.",
)
@click.option(
    "--max-reach-loss",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0.0, 100.0),
    metavar="PERCENT",
    help="With --previous: the share of the optimal reach that may be given up to keep more sessions.",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="plan.json to write.")
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), help="Also write the 実施計画書 as Excel.")
@click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path), help="Also write the 実施計画書 as PDF.")
@click.option("--quiet", is_flag=True, help="Do not report the solver's progress.")
def plan(
    facility_files: tuple[Path, ...],
    demand_file: Path,
    start: str,
    end: str,
    weekday_per_month: int,
    holiday_per_month: int,
    teams: int,
    min_gap_days: int,
    time_limit: float,
    months: tuple[str, ...],
    seasonality: Path | None,
    base_rate: float,
    previous: Path | None,
    max_reach_loss: float,
    out: Path,
    xlsx: Path | None,
    pdf: Path | None,
    quiet: bool,
) -> None:
    """Plan booths for a period: provably optimal for the reach model, or the best found with its gap."""
    from planner.inputs import facilities_from_files, read_demand, read_seasonality
    from planner.milp import Progress
    from planner.model import Parameters, PlanInput
    from planner.solve import solve

    first, last = _date(start, "--start"), _date(end, "--end")
    if last < first:
        raise click.BadParameter(_("The end date is before the start date."), param_hint="--end")
    try:
        month_overrides = parse_month_overrides(months)
    except ValidationFailed as exc:
        raise click.BadParameter(exc.message, param_hint="--month") from None
    facilities = facilities_from_files(facility_files)
    if not facilities.candidates:
        raise click.ClickException(_("The facility lists contain no candidate venue."))
    demand, demand_notes = read_demand(demand_file.read_bytes())
    if not demand:
        raise click.ClickException(_("The demand file has no point with coordinates."))
    parameters = Parameters(
        start=first,
        end=last,
        weekday_per_month=weekday_per_month,
        holiday_per_month=holiday_per_month,
        month_overrides=month_overrides,
        teams=teams,
        min_gap_days=min_gap_days,
        base_rate_per_hour=base_rate,
        time_limit_seconds=time_limit,
        seasonality=read_seasonality(seasonality.read_bytes()) if seasonality else {},
    )

    def report(progress: Progress) -> None:
        if not quiet:
            click.echo(
                _("  {seconds:6.1f} s  {stage}: best {incumbent:.3f}, bound {bound:.3f}").format(
                    seconds=progress.seconds,
                    stage=progress.stage,
                    incumbent=progress.incumbent or 0.0,
                    bound=progress.bound if progress.bound is not None and progress.bound < 1e300 else float("nan"),
                ),
                err=True,
            )

    previous_sessions: tuple[PreviousSession, ...] = ()
    if previous is not None:
        previous_sessions = read_previous(previous)
    elif max_reach_loss:
        raise click.BadParameter(_("A reach loss only applies with --previous."), param_hint="--max-reach-loss")
    result = solve(
        PlanInput(
            tuple(facilities.candidates),
            tuple(facilities.application_points),
            tuple(demand),
            parameters,
            previous=previous_sessions,
            max_reach_loss=max_reach_loss / 100.0,
        ),
        on_progress=report,
    )
    result.notes[:0] = facilities.notes + demand_notes
    out.write_text(json.dumps(result.as_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    background = [(p.lat, p.lon, p.name) for p in demand]
    if xlsx:
        from planner.report_xlsx import write_plan_xlsx

        xlsx.write_bytes(write_plan_xlsx(result, background=background))
    if pdf:
        from planner.report_pdf import write_plan_pdf

        pdf.write_bytes(write_plan_pdf(result, background=background))
    for shortage in result.shortages:
        click.echo(_("Shortage: {message}").format(message=shortage.message), err=True)
    if result.kept is not None:
        click.echo(
            _(
                "Re-plan: {kept} sessions of the previous plan kept, {changed} changed; reach loss {loss:.2%} "
                "(allowed {allowed:.2%})"
            ).format(kept=result.kept, changed=result.changed, loss=result.reach_loss, allowed=result.max_reach_loss)
        )
    click.echo(
        _(
            "{status}: {n} sessions, reach {objective:.3f} (bound {bound:.3f}, gap {gap:.4%}) in {seconds:.1f} s "
            "→ {out}"
        ).format(
            status=result.status,
            n=len(result.sessions),
            objective=result.objective,
            bound=result.bound,
            gap=result.gap,
            seconds=result.solve_seconds,
            out=out,
        )
    )
    sys.stdout.flush()
