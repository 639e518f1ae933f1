"""Why each session was chosen (which areas it reaches first, how far they are from a permanent application point)
and how many applicants to expect (base rate × hours × draw × the month's seasonality)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from core.calendar import day_type
from core.geo import haversine_km
from core.i18n import gettext as _
from core.i18n import ngettext
from planner.instance import Instance
from planner.model import PlannedSession
from planner.reach import coverage
from planner.yields import base_forecast, multiplier

MAX_NAMES = 3


def expected_applicants(instance: Instance, venue_index: int, date: dt.date) -> int:
    """base rate per hour × hours × f(kind) × seasonality of the month × the learned factors of the venue's kind on
    that day type and of the venue (planner.yields; 1 when nothing was learned), rounded."""
    parameters = instance.parameters
    venue = instance.venues[venue_index]
    kind = venue.candidate.kind
    learned = multiplier(parameters, kind, day_type(date).value, venue.candidate.venue_id)
    return round(base_forecast(parameters, kind, venue.hours_on(date), date.month) * learned)


def nearest_office(instance: Instance, venue_index: int) -> tuple[str, float] | None:
    """The permanent application point nearest to the venue itself, with its distance in km."""
    venue = instance.venues[venue_index].candidate
    if not instance.offices:
        return None
    distance, name = min(
        (haversine_km((venue.lat, venue.lon), (lat, lon)), name) for name, lat, lon in instance.offices
    )
    return name, distance


def _towns(instance: Instance, points: list[int]) -> dict[str, list[int]]:
    """Points grouped by town name (町名); a point without a name is an area of its own."""
    towns: dict[str, list[int]] = {}
    for p in points:
        towns.setdefault(instance.demand[p].name or f"#{p}", []).append(p)
    return towns


def reason(instance: Instance, venue_index: int, visit: int, visits: int, covered: list[float]) -> str:
    """The reason in words for the ``visit``-th of ``visits`` sessions at a venue: the towns it reaches (those no
    other booth reaches first), how far they are from a permanent application point, and the office nearest to the
    venue itself."""
    venue = instance.venues[venue_index]
    reached = [p for p, venues in enumerate(instance.reached_by) if venue_index in venues]
    if not reached:
        return _("Reaches no demand point within {km:g} km; chosen to meet the monthly quota.").format(km=venue.radius)
    own = venue.draw * visits
    towns = _towns(instance, reached)
    only_here = {town: points for town, points in towns.items() if all(covered[p] - own <= 1e-9 for p in points)}
    focus = only_here or towns

    def importance(town: str) -> tuple[float, float]:
        points = focus[town]
        return (
            -sum(instance.access_weight[p] * instance.demand[p].weight for p in points),
            min(instance.access_distance[p] for p in points),
        )

    ranked = sorted(focus, key=importance)
    names = [town for town in ranked if not town.startswith("#")][:MAX_NAMES]
    focus_points = [p for points in focus.values() for p in points]
    distances = [instance.access_distance[p] for p in focus_points if math.isfinite(instance.access_distance[p])]
    parts = []
    if only_here:
        parts.append(
            ngettext(
                "Reaches {n} town no other booth of the plan reaches",
                "Reaches {n} towns no other booth of the plan reaches",
                len(only_here),
            ).format(n=len(only_here))
        )
    else:
        parts.append(ngettext("Reaches {n} town", "Reaches {n} towns", len(towns)).format(n=len(towns)))
    if names:
        parts[-1] += _(" (e.g. {names})").format(names=_(", ").join(names))
    if distances:
        parts.append(
            _("these are on average {km:.1f} km from a permanent application point").format(
                km=sum(distances) / len(distances)
            )
        )
    office = nearest_office(instance, venue_index)
    if office:
        parts.append(
            _("the permanent application point nearest to the venue is {name}, {km:.1f} km away").format(
                name=office[0], km=office[1]
            )
        )
    text = _("; ").join(parts) + _(".")
    if visit > 1:
        text += " " + _(
            "Visit {visit} of {visits} here: a further visit is worth {share:.0%} of a first one, so the "
            "plan returns only where many people live far from an office."
        ).format(visit=visit, visits=visits, share=instance.parameters.decay ** (visit - 1))
    elif visits > 1:
        text += " " + _("First of {visits} visits here.").format(visits=visits)
    return text


def describe_sessions(instance: Instance, chosen: Mapping[int, list[dt.date]]) -> list[PlannedSession]:
    """The plan's sessions in date order, each with its window, expected applicants and reason."""
    covered = coverage(instance, chosen)
    sessions = []
    for index, dates in chosen.items():
        venue = instance.venues[index]
        locked = instance.locked.get(index, set())
        for visit, date in enumerate(sorted(dates), start=1):
            sessions.append(
                PlannedSession(
                    date=date,
                    day_type=day_type(date),
                    venue_id=venue.candidate.venue_id,
                    venue_name=venue.candidate.name,
                    lat=venue.candidate.lat,
                    lon=venue.candidate.lon,
                    start=venue.window(date)[0],
                    end=venue.window(date)[1],
                    expected_applicants=expected_applicants(instance, index, date),
                    reason=reason(instance, index, visit, len(dates), covered),
                    locked=date in locked,
                    venue_address=venue.candidate.address,
                    venue_kind=venue.candidate.kind,
                    staff=instance.parameters.staff_per_session,
                )
            )
    sessions.sort(key=lambda s: (s.date, s.venue_id))
    return sessions
