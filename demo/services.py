"""Loading the Kanazawa demo: venues, places, demand and seasonality, one staff account per role, and the city as it
looks in the middle of its contract (``demo.story``): this fiscal year planned, reviewed, published and held up to
yesterday, the next year's plan submitted."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from core import clock
from core.calendar import fiscal_year, fiscal_year_period
from core.errors import ValidationFailed
from core.i18n import gettext as _
from core.settings import ROOT
from core.tables import Role
from core.users import Actor, create_user, find_actor, role_label, set_password
from demo.counter import open_city_hall
from demo.story import DEFAULT_SEED, Cast, submit_next_year, tell_story
from demo.waitlist import DAYS_AHEAD
from planner.demand import replace_demand, replace_seasonality
from planner.inputs import read_demand, read_seasonality
from venues.facility_list import parse_facility_list
from venues.places import import_places
from venues.services import import_facility_list, registry_points

DEMO_DIR = ROOT / "data" / "kanazawa"
FACILITY_FILES = ("public_facilities.csv", "commercial_venues.csv")
STATS_FILE = "window_stats_2024.csv"
DEMO_USERS = (
    ("staff", Role.contractor_staff, "受託者 担当者"),
    ("lead", Role.contractor_lead, "受託者 責任者"),
    ("reviewer", Role.city_reviewer, "金沢市 審査担当"),
    ("admin", Role.admin, "システム管理者"),
)


def first_steps(username: str) -> str:
    """What each demo login should try first (printed beside it)."""
    steps = {
        "staff": _("try first: today's booth day at /staff/checkin, then the results at /staff/days"),
        "lead": _("try first: last month's report at /staff/reports, the learned yields at /staff/yields"),
        "reviewer": _("try first: the next year's plan waiting for your review at /staff/plans"),
        "admin": _("try first: the accounts at /staff/users, the deletion runs at /staff/retention"),
    }
    return steps[username]


@dataclass(frozen=True)
class Login:
    """A staff login the demo created (printed once; a new password on every run)."""

    username: str
    password: str
    role: str
    first_steps: str = ""


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: each facility file's importable rows, the logins, and the plan in a sentence or two."""

    imported: tuple[tuple[str, int, int], ...]  # (file name, importable rows, rows)
    logins: tuple[Login, ...]
    summary: str


async def import_facilities(path: Path) -> tuple[int, int]:
    """Import one facility list as a whole (a file with errors imports nothing); (importable rows, rows)."""
    result = parse_facility_list(path.read_bytes(), kind_overrides={}, reference_points=await registry_points())
    if result.has_errors:
        raise ValidationFailed(_("The demo file {name} could not be imported.").format(name=path.name))
    await import_facility_list(None, result, source_name=path.name)
    return len(result.records), result.total_rows


async def reset_logins() -> tuple[Login, ...]:
    """One account per role with a fresh password (created on the first run)."""
    logins = []
    for username, role, display_name in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        if await find_actor(username) is not None:
            await set_password(username, password)
        else:
            await create_user(username, password, role, display_name=display_name, email=f"{username}@example.jp")
        logins.append(Login(username, password, role_label(role), first_steps(username)))
    return tuple(logins)


async def load_demo(
    today: dt.date, now: dt.datetime | None = None, data_dir: Path = DEMO_DIR, seed: int = DEFAULT_SEED
) -> DemoResult:
    """Import the Kanazawa data, (re)create the staff accounts, and build the city's story as of ``today`` (``now``
    its current moment): this fiscal year's plan and its booths up to yesterday, then the next year's plan
    submitted. A year already planned is kept (a second run changes only the passwords). The database must be
    migrated."""
    now = now or clock.now()
    imported = []
    for name in FACILITY_FILES:
        imported.append((name, *await import_facilities(data_dir / name)))
    points, _notes = read_demand((data_dir / "town_points.csv").read_bytes())
    await replace_demand(points)
    await import_places(data_dir / "town_points.csv", data_dir / "landmarks.csv")
    await replace_seasonality(read_seasonality((data_dir / STATS_FILE).read_bytes()))
    logins = await reset_logins()
    cast = Cast(*[await _actor(name) for name in ("staff", "lead", "reviewer")])
    lines = []
    story = await tell_story(cast, today, now, data_dir / STATS_FILE, seed)
    if story is None:
        start, end = fiscal_year_period(fiscal_year(today))
        await open_city_hall(cast.lead, now, start)  # a demo loaded before the counter existed gets it now
        lines.append(
            _("The plan for {start} – {end} already exists: kept as it is.").format(
                start=start.isoformat(), end=end.isoformat()
            )
        )
    else:
        lines.append(
            _(
                "This fiscal year: {published} booths published, {held} held up to yesterday with {bookings} "
                "bookings, {walk_ins} walk-in parties and {applications} applications."
            ).format(**asdict(story))
        )
        lines.append(
            _(
                "{daily} daily and {monthly} monthly reports drafted, {purges} scheduled deletions run, "
                "{invitations} partner invitations."
            ).format(
                daily=story.daily_reports,
                monthly=story.monthly_reports,
                purges=story.purges,
                invitations=story.invitations,
            )
        )
        lines.append(
            _(
                "City Hall's counter (CITYHALL): {tickets} queue tickets simulated, {days} days served before today "
                "and {today} tickets today so far."
            ).format(tickets=story.tickets, days=story.counter_days, today=story.tickets_today)
        )
        if story.waiting:
            lines.append(
                _(
                    "Waiting list: {n} residents wait for a freed place at the first booth {days} days ahead; the "
                    "oldest (a phone number only) holds an offer for staff to phone."
                ).format(n=story.waiting, days=DAYS_AHEAD)
            )
    next_plan = await submit_next_year(cast, today, now)
    if next_plan is not None:
        lines.append(_("Next fiscal year's plan submitted for review (plan {id}).").format(id=next_plan))
    return DemoResult(tuple(imported), logins, "\n".join(lines))


async def _actor(username: str) -> Actor:
    actor = await find_actor(username)
    assert actor is not None  # reset_logins made it
    return actor
