"""A pickup reservation as a calendar entry: an iCalendar file and an "add to Google Calendar" link, as a booking's
(portal.documents.calendar_entry). Pure functions in the current locale. The entry carries the reservation code,
the office and the service, never the notice numbers, the contact or the manage link (calendars get shared)."""

from __future__ import annotations

import datetime as dt

from icalendar import Event

from booking.codes import display_code
from core import clock
from core.clock import JST
from core.i18n import get_locale
from core.i18n import gettext as _
from counter.offices import service_label
from counter.pickup_notices import what_to_bring
from counter.pickups import PickupDetails
from portal.documents.calendar_entry import google_calendar_link, published

PRODID = "-//outreach//pickup//JA"


def pickup_uid(code: str) -> str:
    """The entry's UID, the same at every export (a calendar updates the entry rather than adding a second)."""
    return f"pickup-{code}@outreach"


def event_title(details: PickupDetails) -> str:
    title = _("My Number Card: counter reservation ({service})").format(service=service_label(details.service_kind))
    return _("Cancelled: {title}").format(title=title) if details.state == "cancelled" else title


def event_location(details: PickupDetails) -> str:
    english = get_locale() not in ("ja", "ja-easy") and details.office_name_en
    return details.office_name_en if english else details.office_name


def event_description(details: PickupDetails, *, checklist: bool = True) -> str:
    lines = [
        _("Reservation code: {code}").format(code=display_code(details.code)),
        _("People: {n}").format(n=details.party_size),
    ]
    if checklist:
        lines += ["", what_to_bring()]
    lines += ["", _("To check, change or cancel: open the link in your confirmation email or on your slip.")]
    return "\n".join(lines)


def pickup_ics(details: PickupDetails, *, stamp: dt.datetime | None = None) -> bytes:
    """The reservation as an iCalendar file (one VEVENT in Asia/Tokyo with its VTIMEZONE, a reminder the day before);
    a cancelled one keeps its UID, with STATUS:CANCELLED and a higher SEQUENCE."""
    cancelled = details.state == "cancelled"
    title = event_title(details)
    event = Event()
    event.add("uid", pickup_uid(details.code))
    event.add("dtstamp", (stamp or details.created_at or clock.now()).astimezone(dt.UTC))
    event.add("sequence", 1 if cancelled else 0)
    event.add("dtstart", details.start.astimezone(JST))
    event.add("dtend", details.end.astimezone(JST))
    event.add("summary", title)
    event.add("location", event_location(details))
    event.add("description", event_description(details))
    return published(event, title, cancelled, PRODID)


def pickup_google_calendar_url(details: PickupDetails) -> str:
    """A link that opens Google Calendar with the reservation filled in (no checklist, to keep it short)."""
    return google_calendar_link(
        event_title(details),
        details.start,
        details.end,
        event_description(details, checklist=False),
        event_location(details),
    )
