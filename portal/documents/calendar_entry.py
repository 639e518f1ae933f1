"""A resident's booking as a calendar entry: an iCalendar file and an "add to Google Calendar" link.

Pure functions of the booking, in the current locale (core.i18n). The entry never carries the resident's name, phone
or email, nor the manage link (which shows them and cancels): calendars get shared and synced, and Google gets the
whole link. It links the booth's public page, and 予約を探す, where the code and the contact give a new manage link.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from icalendar import Alarm, Calendar, Event

from booking.codes import display_code, find_url
from booking.schemas import BookingDetails
from core import clock
from core.clock import JST
from core.i18n import get_locale
from core.i18n import gettext as _
from core.settings import get_settings
from portal.documents.slip import party_text, what_to_bring

PRODID = "-//outreach//booking//JA"
GOOGLE_CALENDAR_URL = "https://calendar.google.com/calendar/render"


def booking_uid(code: str) -> str:
    """The entry's UID, the same every time the booking is exported, so calendars update rather than duplicate."""
    return f"booking-{code}@outreach"


def booth_page_url(details: BookingDetails) -> str:
    """The booth's public page (venue, times, map): what a shared calendar may show."""
    return f"{get_settings().base_url}/booths/{details.booth.id}"


def event_title(details: BookingDetails) -> str:
    """The entry's title: マイナンバーカード申請サポート予約, marked when the booking is cancelled."""
    title = _("My Number Card application support (booking)")
    return _("Cancelled: {title}").format(title=title) if details.state == "cancelled" else title


def event_location(details: BookingDetails) -> str:
    """The venue's name and address, as calendar apps show and geocode them."""
    booth = details.booth
    return f"{booth.display_name(get_locale())}, {booth.address}"


def event_description(details: BookingDetails, *, checklist: bool = True) -> str:
    """The entry's notes: booking code, party size, what to bring (optional), the booth's page and where to get a
    link to check or cancel (no personal data, no manage token)."""
    lines = [
        _("Booking code: {code}").format(code=display_code(details.code)),
        _("Number of people: {people}").format(people=party_text(details.party_size)),
    ]
    if checklist:
        lines += ["", _("What to bring:"), *(f"- {item}" for item in what_to_bring())]
    lines += [
        "",
        _("Booth: {url}").format(url=booth_page_url(details)),
        _(
            "To check, change or cancel: open the link in your confirmation email, or get a new one with the booking "
            "code and your phone number or email address: {url}"
        ).format(url=find_url(details.code)),
    ]
    return "\n".join(lines)


def booking_ics(details: BookingDetails, *, stamp: dt.datetime | None = None) -> bytes:
    """The booking as an iCalendar file (one VEVENT in Asia/Tokyo with its VTIMEZONE and a reminder a day before).

    DTSTAMP is ``stamp``, else the booking's creation time, else now. A cancelled booking keeps its UID and comes
    with STATUS:CANCELLED and a higher SEQUENCE, so a calendar that imported it marks it cancelled.
    """
    cancelled = details.state == "cancelled"
    stamp = stamp or details.created_at or clock.now()
    title = event_title(details)

    event = Event()
    event.add("uid", booking_uid(details.code))
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("sequence", 1 if cancelled else 0)
    event.add("dtstart", details.slot_start.astimezone(JST))
    event.add("dtend", details.slot_end.astimezone(JST))
    event.add("summary", title)
    event.add("location", event_location(details))
    event.add("geo", (details.booth.lat, details.booth.lon))
    event.add("description", event_description(details))
    event.add("url", booth_page_url(details))
    return published(event, title, cancelled, PRODID)


def published(event: Event, title: str, cancelled: bool, prodid: str) -> bytes:
    """An entry's event as an iCalendar file: confirmed with a reminder the day before, or cancelled."""
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", title)
        alarm.add("trigger", dt.timedelta(days=-1))
        event.add_component(alarm)
    calendar = Calendar()
    calendar.add("prodid", prodid)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def google_calendar_link(title: str, start: dt.datetime, end: dt.datetime, description: str, location: str) -> str:
    """A link that opens Google Calendar with an entry filled in (times in UTC)."""

    def stamp(moment: dt.datetime) -> str:
        return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")

    query = {
        "action": "TEMPLATE",
        "text": title,
        "dates": f"{stamp(start)}/{stamp(end)}",
        "details": description,
        "location": location,
    }
    return f"{GOOGLE_CALENDAR_URL}?{urlencode(query)}"


def google_calendar_url(details: BookingDetails) -> str:
    """A link that opens Google Calendar with the booking filled in (no checklist, to keep it short)."""
    return google_calendar_link(
        event_title(details),
        details.slot_start,
        details.slot_end,
        event_description(details, checklist=False),
        event_location(details),
    )
