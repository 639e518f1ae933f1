"""A venue's booths as an iCalendar subscription feed (会場向けカレンダー配信, DESIGN §5 and §8).

A pure function of the venue and its booths, in the current locale (core.i18n): one VEVENT per booth in Asia/Tokyo
with the VTIMEZONE, the UID the booth keeps across plan versions, SEQUENCE raised by every version that continued it
and by its cancellation, and booking counts in the notes (never who booked: calendars get shared, DESIGN §7).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from icalendar import Calendar, Event, Timezone

from booking.venue_booths import FeedBooth
from core.clock import CITY_TIME_ZONE, JST
from core.i18n import get_locale
from core.i18n import gettext as _

PRODID = "-//outreach//venue feed//JA"
REFRESH = dt.timedelta(hours=1)


@lru_cache(maxsize=1)
def tokyo_timezone() -> Timezone:
    """The VTIMEZONE of Asia/Tokyo, built once: icalendar takes some 20 ms to work it out from the zone data, and the
    zone has had one offset since 1951. Never changed after it is built, so every feed shares it."""
    return Timezone.from_tzid(CITY_TIME_ZONE)


def venue_name(venue: Mapping[str, Any]) -> str:
    """The venue's name in the current language (the Japanese name when there is no English one)."""
    return (venue.get("name_en") if get_locale() == "en" else "") or venue["name"]


def calendar_name(venue: Mapping[str, Any]) -> str:
    """The feed's name as calendar apps list it: the booths, and the venue they are at."""
    return _("{title} at {venue}").format(title=_("My Number Card application support booths"), venue=venue_name(venue))


def event_title(booth: FeedBooth) -> str:
    title = _("My Number Card application support booth")
    return _("Cancelled: {title}").format(title=title) if booth.cancelled else title


def event_description(booth: FeedBooth) -> str:
    """The entry's notes: how many bookings and places it has (counts only), or that it is cancelled."""
    if booth.cancelled:
        return _("This booth is cancelled.")
    return "\n".join(
        [
            _("Bookings: {bookings} ({people} people) for {capacity} bookable places").format(
                bookings=booth.bookings, people=booth.people, capacity=booth.capacity
            ),
            _("Places kept for people without a booking: {walk_in}").format(walk_in=booth.walk_in),
        ]
    )


def booth_event(venue: Mapping[str, Any], booth: FeedBooth, base_url: str = "") -> Event:
    """One booth as a VEVENT."""
    event = Event()
    event.add("uid", booth.uid)
    event.add("dtstamp", booth.stamp.astimezone(dt.UTC))
    event.add("sequence", booth.sequence)
    event.add("dtstart", dt.datetime.combine(booth.date, booth.start, JST))
    event.add("dtend", dt.datetime.combine(booth.date, booth.end, JST))
    event.add("summary", event_title(booth))
    event.add("location", ", ".join(part for part in (venue_name(venue), venue.get("address") or "") if part))
    if venue.get("lat") is not None and venue.get("lon") is not None:
        event.add("geo", (venue["lat"], venue["lon"]))
    event.add("description", event_description(booth))
    event.add("status", "CANCELLED" if booth.cancelled else "CONFIRMED")
    if base_url:
        event.add("url", f"{base_url}/booths/{booth.booth_id or booth.session_id}")
    return event


def venue_feed_ics(venue: Mapping[str, Any], booths: Sequence[FeedBooth], *, base_url: str = "") -> bytes:
    """The venue's feed: METHOD:PUBLISH, its name, Asia/Tokyo with the VTIMEZONE (also when it has no booth), a
    suggested refresh every hour, and one VEVENT per booth (``base_url``: link each to its public page)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", calendar_name(venue))
    calendar.add("x-wr-timezone", CITY_TIME_ZONE)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    calendar.add_component(tokyo_timezone())
    for booth in booths:
        calendar.add_component(booth_event(venue, booth, base_url))
    calendar.add_missing_timezones()  # none is missing: every time is in Tokyo (the guard DESIGN §8 asks for)
    return calendar.to_ical()
