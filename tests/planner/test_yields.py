"""Learned yields: the forecast moves toward observed yields, slowly for small samples, and the planner's
expected applicants follow when it solves a stored plan (the database-free planner keeps the plain forecast)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from booking import results
from booking.tables import BoothResult
from core import clock
from core.tables import Role
from planner import services, yields
from planner.model import Parameters
from planner.solve import solve
from planner.tables import Plan, PlanVersion, Session, SessionState, YieldFactor
from tests.planner.factories import JUNE

K = 20.0
FORECAST = 14.0  # 2 applicants per hour × 7 hours × draw 1 (a community hall), no seasonality


def booths(n: int, observed: int, venue: int = 1, kind: str = "community_hall", day: str = "holiday"):
    return [
        yields.Observation(venue=venue, kind=kind, day_type=day, forecast=FORECAST, observed=observed) for _ in range(n)
    ]


def learned(observations, venue: int = 1, kind: str = "community_hall", day: str = "holiday") -> float:
    """The multiplier a new booth at the venue gets: kind × day type factor × venue factor."""
    factors = {f.key: f.factor for f in yields.learn(observations, K)}
    return factors.get(yields.kind_day_key(kind, day), 1.0) * factors.get(yields.venue_key(venue), 1.0)


def test_the_shrinkage_formula():
    assert yields.shrunk(0, 0, K) == 1.0
    assert yields.shrunk(28, 14, K) == pytest.approx(48 / 34)
    assert yields.shrunk(28, 14, 0) == pytest.approx(2.0)  # no prior: the raw ratio


def test_twice_the_forecast_moves_the_factor_toward_two_as_results_arrive():
    seen = [learned(booths(n, 2 * int(FORECAST))) for n in (1, 3, 10, 40)]
    assert all(1.0 < factor < 2.0 for factor in seen)
    assert seen == sorted(seen)  # more results, closer to the observed yield
    assert seen[-1] == pytest.approx(2.0, abs=0.01)
    assert seen[0] < 1.75


def test_one_huge_booth_moves_the_forecast_only_part_of_the_way():
    """Thirty booths of the kind went as forecast; one booth made ten times its forecast."""
    usual = [o for v in range(2, 32) for o in booths(1, int(FORECAST), venue=v)]
    huge = booths(1, 10 * int(FORECAST), venue=1)
    factors = {f.key: f for f in yields.learn(usual + huge, K)}
    kind_day = factors["kind_day:community_hall:holiday"]
    kind_factor = (K + 30 * FORECAST + 140) / (K + 31 * FORECAST)  # the documented formula: 1.28
    assert kind_day.factor == pytest.approx(kind_factor) and kind_day.factor < 1.35  # the kind barely moves
    assert kind_day.samples == 31 and kind_day.observed == 30 * FORECAST + 140
    venue = factors["venue:1"].factor
    assert venue == pytest.approx((K + 140) / (K + FORECAST * kind_factor))  # 4.2 against its kind
    assert venue < 10 / 2  # the venue itself moves less than half of the way to its one observed ratio
    assert factors["venue:2"].factor < 1.0  # the others are slightly below their kind now, not at 1
    assert learned(usual + huge, venue=1) < 10 / 1.5


def test_kinds_and_day_types_learn_separately():
    observations = booths(10, 28, venue=1, day="holiday") + booths(10, 14, venue=2, day="weekday")
    factors = {f.key: f.factor for f in yields.learn(observations, K)}
    assert factors["kind_day:community_hall:holiday"] > 1.5
    assert factors["kind_day:community_hall:weekday"] == pytest.approx(1.0)
    assert "kind_day:commercial:holiday" not in factors


def test_the_planner_multiplies_the_base_forecast_by_both_factors():
    parameters = Parameters(
        start=dt.date(2027, 6, 1),
        end=dt.date(2027, 6, 30),
        kind_day_factors={"community_hall:holiday": 1.5},
        venue_factors={"H0": 1.2},
    )
    assert yields.multiplier(parameters, "community_hall", "holiday", "H0") == pytest.approx(1.8)
    assert yields.multiplier(parameters, "community_hall", "weekday", "H0") == pytest.approx(1.2)
    assert yields.multiplier(parameters, "library", "holiday", "H1") == 1.0


# --- with the database -----------------------------------------------------------------------------------------


async def held_booths(venue: dict, dates: list[dt.date], applications: int) -> None:
    """Last year's booths at a venue with their results."""
    plan = (
        await Plan.insert(Plan(title="昨年度", start=dt.date(2026, 4, 1), end=dt.date(2027, 3, 31))).returning(Plan.id)
    )[0]["id"]
    version = (
        await PlanVersion.insert(
            PlanVersion(
                plan=plan,
                state="approved",
                parameters={"start": "2026-04-01", "end": "2027-03-31", "base_rate_per_hour": 2.0},
            )
        ).returning(PlanVersion.id)
    )[0]["id"]
    for date in dates:
        session = (
            await Session.insert(
                Session(
                    version=version,
                    venue=venue["id"],
                    date=date,
                    start=dt.time(10),
                    end=dt.time(17),
                    day_type="holiday" if date.weekday() >= 5 else "weekday",
                    state=SessionState.published.value,
                    expected_applicants=999,  # whatever was stored is not trusted: the forecast is recomputed
                )
            ).returning(Session.id)
        )[0]["id"]
        await BoothResult.insert(BoothResult(session=session, applications=applications))


async def test_recomputing_from_stored_results_is_idempotent(city):
    await held_booths(city[0], [dt.date(2026, 10, 3), dt.date(2026, 10, 5)], 28)
    first = await results.recompute_yields()
    rows = await YieldFactor.select(
        YieldFactor.key, YieldFactor.factor, YieldFactor.observed, YieldFactor.expected, YieldFactor.samples
    ).order_by(YieldFactor.key)
    again = await results.recompute_yields()
    assert first == again
    assert rows == await YieldFactor.select(
        YieldFactor.key, YieldFactor.factor, YieldFactor.observed, YieldFactor.expected, YieldFactor.samples
    ).order_by(YieldFactor.key)
    holiday = next(r for r in rows if r["key"] == "kind_day:community_hall:holiday")
    assert (holiday["samples"], holiday["observed"], holiday["expected"]) == (1, 28, FORECAST)


async def test_a_new_plan_expects_more_applicants_where_results_beat_the_forecast(city, make_user):
    staff = await make_user(Role.contractor_staff)
    with clock.frozen(dt.datetime(2027, 5, 1, 9, tzinfo=clock.JST)):
        before = await solved(staff)
        assert {s.expected_applicants for s in before} == {round(FORECAST)}
        # Last year the farthest hall made twice its forecast on every booth, weekdays and holidays.
        dates = [dt.date(2026, 4, 4) + dt.timedelta(days=7 * i) for i in range(12)]  # Saturdays
        dates += [dt.date(2026, 4, 7) + dt.timedelta(days=7 * i) for i in range(12)]  # Tuesdays
        await held_booths(city[4], dates, 2 * round(FORECAST))
        await results.recompute_yields()
        after = await solved(staff)
    at_that_hall = [s for s in after if s.venue_id == "H4"]
    elsewhere = [s for s in after if s.venue_id != "H4"]
    assert at_that_hall and elsewhere
    for session in at_that_hall:
        assert round(FORECAST) < session.expected_applicants <= 2 * round(FORECAST)
        assert session.expected_applicants > max(s.expected_applicants for s in elsewhere)
    kind_day, venue_factors = await yields.planner_factors()
    for session in after:
        expected = (
            FORECAST * kind_day[f"community_hall:{session.day_type.value}"] * venue_factors.get(session.venue_id, 1.0)
        )
        assert session.expected_applicants == round(expected)
    # The database-free planner (`outreach plan`) keeps the plain forecast.
    plain = solve(await services.plan_input(JUNE))
    assert {s.expected_applicants for s in plain.sessions} == {round(FORECAST)}


async def solved(staff) -> list[dict]:
    version_id = await services.create_plan(staff, "2027年6月 実施計画", JUNE)
    await services.run_solve(version_id, actor=staff, progress_interval=0.05)
    return await services.sessions_of(version_id)


async def test_the_yields_command_recomputes_and_prints_the_table(city):
    """`outreach yields` as an operator runs it, on the test database."""
    await held_booths(city[4], [dt.date(2026, 10, 3), dt.date(2026, 10, 10)], 28)
    env = {**os.environ, "OUTREACH_LANG": "ja"}
    command = [str(Path(sys.executable).parent / "outreach"), "yields"]
    done = await asyncio.to_thread(
        subprocess.run,
        command,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = {line.split("\t")[0]: line.split("\t") for line in done.stdout.splitlines() if "\t" in line}
    holiday = lines["kind_day:community_hall:holiday"]
    assert holiday[1:] == ["公民館・休日", "2", "56", "28.0", f"{76 / 48:.3f}"]
    assert lines[f"venue:{city[4]['id']}"][1] == "第4公民館"
    assert await YieldFactor.count() == 2
