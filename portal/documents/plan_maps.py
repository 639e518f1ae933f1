"""The plan on a map: sessions coloured by month, and demand points shaded by how well they are reached
before (the previous version, or no booths at all) and after (this version)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import folium

from core.i18n import N_
from core.i18n import gettext as _
from planner import services
from planner.reach import coverage
from planner.schemas import PlanVersionDetail, SessionDetail
from portal.documents.maps import Tiles, base_map, centre_of, template_literal_text
from portal.web.urls import venue_url

# 12 colours that stay apart for colour-blind readers (Okabe–Ito and Tol's muted palette), one per month (4..3).
MONTH_COLOURS = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#332288",
    "#117733",
    "#882255",
    "#AA4499",
    "#44AA99",
    "#999933",
]
COVERAGE_COLOURS = ["#f7f7f7", "#c6dbef", "#6baed6", "#2171b5", "#08306b"]  # 0, <1, 1, 2, 3+ units of coverage
COVERAGE_LEGEND = [
    N_("not reached"),
    N_("partly reached"),
    N_("reached once"),
    N_("reached twice"),
    N_("reached three times or more"),
]


def month_colour(month: int) -> str:
    return MONTH_COLOURS[(month - 4) % 12]


def coverage_colour(value: float) -> str:
    if value <= 0:
        return COVERAGE_COLOURS[0]
    if value < 1:
        return COVERAGE_COLOURS[1]
    if value < 2:
        return COVERAGE_COLOURS[2]
    if value < 3:
        return COVERAGE_COLOURS[3]
    return COVERAGE_COLOURS[4]


async def _coverage_of(version: PlanVersionDetail) -> tuple[list[Any], list[float]]:
    instance, chosen = await services.stored_plan(version)
    return instance.demand, coverage(instance, chosen)


async def plan_map_html(version: PlanVersionDetail, tiles: Tiles) -> str:
    """A complete HTML page with the sessions and the demand layers."""
    sessions = await services.sessions_of(version.id)
    demand, after = await _coverage_of(version)
    previous = await services.previous_version(version)
    before = (await _coverage_of(previous))[1] if previous else [0.0] * len(demand)

    points = [(s.venue_lat, s.venue_lon) for s in sessions] or [(p.lat, p.lon) for p in demand]
    fmap = base_map(centre_of(points), tiles)
    before_label = _("Reach before (previous version)") if previous else _("Reach before (no booths)")
    for label, values, show in ((before_label, before, False), (_("Reach after (this version)"), after, True)):
        layer = folium.FeatureGroup(name=label, show=show).add_to(fmap)
        for point, value in zip(demand, values, strict=True):
            folium.CircleMarker(
                location=[point.lat, point.lon],
                radius=3,
                weight=0,
                fill=True,
                fill_color=coverage_colour(value),
                fill_opacity=0.85,
                tooltip=template_literal_text(f"{point.name} {value:.1f}"),
            ).add_to(layer)
    by_venue: dict[str, list[SessionDetail]] = defaultdict(list)
    for session in sessions:
        by_venue[session.venue_id].append(session)
    booths = folium.FeatureGroup(name=_("Sessions (colour: month)"), show=True).add_to(fmap)
    link_text = _("Open the venue page")
    for venue_id, visits in by_venue.items():
        first = visits[0]
        dates = ", ".join(s.date.strftime("%-m/%-d") for s in visits)
        popup = (
            f"<strong>{template_literal_text(first.venue_name)}</strong><br>"
            f"{template_literal_text(dates)}<br>"
            f'<a href="{template_literal_text(venue_url(venue_id))}" target="_top">'
            f"{template_literal_text(link_text)}</a>"
        )
        folium.CircleMarker(
            location=[first.venue_lat, first.venue_lon],
            radius=7 + 2 * (len(visits) - 1),
            color="#ffffff",
            weight=2,
            fill=True,
            fill_color=month_colour(first.date.month),
            fill_opacity=0.95,
            popup=folium.Popup(popup, max_width=320),
            tooltip=template_literal_text(f"{first.venue_name} ({dates})"),
            class_name="session-marker",
        ).add_to(booths)
    folium.LayerControl(collapsed=False).add_to(fmap)
    if points:
        fmap.fit_bounds(
            [
                [min(p[0] for p in points), min(p[1] for p in points)],
                [max(p[0] for p in points), max(p[1] for p in points)],
            ]
        )
    return fmap.get_root().render()
