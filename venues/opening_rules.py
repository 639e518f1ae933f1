"""A venue's opening rules (開館日・開館時間) in OpenStreetMap ``opening_hours`` syntax: checking, evaluating, in words.

The parser is ``opening-hours-py`` (the Rust ``opening-hours`` crate).  Its own Japanese holiday calendar misses
振替休日 and 国民の休日 (2026-09-22, 2027-03-22), so a rule whose selector is ``PH`` or ``PH +1 day`` is evaluated with
the city's calendar (:mod:`core.calendar`): ``PH`` is replaced by the list of the period's holidays before parsing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from opening_hours import OpeningHours, State, validate

from core.calendar import dates, is_national_holiday
from core.i18n import N_
from core.i18n import gettext as _
from venues.hours_notes import MONTHS, OSM_DAYS

Window = tuple[dt.time, dt.time]

_PH_RULE = re.compile(r"^PH(\s*\+1 day)?\s+(.+)$")


def is_valid_rule(text: str) -> bool:
    """Whether ``text`` is an ``opening_hours`` expression the parser accepts."""
    return bool(text.strip()) and validate(text.strip())


def _rules(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _expand_holidays(text: str, start: dt.date, end: dt.date) -> str:
    """The rule with ``PH`` selectors replaced by the city's holidays between ``start`` and ``end``."""
    holidays = [d for d in dates(start - dt.timedelta(days=1), end) if is_national_holiday(d)]
    parts = []
    for rule in _rules(text):
        match = _PH_RULE.match(rule)
        if match is None:
            parts.append(rule)
            continue
        shift = dt.timedelta(days=1 if match[1] else 0)
        days = sorted({d + shift for d in holidays if start <= d + shift <= end})
        if days:
            selector = ",".join(f"{d.year} {MONTHS[d.month - 1]} {d.day:02d}" for d in days)
            parts.append(f"{selector} {match[2]}")
    return "; ".join(parts)


def open_windows(rule: str, start: dt.date, end: dt.date) -> dict[dt.date, list[Window]]:
    """The hours the venue is open on each date from ``start`` to ``end`` (dates it is closed are absent)."""
    expanded = _expand_holidays(rule, start, end)
    if not expanded:
        return {}
    hours = OpeningHours(expanded, country="JP")
    begin = dt.datetime.combine(start, dt.time.min)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)
    windows: dict[dt.date, list[Window]] = defaultdict(list)
    for opens, closes, state, _comment in hours.intervals(begin, finish):
        if state != State.OPEN:
            continue
        day = opens.date()
        while day <= end and dt.datetime.combine(day, dt.time.min) < closes:
            day_start = max(opens, dt.datetime.combine(day, dt.time.min))
            day_end = min(closes, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
            until = dt.time.max if day_end.date() > day else day_end.time()
            if day_start.time() < until:
                windows[day].append((day_start.time(), until))
            day += dt.timedelta(days=1)
    return dict(windows)


def booth_window(windows: list[Window], booth_start: dt.time, booth_end: dt.time, min_hours: float) -> Window | None:
    """The longest overlap of the day's opening hours with the booth window, if at least ``min_hours`` long."""
    best: Window | None = None
    for opens, closes in windows:
        start, end = max(opens, booth_start), min(closes, booth_end)
        if end <= start:
            continue
        if best is None or _hours((start, end)) > _hours(best):
            best = (start, end)
    return best if best is not None and _hours(best) + 1e-9 >= min_hours else None


def _hours(window: Window) -> float:
    start, end = window
    return (dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)).seconds / 3600


_DAY_NAMES = {
    "Mo": N_("Monday"),
    "Tu": N_("Tuesday"),
    "We": N_("Wednesday"),
    "Th": N_("Thursday"),
    "Fr": N_("Friday"),
    "Sa": N_("Saturday"),
    "Su": N_("Sunday"),
}


def _day_words(selector: str) -> str | None:
    words = []
    for part in re.split(r",(?![^\[]*\])", selector):
        match = re.fullmatch(r"(Mo|Tu|We|Th|Fr|Sa|Su)(?:-(Mo|Tu|We|Th|Fr|Sa|Su))?(?:\[([-\d,]+)\])?( \+1 day)?", part)
        if match is None:
            return None
        if match[2]:
            word = _("{first}–{last}").format(first=_(_DAY_NAMES[match[1]]), last=_(_DAY_NAMES[match[2]]))
        else:
            word = _(_DAY_NAMES[match[1]])
        if match[3] == "-1":
            word = _("the last {day} of the month").format(day=word)
        elif match[3]:
            word = _("the {weeks} {day} of the month").format(
                weeks=_("/").join(_("no. {n}").format(n=n) for n in match[3].split(",")), day=word
            )
        if match[4]:
            word = _("the day after {day}").format(day=word)
        words.append(word)
    return _(", ").join(words)


def _date_words(selector: str) -> str | None:
    match = re.fullmatch(r"(\w{3}) (\d{2})-(?:(\w{3}) )?(\d{2})", selector)
    if match is None or match[1] not in MONTHS or (match[3] and match[3] not in MONTHS):
        return None
    first = _("{month}/{day}").format(month=MONTHS.index(match[1]) + 1, day=int(match[2]))
    last_month = MONTHS.index(match[3] or match[1]) + 1
    last = _("{month}/{day}").format(month=last_month, day=int(match[4]))
    return _("{first} to {last}").format(first=first, last=last)


def _rule_words(rule: str) -> str:
    """One rule in words; the rule itself where it is not one of the shapes the importer writes."""
    match = re.fullmatch(r"(?:(\w{3} \d{2}-(?:\w{3} )?\d{2}) )?(.+?) (off|closed|\d{2}:\d{2}-\d{2}:\d{2})", rule)
    if match is None:
        return rule
    season, selector, hours = match[1], match[2], match[3]
    if selector == "PH":
        what: str | None = _("national holidays")
    elif selector == "PH +1 day":
        what = _("the day after a national holiday")
    else:
        what = _day_words(selector) or _date_words(selector)
        month_range = re.fullmatch(r"(\w{3})-(\w{3}) (.+)", selector)
        if what is None and month_range and month_range[1] in MONTHS and month_range[2] in MONTHS:
            days = _day_words(month_range[3])
            if days is not None:
                what = _("{days} from month {first} to month {last}").format(
                    days=days, first=MONTHS.index(month_range[1]) + 1, last=MONTHS.index(month_range[2]) + 1
                )
    if what is None:
        return rule
    if season:
        season_words = _date_words(season)
        if season_words is None:
            return rule
        what = _("{days} (only {season})").format(days=what, season=season_words)
    if hours in ("off", "closed"):
        return _("Closed: {days}").format(days=what)
    return _("Open {hours}: {days}").format(hours=hours.replace("-", "–"), days=what)


def describe_rule(rule: str) -> list[str]:
    """The rule in words, one line per part, in the order they apply (a later line overrides an earlier one)."""
    return [_rule_words(part) for part in _rules(rule)]


__all__ = ["OSM_DAYS", "Window", "booth_window", "describe_rule", "is_valid_rule", "open_windows"]
