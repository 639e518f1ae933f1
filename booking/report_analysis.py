"""The analysis and improvement section (分析・改善提案) of the daily and monthly reports: a draft written from the
figures by fixed rules (best and worst booths and why, trends against the previous month, concrete suggestions),
which staff edit and save (ReportNote) before export.

The draft is deterministic: the same figures give the same text, in the current locale. The thresholds below are
the rules; change them here, not in the sentences.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import babel.dates

from booking.office_tickets import OfficeWaits, WaitRow
from booking.reports import BoothRow, DailyReport, Figures, GroupRow, MonthlyReport, OfficeFigures, ratio
from booking.tables import ReportNote
from core import clock
from core.audit import record_event
from core.db import write_transaction
from core.errors import ValidationFailed
from core.i18n import babel_locale, get_locale
from core.i18n import gettext as _
from core.users import Actor
from venues.facility_kinds import kind_label

WEAK_RATIO = 0.5
"""A booth below this share of its forecast is weak."""
STRONG_RATIO = 1.2
"""A booth at or above this share of its forecast did well."""
REPEATED_WEAK = 2
"""A venue weak this many times in a month is proposed for replacement."""
HIGH_NO_SHOW_RATE = 0.2
"""A no-show rate above this calls for earlier reminders..."""
MIN_BOOKINGS_FOR_RATE = 5
"""...when at least this many bookings were made (fewer say little)."""
WEAK_HOUR_SHARE = 0.5
"""An hour with at most this share of the booth's mean applications per hour is a weak slot..."""
MIN_APPLICATIONS_FOR_HOURS = 6
"""...judged only at booths with at least this many applications by hour."""
HIGH_WALK_IN_SHARE = 0.5
"""Walk-ins above this share of the visitors: keep more places for walk-ins."""
LOW_OCCUPANCY = 0.3
"""Booked people below this share of the bookable places: publicise the booth earlier."""
TREND_CHANGE = 0.1
"""A change of more than this share against the previous month is a rise or a fall; less is "about the same"."""
WAIT_LEAST_CALLED = 5
"""An hour's (or a day's) 90th percentile wait is judged against the office's red threshold only when at least this
many visitors were called in it (fewer say little)."""
MAX_SUGGESTIONS = 8
"""At most this many suggestions, the rules' order deciding which."""
MAX_ANALYSIS_CHARS = 20000
"""The longest analysis text staff may save."""


# --- wording helpers -------------------------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    """45%, or — when there is nothing to divide by."""
    return "—" if value is None else f"{value:.0%}"


def per_hour(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def day_text(date: dt.date) -> str:
    """6月5日(土) / Sat, Jun 5."""
    return babel.dates.format_skeleton("MMMEd", date, locale=babel_locale())


def hour_range(hour: int) -> str:
    """16:00–17:00."""
    return f"{hour}:00–{hour + 1}:00"


def day_type_text(day_type: str) -> str:
    return _("Weekday") if day_type == "weekday" else _("Holiday")


def heading(text: str) -> str:
    return _("[{heading}]").format(heading=text)


def bullet(text: str) -> str:
    """A list item: ・ in Japanese, • otherwise (never "-", which spreadsheets read as a formula)."""
    return ("・" if get_locale() == "ja" else "• ") + text


def booth_name(row: BoothRow) -> str:
    """The booth as a sentence names it: 6月5日(土) 〇〇公民館."""
    return _("{venue} on {date}").format(venue=row.venue_name, date=day_text(row.date))


def booth_facts(row: BoothRow) -> str:
    """What a booth achieved and the factors beside it (kind, day type, filling, no-shows, walk-ins)."""
    f = row.figures
    return _(
        "{booth} ({kind}, {day_type}): {applications} applications, {per_hour} per hour, {ratio} of the "
        "forecast of {forecast}. Booked places filled: {occupancy}; no-show rate: {no_shows}; walk-ins: "
        "{walk_ins} of visitors."
    ).format(
        booth=booth_name(row),
        kind=kind_label(row.venue_kind),
        day_type=day_type_text(row.day_type),
        applications=f.applications,
        per_hour=per_hour(f.applications_per_hour),
        ratio=percent(f.actual_vs_forecast),
        forecast=f.forecast,
        occupancy=percent(f.occupancy),
        no_shows=percent(f.no_show_rate),
        walk_ins=percent(f.walk_in_share),
    )


def summary_line(totals: Figures) -> str:
    return _(
        "{booths} booths: {applications} applications ({ratio} of the forecast of {forecast}), {bookings} "
        "bookings ({people} people), {walk_ins} walk-in parties ({walk_in_people} people), no-show rate "
        "{no_shows}."
    ).format(
        booths=totals.booths,
        applications=totals.applications,
        ratio=percent(totals.actual_vs_forecast),
        forecast=totals.reported_forecast,
        bookings=totals.bookings,
        people=totals.people,
        walk_ins=totals.walk_ins,
        walk_in_people=totals.walk_in_people,
        no_shows=percent(totals.no_show_rate),
    )


def office_line(office: OfficeFigures) -> str:
    text = _(
        "At the city's counters: {applications} applications, {cards} cards handed over, {certificates} "
        "certificates issued or renewed, {calls} phone calls."
    ).format(
        applications=office.applications,
        cards=office.card_handovers,
        certificates=office.certificates,
        calls=office.phone_calls,
    )
    space = "" if get_locale() == "ja" else " "  # Japanese sentences follow each other without a space
    if office.ticket_days and office.ticket_days == office.days:
        text += space + _("Applications, cards, certificates and PIN resets are counted from the queue tickets served.")
    elif office.ticket_days:
        text += space + _(
            "On {tickets} of the {days} days, applications, cards, certificates and PIN resets are counted from the "
            "queue tickets served; on the others they were typed by staff."
        ).format(tickets=office.ticket_days, days=office.days)
    return text


def minutes(value: float | None) -> str:
    """12 / — (a wait in whole minutes)."""
    return "—" if value is None else f"{value:.0f}"


def hours_text(hours: Sequence[int]) -> str:
    """10:00–11:00, 14:00–15:00."""
    return ", ".join(hour_range(hour) for hour in hours)


def busiest_hour(waits: OfficeWaits) -> tuple[int, WaitRow] | None:
    """The hour most visitors took a ticket in (the earliest of equally busy hours)."""
    if not waits.hours:
        return None
    return max(waits.hours, key=lambda item: (item[1].visits, -item[0]))


def wait_lines(waits: Sequence[OfficeWaits], *, monthly: bool) -> tuple[list[str], list[str]]:
    """Findings and suggestions about the counters' waiting times: each office's day (or month), its busiest hour,
    the hours (and, monthly, the days) whose 90th percentile wait was above the office's red threshold, and what
    would shorten them."""
    findings: list[str] = []
    suggestions: list[str] = []
    for office in waits:
        total = office.total
        findings.append(
            _(
                "{office}: {visits} visitors took a queue ticket and {served} were served; waiting time median "
                "{median} min, 90th percentile {p90} min."
            ).format(
                office=office.office_name,
                visits=total.visits,
                served=total.served,
                median=minutes(total.median_minutes),
                p90=minutes(total.p90_minutes),
            )
        )
        busiest = busiest_hour(office)
        if busiest is not None:
            hour, row = busiest
            findings.append(
                _(
                    "Busiest hour at {office}: {hours} ({visits} tickets taken; waiting time median {median} min, "
                    "90th percentile {p90} min)."
                ).format(
                    office=office.office_name,
                    hours=hour_range(hour),
                    visits=row.visits,
                    median=minutes(row.median_minutes),
                    p90=minutes(row.p90_minutes),
                )
            )
        over = office.hours_over(office.red_minutes, WAIT_LEAST_CALLED)
        if over:
            worst = max(row.p90_minutes or 0.0 for _hour, row in over)
            findings.append(
                _(
                    "At {office} the 90th percentile wait was above the red threshold of {red} minutes in {hours} "
                    "(up to {worst} min)."
                ).format(
                    office=office.office_name,
                    red=office.red_minutes,
                    hours=hours_text([hour for hour, _row in over]),
                    worst=minutes(worst),
                )
            )
            suggestions.append(
                _(
                    "Open another window at {office} in {hours} (for example with a back-office member of staff), "
                    "and steer residents to pickup reservations and quieter hours: there the 90th percentile wait "
                    "was above {red} minutes."
                ).format(
                    office=office.office_name, hours=hours_text([hour for hour, _row in over]), red=office.red_minutes
                )
            )
        elif total.called >= WAIT_LEAST_CALLED:
            findings.append(
                _(
                    "At {office} the 90th percentile wait stayed within the red threshold of {red} minutes in every "
                    "hour."
                ).format(office=office.office_name, red=office.red_minutes)
            )
        if monthly:
            days = [
                day
                for day, row in office.days
                if row.called >= WAIT_LEAST_CALLED and (row.p90_minutes or 0.0) > office.red_minutes
            ]
            if days:
                suggestions.append(
                    _(
                        "On {days} the day's 90th percentile wait at {office} was above {red} minutes: plan extra "
                        "windows on days like these."
                    ).format(
                        days=", ".join(day_text(day) for day in days), office=office.office_name, red=office.red_minutes
                    )
                )
    return findings, suggestions


# --- ranking ------------------------------------------------------------------------------------------------------


def ranked(booths: Sequence[BoothRow]) -> list[BoothRow]:
    """The booths with results, best first: applications per hour, then actual/forecast, then date and id."""
    reported = [row for row in booths if row.has_result]
    return sorted(
        reported,
        key=lambda r: (
            -(r.figures.applications_per_hour or 0.0),
            -(r.figures.actual_vs_forecast or 0.0),
            r.date,
            r.start,
            r.session_id,
        ),
    )


def best_and_worst(booths: Sequence[BoothRow]) -> tuple[BoothRow | None, BoothRow | None]:
    """The best and the worst booth with results (the same booth when only one has results)."""
    order = ranked(booths)
    return (order[0], order[-1]) if order else (None, None)


def weak_hour(row: BoothRow) -> int | None:
    """The booth's weakest open hour when it is a weak slot (at most WEAK_HOUR_SHARE of the mean), else None."""
    if sum(row.applications_by_hour.values()) < MIN_APPLICATIONS_FOR_HOURS:
        return None
    last = row.end.hour if row.end.minute == 0 else row.end.hour + 1
    open_hours = list(range(row.start.hour, last))
    if len(open_hours) < 2:
        return None
    counts = [row.applications_by_hour.get(hour, 0) for hour in open_hours]
    mean = sum(counts) / len(counts)
    lowest = min(counts)
    if lowest > WEAK_HOUR_SHARE * mean:
        return None
    hour = open_hours[counts.index(lowest)]  # the earliest of equally weak hours
    return hour


def weak_slot_suggestion(row: BoothRow, hour: int) -> str:
    last = row.end.hour if row.end.minute == 0 else row.end.hour + 1
    count = row.applications_by_hour.get(hour, 0)
    if hour == last - 1:
        text = _(
            "Weak slot {hours} at {venue} ({count} applications): consider ending earlier or moving that hour "
            "to a busier day or venue."
        )
    elif hour == row.start.hour:
        text = _(
            "Weak slot {hours} at {venue} ({count} applications): consider starting later or moving that hour "
            "to a busier day or venue."
        )
    else:
        text = _(
            "Weak slot {hours} at {venue} ({count} applications): consider staggering the staff's breaks into "
            "that hour."
        )
    return text.format(hours=hour_range(hour), venue=row.venue_name, count=count)


def booth_suggestions(booths: Sequence[BoothRow]) -> list[str]:
    """Suggestions about single booths, rule by rule: weak slots, no-shows, walk-ins, filling."""
    slots, no_shows, walk_ins, filling = [], [], [], []
    for row in booths:
        f = row.figures
        hour = weak_hour(row)
        if hour is not None:
            slots.append(weak_slot_suggestion(row, hour))
        if f.bookings >= MIN_BOOKINGS_FOR_RATE and (f.no_show_rate or 0) > HIGH_NO_SHOW_RATE:
            no_shows.append(
                _(
                    "No-show rate {rate} at {booth}: send reminders earlier (e.g. two days before) and ask "
                    "residents to cancel if they cannot come."
                ).format(rate=percent(f.no_show_rate), booth=booth_name(row))
            )
        if f.visitors and (f.walk_in_share or 0) > HIGH_WALK_IN_SHARE:
            walk_ins.append(
                _("Walk-ins were {share} of the visitors at {booth}: keep more places free for walk-ins there.").format(
                    share=percent(f.walk_in_share), booth=booth_name(row)
                )
            )
        if f.places and (f.occupancy or 0) < LOW_OCCUPANCY:
            filling.append(
                _(
                    "Only {share} of the bookable places at {booth} were booked: put up flyers at the venue "
                    "and nearby earlier."
                ).format(share=percent(f.occupancy), booth=booth_name(row))
            )
    return slots + no_shows + walk_ins + filling


def weak_booth_lines(booths: Sequence[BoothRow], *, monthly: bool) -> list[str]:
    """Booths below WEAK_RATIO of the forecast; a venue weak REPEATED_WEAK times is proposed for replacement."""
    weak: dict[int, list[BoothRow]] = {}
    for row in booths:
        value = row.figures.actual_vs_forecast
        if row.has_result and value is not None and value < WEAK_RATIO:
            weak.setdefault(row.venue_id, []).append(row)
    lines = []
    for rows in weak.values():
        first = rows[0]
        if monthly and len(rows) >= REPEATED_WEAK:
            lines.append(
                _(
                    "{venue} was below {threshold} of the forecast {times} times this month: consider "
                    "replacing the venue in the plan."
                ).format(venue=first.venue_name, threshold=percent(WEAK_RATIO), times=len(rows))
            )
        else:
            lines.append(
                _(
                    "{booth} reached only {ratio} of the forecast: if its next booth is weak as well, consider "
                    "another date type or venue."
                ).format(booth=booth_name(first), ratio=percent(first.figures.actual_vs_forecast))
            )
    return lines


def _group_lines(groups: Sequence[GroupRow], label) -> list[str]:
    """Best and weakest group by applications per hour, when at least two groups have results."""
    reported = [g for g in groups if g.figures.reported]
    if len(reported) < 2:
        return []
    order = sorted(reported, key=lambda g: (-(g.figures.applications_per_hour or 0.0), g.key))
    best, worst = order[0], order[-1]
    return [
        _("{best} did best with {best_rate} applications per hour; {worst} did least with {worst_rate}.").format(
            best=label(best),
            best_rate=per_hour(best.figures.applications_per_hour),
            worst=label(worst),
            worst_rate=per_hour(worst.figures.applications_per_hour),
        )
    ]


def change_text(now: float, before: float) -> str:
    """+25% / −10% / about the same / new (nothing before)."""
    if not before:
        return _("new this month") if now else _("none in either month")
    change = (now - before) / before
    if abs(change) <= TREND_CHANGE:
        return _("about the same ({change})").format(change=f"{change:+.0%}")
    return (
        _("up {change}").format(change=f"{change:+.0%}")
        if change > 0
        else _("down {change}").format(change=f"{change:+.0%}".replace("-", "−"))
    )


def trend_lines(report: MonthlyReport) -> list[str]:
    now, before = report.totals, report.previous_totals
    if not before.booths:
        return [_("There were no booths in the previous month to compare with.")]
    lines = [
        _("Booths: {now} against {before} ({change}).").format(
            now=now.booths, before=before.booths, change=change_text(now.booths, before.booths)
        ),
        _("Applications at booths: {now} against {before} ({change}).").format(
            now=now.applications, before=before.applications, change=change_text(now.applications, before.applications)
        ),
        _("Bookings: {now} against {before} ({change}); walk-in parties: {walk_now} against {walk_before}.").format(
            now=now.bookings,
            before=before.bookings,
            change=change_text(now.bookings, before.bookings),
            walk_now=now.walk_ins,
            walk_before=before.walk_ins,
        ),
        _("Applications per booth hour: {now} against {before}; no-show rate: {ns_now} against {ns_before}.").format(
            now=per_hour(now.applications_per_hour),
            before=per_hour(before.applications_per_hour),
            ns_now=percent(now.no_show_rate),
            ns_before=percent(before.no_show_rate),
        ),
    ]
    if report.office.days and report.previous_office.days:
        lines.append(
            _("Applications at the city's counters: {now} against {before} ({change}).").format(
                now=report.office.applications,
                before=report.previous_office.applications,
                change=change_text(report.office.applications, report.previous_office.applications),
            )
        )
    return lines


# --- the drafts ------------------------------------------------------------------------------------------------------


def _findings(booths: Sequence[BoothRow]) -> list[str]:
    best, worst = best_and_worst(booths)
    if best is None:
        return []
    if best is worst:
        return [bullet(_("The booth: {facts}").format(facts=booth_facts(best)))]
    return [
        bullet(_("Best booth: {facts}").format(facts=booth_facts(best))),
        bullet(_("Weakest booth: {facts}").format(facts=booth_facts(worst))),
    ]


def _hours_line(hours: Sequence[tuple[int, int]]) -> list[str]:
    counted = [(hour, n) for hour, n in hours]
    if not counted or not any(n for _hour, n in counted):
        return []
    busiest = max(counted, key=lambda item: (item[1], -item[0]))
    quietest = min(counted, key=lambda item: (item[1], item[0]))
    return [
        bullet(
            _("Busiest hour: {busy} ({busy_count} applications); quietest: {quiet} ({quiet_count}).").format(
                busy=hour_range(busiest[0]),
                busy_count=busiest[1],
                quiet=hour_range(quietest[0]),
                quiet_count=quietest[1],
            )
        )
    ]


def _suggestions(lines: list[str]) -> list[str]:
    unique = list(dict.fromkeys(lines))[:MAX_SUGGESTIONS]
    if not unique:
        unique = [_("No rule found a weak point: keep the schedule and the publicity as they are.")]
    return [heading(_("Suggestions")), *(bullet(line) for line in unique)]


def _counter_only(message: str, lines: list[str], suggestions: list[str]) -> str:
    """The draft of a report whose booths say nothing (``message``) but whose counters do."""
    return "\n".join([heading(_("Results")), bullet(message), *lines, "", *_suggestions(suggestions)])


def draft_daily(report: DailyReport) -> str:
    """The drafted analysis of a 日次実績報告書 (of the booths that have happened only, and of the counters)."""
    wait_findings, wait_suggestions = wait_lines(report.waits, monthly=False)
    counter = [bullet(line) for line in wait_findings]
    if report.office is not None and (counter or not report.has_results):
        counter.insert(0, bullet(office_line(report.office)))
    if not report.booths and report.scheduled:
        message = _("No booth of this day has happened yet, so there is nothing to analyse. Redraft after the booths.")
    elif not report.booths:
        message = _("No booths were held on this day.")
    elif not report.has_results:
        message = _(
            "No results have been entered for this day's booths yet, so there is nothing to analyse. Enter the "
            "results and redraft."
        )
    else:
        message = ""
    if message:
        return _counter_only(message, counter, wait_suggestions) if wait_findings else message
    lines = [
        heading(_("Results")),
        bullet(summary_line(report.totals)),
        *_findings(report.booths),
        *_hours_line(report.hours),
    ]
    if report.office is not None:
        lines.append(bullet(office_line(report.office)))
    lines += [bullet(line) for line in wait_findings]
    suggestions = wait_suggestions + weak_booth_lines(report.booths, monthly=False) + booth_suggestions(report.booths)
    return "\n".join([*lines, "", *_suggestions(suggestions)])


def draft_monthly(report: MonthlyReport) -> str:
    """The drafted analysis of a 月次実施報告書 (of the booths that have happened only, and of the counters)."""
    wait_findings, wait_suggestions = wait_lines(report.waits, monthly=True)
    if not report.booths and report.scheduled:
        message = _("No booth of this month has happened yet, so there is nothing to analyse.")
    elif not report.booths:
        message = _("No booths were held in this month.")
    elif not report.has_results:
        message = _(
            "No results have been entered for this month's booths yet, so there is nothing to analyse. Enter "
            "the results and redraft."
        )
    else:
        message = ""
    if message:
        if not wait_findings:
            return message
        counter = [bullet(office_line(report.office))] if report.office.days else []
        return _counter_only(message, counter + [bullet(line) for line in wait_findings], wait_suggestions)
    findings = [heading(_("Results")), bullet(summary_line(report.totals)), *_findings(report.booths)]
    findings += [bullet(line) for line in _group_lines(report.by_kind, lambda g: kind_label(g.key))]
    findings += [bullet(line) for line in _group_lines(report.by_day_type, lambda g: day_type_text(g.key))]
    findings += _hours_line(report.hours)
    placements = [row for row in report.by_placement if not row.is_direct and row.bookings]
    if placements:
        top = placements[0]
        findings.append(
            bullet(
                _("The placement that brought most bookings: {name} ({bookings} bookings, {people} people).").format(
                    name=top.name or top.code, bookings=top.bookings, people=top.people
                )
            )
        )
    if report.office.days:
        findings.append(bullet(office_line(report.office)))
        stat = report.counter_stat
        if stat is not None:
            findings.append(
                bullet(
                    _(
                        "In the same month of {year} the counters received {applications} applications; "
                        "this month's counts ({days} days entered) are {share} of that."
                    ).format(
                        year=stat.year,
                        applications=stat.applications,
                        days=report.office.days,
                        share=percent(ratio(report.office.applications, stat.applications)),
                    )
                )
            )
    findings += [bullet(line) for line in wait_findings]
    trends = [heading(_("Against the previous month")), *(bullet(line) for line in trend_lines(report))]
    suggestions = wait_suggestions + weak_booth_lines(report.booths, monthly=True)
    if report.totals.bookings >= MIN_BOOKINGS_FOR_RATE and (report.totals.no_show_rate or 0) > HIGH_NO_SHOW_RATE:
        suggestions.append(
            _("The month's no-show rate was {rate}: send reminders earlier (e.g. two days before).").format(
                rate=percent(report.totals.no_show_rate)
            )
        )
    idle = [row.name or row.code for row in report.by_placement if not row.is_direct and not row.bookings]
    if idle:
        suggestions.append(
            _(
                "Placements that brought no booking this month: {names}. Consider moving these flyers to busier places."
            ).format(names=", ".join(idle))
        )
    suggestions += booth_suggestions(report.booths)
    return "\n".join([*findings, "", *trends, "", *_suggestions(suggestions)])


# --- the figures a saved analysis was written against ---------------------------------------------------------------

SUMMARY_FIELDS = (
    "booths",
    "applications",
    "reported_forecast",
    "bookings",
    "people",
    "walk_ins",
    "no_shows",
    "counter_tickets",
    "counter_served",
)
"""The totals kept with a saved analysis, to say which of them changed since (order of display): the booths', then
the queue tickets taken and served at the counters (an analysis saved before these were kept has none of them, and
they are then not compared)."""


def fingerprint(report: DailyReport | MonthlyReport) -> str:
    """A digest of every figure a report's tables and draft are made of (the booths still to come left out: their
    bookings change every day and appear in no figure; session ids left out: see ``_without_ids``): equal digests,
    equal tables."""
    counted = dataclasses.replace(report, scheduled=())
    text = json.dumps(_without_ids(dataclasses.asdict(counted)), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


ABSENT_UNLESS_SET = frozenset({"waits", "ticket_days", "waitlist_bookings", "waitlist_people"})
"""Figures added with the counter's queue tickets and with the waiting lists, left out of the digest while they hold
nothing, so that a report without them keeps the digest it had before they existed (its saved analysis is not
flagged as changed)."""


def _without_ids(value: object) -> object:
    """``value`` without session ids: a booth continued by a later version of the plan is a new session of the same
    booth (same venue, date and hours), with the same figures. Empty counter figures are left out as well (see
    ABSENT_UNLESS_SET)."""
    if isinstance(value, dict):
        return {
            k: _without_ids(v) for k, v in value.items() if k != "session_id" and not (k in ABSENT_UNLESS_SET and not v)
        }
    if isinstance(value, list | tuple):
        return [_without_ids(v) for v in value]
    return value


def summary_figures(report: DailyReport | MonthlyReport) -> dict[str, int]:
    """The report's totals kept with a saved analysis."""
    counter = {
        "counter_tickets": sum(office.total.visits for office in report.waits),
        "counter_served": sum(office.total.served for office in report.waits),
    }
    return {name: counter[name] if name in counter else getattr(report.totals, name) for name in SUMMARY_FIELDS}


def summary_label(name: str) -> str:
    """The translated name of a kept total."""
    labels = {
        "booths": _("Booths"),
        "applications": _("Applications"),
        "reported_forecast": _("Forecast"),
        "bookings": _("Bookings"),
        "people": _("People"),
        "walk_ins": _("Walk-in parties"),
        "no_shows": _("No-shows"),
        "counter_tickets": _("Visitors at the counters"),
        "counter_served": _("Visitors served at the counters"),
    }
    return labels[name]


@dataclass(frozen=True)
class Analysis:
    """The analysis a report shows and exports, and whether the saved text still matches the tables.

    ``stale``: the figures changed after the text was saved (the page flags it; exports carry a redraft instead,
    so that a filed report's text and tables never disagree). ``unverified``: saved before figures were recorded
    with the text, so it cannot be checked. ``changes``: the kept totals that differ, (name, then, now)."""

    text: str
    note: dict | None
    stale: bool = False
    unverified: bool = False
    changes: tuple[tuple[str, int, int], ...] = ()


async def saved_analysis(key: str) -> dict | None:
    """The analysis staff saved for a report key (``daily:…`` / ``monthly:…``), or None."""
    return await ReportNote.select().where(ReportNote.key == key).output(load_json=True).first()


async def current_analysis(report: DailyReport | MonthlyReport, draft: str) -> Analysis:
    """The saved analysis of a report checked against its figures now (the draft when nothing is saved)."""
    note = await saved_analysis(report.key)
    if note is None:
        return Analysis(text=draft, note=None)
    if not note["figures_hash"]:
        return Analysis(text=note["analysis"], note=note, unverified=True)
    if note["figures_hash"] == fingerprint(report):
        return Analysis(text=note["analysis"], note=note)
    then = note["figures"] if isinstance(note["figures"], dict) else {}
    now = summary_figures(report)
    changes = tuple(
        (name, int(then[name]), now[name]) for name in SUMMARY_FIELDS if name in then and then[name] != now[name]
    )
    return Analysis(text=note["analysis"], note=note, stale=True, changes=changes)


async def save_analysis(
    actor: Actor, key: str, text: str, figures_hash: str = "", figures: dict[str, int] | None = None
) -> None:
    """Save the edited analysis of a report (one per key, replaced on every save) with the figures it was written
    against (``figures_hash``, ``figures``: those of the page staff edited it on) and note it in the audit log."""
    text = text.replace("\r\n", "\n").strip()
    if len(text) > MAX_ANALYSIS_CHARS:
        raise ValidationFailed(
            _("Please correct the marked fields."),
            {"analysis": _("The analysis may have at most {most} characters.").format(most=MAX_ANALYSIS_CHARS)},
        )
    async with write_transaction():
        before = await ReportNote.select(ReportNote.analysis).where(ReportNote.key == key).first()
        await ReportNote.insert(
            ReportNote(
                key=key,
                analysis=text,
                edited_by=actor.id,
                updated_at=clock.now(),
                figures_hash=figures_hash,
                figures=figures or {},
            )
        ).on_conflict(
            target=ReportNote.key,
            action="DO UPDATE",
            values=[
                ReportNote.analysis,
                ReportNote.edited_by,
                ReportNote.updated_at,
                ReportNote.figures_hash,
                ReportNote.figures,
            ],
        )
        characters = {"before": len(before["analysis"]) if before else None, "after": len(text)}
        await record_event(actor, "report.analysis_saved", "report", key, key, {"characters": characters})


async def analysis_for_export(report: DailyReport | MonthlyReport, draft: str) -> str:
    """What the exported report says in its analysis section: the saved text, else the draft; when the figures
    changed after the text was saved, the draft from the figures now, saying so, never text that disagrees with the
    tables."""
    current = await current_analysis(report, draft)
    if not current.stale:
        return current.text
    return "\n".join([redrafted_notice(), "", draft])


def redrafted_notice() -> str:
    """The line an export starts its analysis with when the saved text was replaced by a redraft."""
    return _(
        "※ The figures changed after the analysis was saved, so this analysis was drafted again from the "
        "figures in this report. The staff's saved text is on the report page, to be checked and saved again."
    )


async def save_report_analysis(
    actor: Actor, report: DailyReport | MonthlyReport, text: str, seen: str | None = None
) -> None:
    """Save a report's analysis against its figures: those now, or, when staff edited it on a page whose figures
    (``seen``, their fingerprint) have changed since, those they saw, so that the change is flagged at once."""
    now = fingerprint(report)
    if seen is None or seen == now:
        await save_analysis(actor, report.key, text, now, summary_figures(report))
    else:
        await save_analysis(actor, report.key, text, seen[:64], {})
