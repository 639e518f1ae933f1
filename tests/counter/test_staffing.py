"""Staffing of the counter: Erlang C against its textbook values and a ciw simulation, the windows each hour needs
for a Kanazawa day, and an office's plan from its services and the counter statistics."""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from pathlib import Path

import ciw
import pytest

from core.errors import NotFound
from core.settings import get_settings
from counter import staffing
from counter.staffing import (
    CONTRACT_WINDOWS,
    ServiceForecast,
    counter_weekdays,
    daily_arrivals,
    erlang_c,
    expected_wait_minutes,
    hour_periods,
    hourly_arrivals,
    month_stat,
    office_staffing,
    plan_staffing,
    windows_needed,
)
from counter.tables import CounterService, Office, OfficeDay

KANAZAWA_STATS = Path(__file__).resolve().parents[2] / "data" / "kanazawa" / "window_stats_2024.csv"


def test_erlang_c_gives_the_textbook_values():
    # 2 erlangs at 3 servers: P(wait) = 4/9; at 2 servers or fewer the queue never empties.
    assert erlang_c(2 / 10, 10.0, 3) == pytest.approx(4 / 9)
    assert expected_wait_minutes(2 / 10, 10.0, 3) == pytest.approx(4 / 9 * 10.0 / 1.0)
    assert expected_wait_minutes(2 / 10, 10.0, 2) == float("inf")
    assert expected_wait_minutes(0.0, 10.0, 1) == 0.0
    # A large office is computed without overflow (the recurrence, not factorials).
    assert 0 < erlang_c(95 / 10, 10.0, 110) < 0.2


def test_erlang_c_agrees_with_a_simulated_m_m_c_counter():
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(0.4)],
        service_distributions=[ciw.dists.Exponential(1 / 10.0)],
        number_of_servers=[5],
    )
    ciw.seed(5)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(30_000, method="Finish")
    waits = [r.waiting_time for r in sorted(simulation.get_all_records(), key=lambda r: r.arrival_date)[3000:]]
    assert statistics.fmean(waits) == pytest.approx(expected_wait_minutes(0.4, 10.0, 5), rel=0.15)


def test_the_windows_needed_are_the_fewest_that_keep_the_wait_under_the_target():
    for arrivals in (3, 12, 30, 60, 150):
        needed = windows_needed(arrivals, 10.0, 20.0)
        assert expected_wait_minutes(arrivals / 60, 10.0, needed) <= 20.0
        assert needed == 1 or expected_wait_minutes(arrivals / 60, 10.0, needed - 1) > 20.0
    assert windows_needed(0, 10.0, 20.0) == 0
    assert windows_needed(30, 10.0, 5.0) >= windows_needed(30, 10.0, 20.0)  # a stricter target needs more


def test_a_counter_day_has_its_hours_and_its_arrivals_follow_the_hourly_shape():
    periods = hour_periods(dt.time(9, 0), dt.time(17, 45))
    assert [p.label for p in periods][0] == "09:00–10:00" and periods[-1].label == "17:00–17:45"
    assert len(periods) == 9 and sum(p.minutes for p in periods) == 525
    arrivals = hourly_arrivals(100.0, periods)
    assert sum(arrivals) == pytest.approx(100.0)
    assert max(arrivals) == arrivals[1]  # the late-morning rush
    assert arrivals[3] < arrivals[2] and arrivals[-1] == min(arrivals)  # lunch, and the last three quarters


def test_a_december_day_in_kanazawa_needs_more_than_the_contracts_five_windows():
    # December 2024: 3,087 cards, 1,129 certificates, 2,944 applications over 20 counter weekdays (12/30 and 12/31
    # closed).
    assert counter_weekdays(2024, 12) == 20
    stat = month_stat(dt.date(2025, 12, 10), KANAZAWA_STATS)
    assert stat is not None and stat.month == "2024-12"
    assert daily_arrivals("pickup", stat, dt.date(2025, 12, 10)) == pytest.approx(3087 / counter_weekdays(2025, 12))
    assert daily_arrivals("pin_reset", stat, dt.date(2025, 12, 10)) == 0.0
    day = dt.date(2025, 12, 10)
    periods = hour_periods(dt.time(9, 0), dt.time(17, 45))
    forecasts = [
        ServiceForecast(kind, minutes, tuple(hourly_arrivals(daily_arrivals(kind, stat, day), periods)))
        for kind, minutes in (("pickup", 10.0), ("certificate", 7.0), ("application", 12.0))
    ]
    december = plan_staffing(day, periods, forecasts, 20.0)
    assert december.peak > CONTRACT_WINDOWS and december.short_periods
    january_stat = month_stat(dt.date(2026, 1, 14), KANAZAWA_STATS)
    january = plan_staffing(
        dt.date(2026, 1, 14),
        periods,
        [
            ServiceForecast(
                f.kind, f.minutes, tuple(hourly_arrivals(daily_arrivals(f.kind, january_stat, day), periods))
            )
            for f in forecasts
        ],
        20.0,
    )
    assert january.peak < december.peak
    # Every hour's windows meet the target for every service.
    for forecast, row in zip(forecasts, december.windows):
        for arrivals, period, windows in zip(forecast.arrivals, periods, row):
            assert expected_wait_minutes(arrivals / period.minutes, forecast.minutes, windows) <= 20.0


@pytest.fixture
def kanazawa_stats(monkeypatch: pytest.MonkeyPatch) -> Path:
    """COUNTER_STATS_FILE set to the Kanazawa counter statistics of 2024, as `make demo` does."""
    settings = dataclasses.replace(get_settings(), counter_stats_file=KANAZAWA_STATS)
    monkeypatch.setattr(staffing, "get_settings", lambda: settings)
    return KANAZAWA_STATS


async def make_office() -> int:
    office = Office(code="CITYHALL", name="金沢市役所 市民課", opens="09:00", closes="17:45")
    await office.save()
    for kind, letter, minutes in (("pickup", "A", 10.0), ("certificate", "B", 7.0), ("pin_reset", "C", 5.0)):
        await CounterService(office=office.id, kind=kind, letter=letter, minutes_per_person=minutes).save()
    return int(office.id)


async def test_an_offices_plan_comes_from_its_services_and_the_counter_statistics(kanazawa_stats):
    office_id = await make_office()
    result = await office_staffing(office_id, dt.date(2026, 12, 9), 20.0)
    assert result.open and result.office_name == "金沢市役所 市民課"
    assert result.stat_month == "2024-12"
    assert [f.kind for f in result.plan.services] == ["pickup", "certificate", "pin_reset"]
    assert result.kinds_without_forecast == ("pin_reset",)
    assert len(result.plan.periods) == 9
    pickup, certificate, pin_reset = result.plan.windows
    assert max(pickup) > max(certificate) > 0 and max(pin_reset) == 0
    assert result.plan.totals == [a + b for a, b in zip(pickup, certificate)]


async def test_a_closed_day_needs_no_windows_and_a_weekend_opening_uses_its_hours(kanazawa_stats):
    office_id = await make_office()
    sunday = dt.date(2026, 12, 13)
    closed = await office_staffing(office_id, sunday)
    assert not closed.open and closed.plan.periods == () and closed.plan.peak == 0
    await OfficeDay(office=office_id, date=sunday, open=True, opens="09:00", closes="12:00").save()
    opening = await office_staffing(office_id, sunday)
    assert opening.open and [p.label for p in opening.plan.periods][-1] == "11:00–12:00"


async def test_without_counter_statistics_there_is_no_forecast():
    office_id = await make_office()
    result = await office_staffing(office_id, dt.date(2026, 12, 9))
    assert result.stat_month is None and result.plan.peak == 0


async def test_an_unknown_office_is_not_found():
    with pytest.raises(NotFound):
        await office_staffing(999_999, dt.date(2026, 12, 9))


def test_a_simulated_december_day_staffed_as_planned_keeps_the_waits_under_the_target():
    # The plan's windows hour by hour, in a ciw simulation of the day's Poisson arrivals with service times as
    # variable as exponential ones: every service's mean wait stays under the target; with the contract's windows
    # split between the services, it does not.
    day = dt.date(2025, 12, 10)
    stat = month_stat(day, KANAZAWA_STATS)
    periods = hour_periods(dt.time(9, 0), dt.time(17, 45))
    forecasts = [
        ServiceForecast(kind, minutes, tuple(hourly_arrivals(daily_arrivals(kind, stat, day), periods)))
        for kind, minutes in (("pickup", 10.0), ("certificate", 7.0), ("application", 12.0))
    ]
    plan = plan_staffing(day, periods, forecasts, 20.0)
    ends = [sum(p.minutes for p in periods[: i + 1]) for i in range(len(periods))]

    def mean_wait(forecast: ServiceForecast, windows: list[int], seed: int) -> float:
        network = ciw.create_network(
            arrival_distributions=[
                ciw.dists.PoissonIntervals(
                    [n / p.minutes for n, p in zip(forecast.arrivals, periods)], [float(e) for e in ends], 525.0
                )
            ],
            service_distributions=[ciw.dists.Exponential(1 / forecast.minutes)],
            number_of_servers=[ciw.Schedule(numbers_of_servers=[*windows, windows[-1]], shift_end_dates=[*ends, 5000])],
        )
        ciw.seed(seed)
        simulation = ciw.Simulation(network)
        simulation.simulate_until_max_time(5000.0)
        return statistics.fmean(r.waiting_time for r in simulation.get_all_records())

    for s, forecast in enumerate(plan.services):
        planned = statistics.fmean(mean_wait(forecast, list(plan.windows[s]), seed) for seed in range(5))
        assert planned <= 20.0, forecast.kind
    contract = {"pickup": [2] * 9, "certificate": [1] * 9, "application": [2] * 9}
    overwhelmed = [mean_wait(f, contract[f.kind], 1) for f in plan.services]
    assert max(overwhelmed) > 60.0
