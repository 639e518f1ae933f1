"""Maps rendered with folium, with Leaflet and its plugins served from our own static/ (no CDN; DESIGN §8): the
back office's venue and plan maps. The residents' booth map is drawn in the browser (static/js/booth-map.js)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import folium
from folium.plugins import MarkerCluster

from core.i18n import gettext as _
from core.settings import Settings
from portal.web.urls import venue_url
from venues.facility_list import kind_label

STATIC = "/static/vendor"
KIND_COLOURS: dict[str, str] = {
    "commercial": "#c0392b",
    "community_hall": "#0031d8",
    "library": "#1d7a3c",
    "welfare": "#8e44ad",
    "rental_hall": "#b35900",
    "city_hall": "#1a1a1a",
    "civic_center": "#4d4d4d",
}


class LocalMap(folium.Map):
    """A folium map that loads only Leaflet and jQuery, from static/ (new lists: the mixin mutates the class list)."""

    default_js = [
        ("leaflet", f"{STATIC}/leaflet/leaflet.js"),
        ("jquery", f"{STATIC}/jquery/jquery.min.js"),  # folium builds popups with $(...)
    ]
    default_css = [("leaflet_css", f"{STATIC}/leaflet/leaflet.css"), ("outreach_map_css", "/static/css/map.css")]


class LocalMarkerCluster(MarkerCluster):
    """Marker clustering with the plugin served from static/."""

    default_js = [("markerclusterjs", f"{STATIC}/leaflet.markercluster/leaflet.markercluster.js")]
    default_css = [
        ("markerclustercss", f"{STATIC}/leaflet.markercluster/MarkerCluster.css"),
        ("markerclusterdefaultcss", f"{STATIC}/leaflet.markercluster/MarkerCluster.Default.css"),
    ]


@dataclass(frozen=True)
class Tiles:
    """The tile server of the maps and its attribution (TILE_URL and TILE_ATTRIBUTION; default 地理院タイル)."""

    url: str
    attribution: str

    @classmethod
    def of(cls, settings: Settings) -> Tiles:
        return cls(settings.tile_url, settings.tile_attribution)


def base_map(center: tuple[float, float], tiles: Tiles, zoom: int = 12) -> LocalMap:
    """An empty map on the tile server ``tiles``, with its attribution."""
    fmap = LocalMap(location=list(center), zoom_start=zoom, tiles=None, control_scale=True)
    folium.TileLayer(tiles=tiles.url, attr=tiles.attribution, name=_("Map"), max_zoom=18, min_zoom=5).add_to(fmap)
    return fmap


def centre_of(points: Iterable[tuple[float, float]]) -> tuple[float, float]:
    """The mean of the points, or central Tokyo when there are none."""
    pts = list(points)
    if not pts:
        return (35.681, 139.767)
    return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))


def template_literal_text(text: str) -> str:
    """Text for HTML that folium writes into a JavaScript template literal (popups and tooltips: `...`).

    HTML-escaped, and with the characters a template literal gives a meaning written as character
    references instead: a backtick would end the literal, ``${`` would run code, a backslash would escape.
    """
    escaped = html.escape(text, quote=True)
    return escaped.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def venue_map_html(venues: Iterable[Mapping[str, Any]], tiles: Tiles) -> str:
    """A complete HTML page with one marker per venue, coloured by kind, clustered, with a link to its page."""
    rows = [v for v in venues if v.get("lat") is not None and v.get("lon") is not None]
    fmap = base_map(centre_of((v["lat"], v["lon"]) for v in rows), tiles=tiles)
    cluster = LocalMarkerCluster(name=_("Venues"), options={"disableClusteringAtZoom": 14}).add_to(fmap)
    link_text = template_literal_text(_("Open the venue page"))
    for venue in rows:
        colour = KIND_COLOURS.get(venue["kind"], "#333333")
        url = template_literal_text(venue_url(venue["venue_id"]))
        popup = (
            f"<strong>{template_literal_text(venue['name'])}</strong><br>"
            f"{template_literal_text(kind_label(venue['kind']))}<br>"
            f"{template_literal_text(venue.get('address') or '')}<br>"
            f'<a href="{url}" target="_top">{link_text}</a>'
        )
        folium.CircleMarker(
            location=[venue["lat"], venue["lon"]],
            radius=8,
            color="#ffffff",
            weight=2,
            fill=True,
            fill_color=colour,
            fill_opacity=0.9,
            tooltip=template_literal_text(venue["name"]),
            popup=folium.Popup(popup, max_width=300),
            class_name=f"venue-marker kind-{venue['kind']}",
        ).add_to(cluster)
    if rows:
        fmap.fit_bounds(
            [
                [min(v["lat"] for v in rows), min(v["lon"] for v in rows)],
                [max(v["lat"] for v in rows), max(v["lon"] for v in rows)],
            ]
        )
    return fmap.get_root().render()


def live_text(live: Any) -> str:
    """One line about a booth held today (a booking.walkins.LiveStatus): the walk-in wait now, or that it has not
    opened yet or is over."""
    if live is None:
        return ""
    if live.phase == "before":
        return _("Today: walk-ins welcome once it opens")
    if live.phase == "closed":
        return _("Today's reception has ended")
    if live.wait_minutes is None:
        return _("Walk-in wait now: the queue fills the rest of today")
    if live.wait_minutes == 0:
        return _("Walk-in wait now: none")
    return _("Walk-in wait now: about {n} min").format(n=live.wait_minutes)
