"""Why each session was chosen (which areas it reaches first, how far they are from a permanent application point)
and how many applicants to expect (base rate × hours × draw × the month's seasonality)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from core.calendar import day_type
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
    return round(base_forecast(parameters, kind, venue.hours, date.month) * learned)


def reason(instance: Instance, venue_index: int, visit: int, visits: int, covered: list[float]) -> str:
    """The reason in words for the ``visit``-th of ``visits`` sessions at a venue."""
    venue = instance.venues[venue_index]
    reached = [p for p, venues in enumerate(instance.reached_by) if venue_index in venues]
    if not reached:
        return _("Reaches no demand point within {km:g} km; chosen to meet the monthly quota.").format(km=venue.radius)
    own = venue.draw * visits
    only_here = [p for p in reached if covered[p] - own <= 1e-9]
    focus = only_here or reached
    focus.sort(key=lambda p: (-instance.access_weight[p] * instance.demand[p].weight, instance.access_distance[p]))
    names = [instance.demand[p].name for p in focus if instance.demand[p].name]
    unique_names = list(dict.fromkeys(names))[:MAX_NAMES]
    distances = [instance.access_distance[p] for p in focus if instance.access_distance[p] != float("inf")]
    parts = []
    if only_here:
        parts.append(
            ngettext(
                "Reaches {n} area no other booth of the plan reaches",
                "Reaches {n} areas no other booth of the plan reaches",
                len(only_here),
            ).format(n=len(only_here))
        )
    else:
        parts.append(ngettext("Reaches {n} area", "Reaches {n} areas", len(reached)).format(n=len(reached)))
    if unique_names:
        parts[-1] += _(" (e.g. {names})").format(names=_(", ").join(unique_names))
    if distances:
        nearest = instance.nearest_point_name[focus[0]]
        parts.append(
            _("on average {km:.1f} km from the nearest permanent application point ({name})").format(
                km=sum(distances) / len(distances), name=nearest
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
                    start=venue.start,
                    end=venue.end,
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
