"""The drafted analysis (分析・改善提案): each rule fires at its threshold and not below it, the best and worst booths
are chosen deterministically, and a report without booths or results says so plainly. Pure functions: no database."""

from __future__ import annotations

import datetime as dt

import pytest

from booking import report_analysis as ra
from booking.reports import BoothRow, DailyReport, Figures, GroupRow, MonthlyReport, OfficeFigures, hour_totals
from core.i18n import using_locale

DAY = dt.date(2027, 6, 5)


@pytest.fixture(autouse=True)
def english():
    with using_locale("en"):
        yield


def booth(
    session_id: int,
    venue: str,
    *,
    applications: int | None = 14,
    forecast: int = 14,
    by_hour: dict[int, int] | None = None,
    bookings: int = 4,
    no_shows: int = 0,
    people: int | None = None,
    walk_in_people: int = 0,
    places: int = 8,
    kind: str = "community_hall",
    day_type: str = "holiday",
    date: dt.date = DAY,
    venue_id: int | None = None,
    start: int = 10,
    end: int = 17,
) -> BoothRow:
    hours = float(end - start)
    reported = applications is not None
    if by_hour is None and reported:
        by_hour = {h: applications // int(hours) for h in range(start, end)}
    people = bookings if people is None else people
    figures = Figures(
        booths=1,
        slots=1,
        places=places,
        bookings=bookings,
        people=people,
        checked_in=bookings - no_shows,
        checked_in_people=people - no_shows,
        no_shows=no_shows,
        no_show_people=no_shows,
        walk_ins=1 if walk_in_people else 0,
        walk_in_people=walk_in_people,
        applications=applications or 0,
        forecast=forecast,
        hours=hours,
        reported=int(reported),
        reported_forecast=forecast if reported else 0,
        reported_hours=hours if reported else 0.0,
    )
    return BoothRow(
        session_id=session_id,
        date=date,
        start=dt.time(start),
        end=dt.time(end),
        day_type=day_type,
        venue_id=venue_id or session_id,
        venue_name=venue,
        venue_kind=kind,
        figures=figures,
        has_result=reported,
        applications_by_hour=by_hour or {},
    )


def daily(*booths: BoothRow, office: OfficeFigures | None = None) -> DailyReport:
    return DailyReport(
        date=DAY,
        booths=booths,
        totals=Figures.total(b.figures for b in booths),
        hours=hour_totals(booths),
        office=office,
    )


def monthly(*booths: BoothRow, previous: Figures | None = None) -> MonthlyReport:
    def groups(key) -> tuple[GroupRow, ...]:
        keys = sorted({key(b) for b in booths})
        return tuple(
            GroupRow(key=k, label=k, figures=Figures.total(b.figures for b in booths if key(b) == k)) for k in keys
        )

    return MonthlyReport(
        month="2027-06",
        first=dt.date(2027, 6, 1),
        last=dt.date(2027, 6, 30),
        booths=booths,
        totals=Figures.total(b.figures for b in booths),
        hours=hour_totals(booths),
        by_venue=groups(lambda b: b.venue_name),
        by_kind=groups(lambda b: b.venue_kind),
        by_day_type=groups(lambda b: b.day_type),
        by_placement=(),
        days=(),
        office=OfficeFigures(),
        previous_month="2027-05",
        previous_totals=previous or Figures(),
        previous_office=OfficeFigures(),
        counter_stat=None,
    )


def test_a_day_without_booths_says_so():
    assert ra.draft_daily(daily()) == "No booths were held on this day."
    assert ra.draft_monthly(monthly()) == "No booths were held in this month."


def test_booths_without_results_say_there_is_nothing_to_analyse_yet():
    text = ra.draft_daily(daily(booth(1, "長坂公民館", applications=None)))
    assert text.startswith("No results have been entered for this day's booths yet")
    assert "Best booth" not in text


def test_best_and_worst_are_ranked_by_applications_per_hour_then_forecast_and_are_deterministic():
    strong = booth(1, "イオン金沢店", applications=35, forecast=20, kind="commercial")
    middle = booth(2, "長坂公民館", applications=14, forecast=14)
    tie_low_forecast = booth(3, "玉川図書館", applications=7, forecast=7, kind="library")
    tie_high_forecast = booth(4, "福祉センター", applications=7, forecast=28, kind="welfare", day_type="weekday")
    report = daily(tie_low_forecast, strong, tie_high_forecast, middle)
    best, worst = ra.best_and_worst(report.booths)
    assert (best.venue_name, worst.venue_name) == ("イオン金沢店", "福祉センター")  # 25% of forecast loses the tie
    text = ra.draft_daily(report)
    assert text == ra.draft_daily(report)
    assert (
        "• Best booth: イオン金沢店 on Sat, Jun 5 (Commercial facility, Holiday): 35 applications, 5.0 per hour, "
        "175% of the forecast of 20."
    ) in text
    assert (
        "• Weakest booth: 福祉センター on Sat, Jun 5 (Welfare facility, Weekday): 7 applications, 1.0 per hour" in text
    )
    assert "福祉センター on Sat, Jun 5 reached only 25% of the forecast" in text


def test_one_booth_is_described_once():
    text = ra.draft_daily(daily(booth(1, "長坂公民館")))
    assert "• The booth: 長坂公民館" in text and "Best booth" not in text


def test_a_weak_last_hour_suggests_ending_earlier_and_a_weak_first_hour_starting_later():
    late = booth(1, "イオン金沢店", applications=25, by_hour={10: 4, 11: 5, 12: 4, 13: 4, 14: 4, 15: 3, 16: 1})
    early = booth(2, "長坂公民館", applications=21, by_hour={10: 0, 11: 4, 12: 4, 13: 4, 14: 3, 15: 3, 16: 3})
    text = ra.draft_daily(daily(late, early))
    assert (
        "Weak slot 16:00–17:00 at イオン金沢店 (1 applications): consider ending earlier or moving that hour to a "
        "busier day or venue."
    ) in text
    assert "Weak slot 10:00–11:00 at 長坂公民館 (0 applications): consider starting later" in text


def test_an_hour_just_above_half_the_mean_is_not_weak_and_few_applications_are_not_judged():
    # mean 3.0 per hour; the weakest hour has 2 > 0.5 × 3
    steady = booth(1, "イオン金沢店", applications=21, by_hour={10: 3, 11: 4, 12: 3, 13: 3, 14: 3, 15: 3, 16: 2})
    assert ra.weak_hour(steady) is None
    at_half = booth(2, "イオン金沢店", applications=21, by_hour={10: 3, 11: 4, 12: 3, 13: 4, 14: 3, 15: 3, 16: 1})
    assert ra.weak_hour(at_half) == 16  # 1 ≤ 0.5 × 3
    few = booth(3, "長坂公民館", applications=5, by_hour={10: 2, 11: 2, 12: 1, 16: 0})
    assert ra.weak_hour(few) is None  # fewer than MIN_APPLICATIONS_FOR_HOURS


def test_a_no_show_rate_above_the_threshold_asks_for_earlier_reminders():
    above = booth(1, "イオン金沢店", bookings=9, no_shows=2)  # 22 %
    at = booth(2, "長坂公民館", bookings=10, no_shows=2)  # 20 %: not above
    few = booth(3, "玉川図書館", bookings=4, no_shows=2)  # 50 % of too few bookings
    text = ra.draft_daily(daily(above, at, few))
    assert "No-show rate 22% at イオン金沢店 on Sat, Jun 5: send reminders earlier" in text
    assert "at 長坂公民館 on Sat, Jun 5: send reminders" not in text and "玉川図書館 on Sat, Jun 5: send" not in text


def test_walk_ins_and_empty_places_give_their_suggestions():
    busy = booth(1, "イオン金沢店", bookings=2, people=2, walk_in_people=6, places=4)
    empty = booth(2, "長坂公民館", bookings=2, people=2, places=10)
    text = ra.draft_daily(daily(busy, empty))
    assert "Walk-ins were 75% of the visitors at イオン金沢店 on Sat, Jun 5: keep more places free" in text
    assert "Only 20% of the bookable places at 長坂公民館 on Sat, Jun 5 were booked" in text
    assert "Only 50%" not in text  # 2 of 4 places is not below 30 %


def test_a_venue_weak_twice_in_a_month_is_proposed_for_replacement():
    first = booth(1, "福祉センター", applications=4, forecast=12, venue_id=9, date=dt.date(2027, 6, 8))
    second = booth(2, "福祉センター", applications=5, forecast=12, venue_id=9, date=dt.date(2027, 6, 22))
    once = booth(3, "長坂公民館", applications=5, forecast=12, venue_id=7, date=dt.date(2027, 6, 15))
    fine = booth(4, "イオン金沢店", applications=6, forecast=12, venue_id=8, date=dt.date(2027, 6, 16))  # 50 %
    text = ra.draft_monthly(monthly(first, second, once, fine))
    assert (
        "福祉センター was below 50% of the forecast 2 times this month: consider replacing the venue in the plan."
    ) in text
    assert "長坂公民館 on Tue, Jun 15 reached only 42% of the forecast" in text
    assert "イオン金沢店 on Wed, Jun 16 reached only" not in text


def test_trends_against_the_previous_month():
    report = monthly(
        booth(1, "イオン金沢店", applications=28, bookings=6),
        previous=Figures(booths=2, applications=20, bookings=6, reported=2, reported_hours=14.0),
    )
    lines = ra.trend_lines(report)
    assert lines[0] == "Booths: 1 against 2 (down −50%)."
    assert lines[1] == "Applications at booths: 28 against 20 (up +40%)."
    assert lines[2].startswith("Bookings: 6 against 6 (about the same (+0%))")
    assert ra.trend_lines(monthly(booth(1, "x"))) == ["There were no booths in the previous month to compare with."]


def test_change_wording_at_the_thresholds():
    assert ra.change_text(110, 100) == "about the same (+10%)"
    assert ra.change_text(111, 100) == "up +11%"
    assert ra.change_text(89, 100) == "down −11%"
    assert ra.change_text(5, 0) == "new this month"
    assert ra.change_text(0, 0) == "none in either month"


def test_a_clean_month_says_no_rule_found_a_weak_point():
    text = ra.draft_monthly(monthly(booth(1, "イオン金沢店", places=4), previous=Figures(booths=1, applications=14)))
    assert "• No rule found a weak point" in text


def test_the_japanese_draft_uses_japanese_list_marks():
    with using_locale("ja"):
        text = ra.draft_daily(daily(booth(1, "長坂公民館")))
    assert all(line.startswith("・") for line in text.splitlines() if line and not line.startswith(("[", "【")))
