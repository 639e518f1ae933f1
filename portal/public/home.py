"""Public pages for residents: upcoming booths as a list and on a map, near a place or the browser's location,
and each booth's page with its readiness check and time slots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Response, Template

from booking.booth_waitlist import waitable
from booking.booths import BoothFilter, filter_booths, first_announced, group_by_venue, with_distance
from booking.placements import clean_code
from booking.schemas import Booth
from core.errors import NotFound
from core.i18n import get_locale
from core.i18n import gettext as _
from core.settings import Settings
from planner.tables import SessionState
from portal.documents.maps import live_text
from portal.public.counter import counter_context
from portal.web.app_settings import settings_of
from portal.web.templating import page
from venues.places import find_places

PAGE_SIZE = 20


@dataclass(frozen=True)
class Search:
    """The home page's query: a place typed by the resident or the browser's location, and the filters."""

    q: str = ""
    near: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    day: str = ""
    wheelchair: bool = False
    parking: bool = False
    limit: int = PAGE_SIZE

    def map_sessions(self) -> str:
        """The API address the map draws its booths from: the same for every place searched from, so cached once
        (the map filters by access itself: the API has no such filter)."""
        wanted = self.filter()
        query = {"from": wanted.date_from, "to": wanted.date_to, "day_type": wanted.day_type}
        return "/api/sessions" + ("?" + urlencode({k: v for k, v in query.items() if v}) if any(query.values()) else "")

    def filter(self) -> BoothFilter:
        return BoothFilter(
            date_from=self.date_from,
            date_to=self.date_to,
            day_type=self.day if self.day in ("weekday", "holiday") else None,
            wheelchair=self.wheelchair,
            parking=self.parking,
        )


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _point(near: str) -> tuple[float, float] | None:
    try:
        lat, lon = (float(part) for part in near.split(","))
    except ValueError:
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


async def search_booths(request: Request, search: Search) -> tuple[list[Booth], dict]:
    """The booths matching a search, nearest first when a place is known; and what the page says about it."""
    booths = filter_booths(await request.app.state.booths.booths(), search.filter())
    found: dict = {"place": None, "choices": [], "error": ""}
    point = _point(search.near) if search.near else None
    if search.q:
        matches = await find_places(search.q)
        if matches:
            found["place"], found["choices"] = matches[0].name, [m.name for m in matches[1:6]]
            point = (matches[0].lat, matches[0].lon)
        else:
            found["error"] = _(
                "No town, station or postal code “{query}” was found. Try a town such as 片町 or Katamachi, "
                "a station such as 金沢駅, or a 7-digit postal code."
            ).format(query=search.q)
    elif point is not None:
        found["place"] = _("your location")
    if point is not None:
        booths = with_distance(booths, *point)
    found["point"] = point
    return booths, found


def _more_query(query: str, limit: int) -> str:
    """The query string of the next page: the same search showing ``limit`` entries."""
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "limit"]
    return urlencode([*kept, ("limit", str(limit))])


def read_search(
    q: str | None,
    near: str | None,
    date_from: str | None,
    date_to: str | None,
    day: str | None,
    wheelchair: str | None,
    parking: str | None,
    limit: int | None,
) -> Search:
    return Search(
        q=(q or "").strip()[:100],
        near=(near or "").strip(),
        date_from=_date(date_from),
        date_to=_date(date_to),
        day=day or "",
        wheelchair=bool(wheelchair),
        parking=bool(parking),
        limit=max(PAGE_SIZE, min(limit or PAGE_SIZE, 500)),
    )


@get("/", name="home", include_in_schema=False)
async def home(
    request: Request,
    settings: NamedDependency[Settings],
    q: FromQuery[str | None] = None,
    near: FromQuery[str | None] = None,
    date_from: FromQuery[str | None] = None,
    date_to: FromQuery[str | None] = None,
    day: FromQuery[str | None] = None,
    wheelchair: FromQuery[str | None] = None,
    parking: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
    src: FromQuery[str | None] = None,
) -> Template | Response:
    """Upcoming booths as a list and on a map, nearest first when a place is given; ``src`` (the placement code of
    a poster's QR code) rides along in the booth links so that the booking counts for that placement.

    The page a signed-out visitor sees depends only on the language, the query and the booths, so it is rendered
    once per booth-cache read and served from the cache until the next (the home page takes the rush). The map is
    drawn by the browser (static/js/booth-map.js) from ``GET /api/sessions``, whose answer does not depend on the
    place searched from: no search makes the server draw a map. A search the cache does not hold is rendered, at most
    60 a minute per client address (portal.web.throttle.SearchThrottle)."""
    cache = request.app.state.booths
    anonymous = request.state.get("actor") is None
    key = ("home", get_locale(), request.url.query or "")
    if anonymous:
        await cache.booths()
        html = cache.peek(key)
        if html is not None:
            return Response(content=html, media_type="text/html; charset=utf-8")
        if key[2]:  # a search not in the cache renders the page: at most 60 a minute per address
            await request.app.state.search_throttle.charge(request.scope)
    search = read_search(q, near, date_from, date_to, day, wheelchair, parking, limit)
    booths, found = await search_booths(request, search)
    counter = await request.app.state.counter.snapshot()
    if anonymous and (html := cache.peek(key)) is not None:  # made meanwhile by a request that came first
        return Response(content=html, media_type="text/html; charset=utf-8")
    # nearest first, a venue is one entry with its next dates; by date, one entry per booth
    items = group_by_venue(booths) if found["point"] is not None else [(booth,) for booth in booths]
    context = dict(
        search=search,
        items=items[: search.limit],
        item_total=len(items),
        more_query=_more_query(request.url.query or "", search.limit + PAGE_SIZE),
        total=len(booths),
        found=found,
        query_string=request.url.query or "",
        src=clean_code(src),
        live=cache.live(),
        live_text=live_text,
        tiles=settings.tile_url,
        tile_attribution=settings.tile_attribution,
        offices=counter.statuses,  # the counters' waiting times, beside the booths
        **counter_context(),
    )
    if not anonymous:
        return page(request, "public/home.html", **context)
    template = request.app.template_engine.get_template("public/home.html")
    html = cache.memo(key, lambda: template.render(request=request, actor=None, csrf_input="", **context))
    return Response(content=html, media_type="text/html; charset=utf-8")


REPLACEMENTS = 3  # the upcoming booths nearest to a cancelled one, offered on its page


@get("/booths/{session_id:int}", name="booth", include_in_schema=False)
async def booth_page(
    request: Request, settings: NamedDependency[Settings], session_id: FromPath[int], src: FromQuery[str | None] = None
) -> Template | Redirect:
    """A booth: venue (with its map, directions and phone), access, the readiness check, and its time slots with the
    places left; on its day, the live status (walk-in wait, queue, places), which the page's script refreshes from
    the API every 30 seconds. Any id the booth had in a plan version leads to its one public address; a booth moved
    by a change says from where and when, and a cancelled one offers the nearest upcoming booths."""
    cache = request.app.state.booths
    booth = await cache.booth(session_id)
    if booth is None:
        raise NotFound(_("This booth does not exist."))
    if booth.id != session_id:
        query = urlencode({"src": src}) if src else ""
        return Redirect(path=f"/booths/{booth.id}" + (f"?{query}" if query else ""), status_code=301)
    nearest: list[Booth] = []
    if booth.state == SessionState.cancelled.value:
        others = [b for b in await cache.booths() if b.id != booth.id and b.state == SessionState.published.value]
        nearest = with_distance(others, booth.lat, booth.lon)[:REPLACEMENTS]
    return page(
        request,
        "public/booth.html",
        booth=booth,
        next_booths=await next_booths_near(request, booth) if booth.over else [],
        family_room=family_room(booth, settings_of(request).max_party_size),
        waitable_ids={slot.id for slot in waitable(booth)},  # full times a waiting list can still offer
        src=clean_code(src),
        live=cache.live().get(booth.session_id),
        live_text=live_text,
        moved_from=await first_announced(booth),
        nearest=nearest,
        tiles=settings.tile_url,
        tile_attribution=settings.tile_attribution,
    )


def family_room(booth: Booth, max_party: int) -> int:
    """The largest family a time of the booth nobody has booked takes, when larger than any time's places left (else
    0: nothing to tell families)."""
    largest = min(max_party, booth.largest_party)
    return largest if largest > max((slot.remaining for slot in booth.slots), default=0) else 0


async def next_booths_near(request: Request, over: Booth, count: int = 3) -> list[Booth]:
    """The upcoming booths nearest a booth that is over (bookable ones first), for its page."""
    upcoming = [b for b in await request.app.state.booths.booths() if b.id != over.id]
    nearest = with_distance(upcoming, over.lat, over.lon)
    return sorted(nearest, key=lambda b: not b.remaining)[:count]


@get("/favicon.ico", include_in_schema=False)
async def favicon() -> File:
    """Browsers ask for /favicon.ico on every document."""
    return File(
        Path(__file__).resolve().parents[2] / "static" / "img" / "favicon.svg",
        media_type="image/svg+xml",
        content_disposition_type="inline",
    )
