"""Emails to residents about their pickup reservations (交付予約), in their own language, queued in the outbox inside
the transaction of the change (sent after commit). Their kind starts with ``counter.pickup.``; the purge deletes
them on the booths' schedule (counter.pickup_retention)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import babel.dates

from booking.codes import display_code
from core.clock import JST
from core.i18n import babel_locale, get_locale, using_locale
from core.i18n import gettext as _
from core.outbox import queue_email
from counter.offices import service_label
from counter.tickets import priority_until

if TYPE_CHECKING:
    from booking.waitlist import OpenSlot, WaitEntry
    from counter.pickups import PickupDetails

KIND = "counter.pickup."


def when(start: dt.datetime, end: dt.datetime) -> str:
    """A time's date and hours in the current locale: 2027年6月7日月曜日 10:00–10:30."""
    date = babel.dates.format_date(start.date(), format="full", locale=babel_locale())
    return f"{date} {start:%H:%M}–{end:%H:%M}"


def summary(details: PickupDetails) -> str:
    office = details.office_name_en if get_locale() not in ("ja", "ja-easy") and details.office_name_en else None
    return "\n".join(
        [
            _("Reservation code: {code}").format(code=display_code(details.code)),
            _("When: {when}").format(when=when(details.start, details.end)),
            _("Where: {place}").format(place=office or details.office_name),
            _("For: {service}").format(service=service_label(details.service_kind)),
            _("People: {n}").format(n=details.party_size),
            come_by(details),
        ]
    )


def come_by(details: PickupDetails) -> str:
    """What residents are told of the grace period: until when their queue ticket goes first."""
    return _(
        "Please come by {time}: until then your queue ticket goes first among those of your time; after that, it "
        "takes its place in the order of arrival."
    ).format(time=f"{priority_until(details.start):%H:%M}")


def checklist() -> list[str]:
    """What to bring, one "- " line each, in the current locale (the emails, the calendar entry and the slip)."""
    return [
        _("- the notice (交付通知書) of each person"),
        _("- each person's photo ID and the old card or notification card, as the notice says"),
        _("- each person comes in person (a child under 15 with a parent or legal guardian)"),
    ]


def what_to_bring() -> str:
    return "\n".join([_("What to bring:"), *checklist()])


async def _send(details: PickupDetails, subject: str, opening: str, kind: str, extra: str = "") -> None:
    if not details.email:
        return
    link = (
        _("View, change or cancel your reservation here:\n{url}").format(url=details.manage_url)
        if details.manage_url
        else ""
    )
    body = "\n\n".join(
        filter(
            None,
            [
                opening,
                summary(details),
                extra,
                link,
                _("This email was sent by the My Number Card outreach service. Please do not reply to it."),
            ],
        )
    )
    await queue_email(details.email, subject, body, kind=KIND + kind)


async def reservation_confirmed(details: PickupDetails) -> None:
    with using_locale(details.language):
        await _send(
            details,
            _("[My Number Card] Your counter reservation {code}").format(code=display_code(details.code)),
            _("Thank you. Your reservation at the counter is confirmed."),
            "confirmed",
            what_to_bring(),
        )


async def reservation_changed(details: PickupDetails) -> None:
    with using_locale(details.language):
        await _send(
            details,
            _("[My Number Card] Your counter reservation {code} was changed").format(code=display_code(details.code)),
            _("Your reservation was moved. The new time is below; the old time is released."),
            "changed",
            what_to_bring(),
        )


async def reservation_cancelled(details: PickupDetails) -> None:
    with using_locale(details.language):
        await _send(
            details,
            _("[My Number Card] Your counter reservation {code} was cancelled").format(code=display_code(details.code)),
            _("Your reservation was cancelled. You are welcome to reserve again at any time."),
            "cancelled",
        )


async def reservation_reminder(details: PickupDetails) -> None:
    with using_locale(details.language):
        await _send(
            details,
            _("[My Number Card] Reminder: your counter reservation tomorrow"),
            _("This is a reminder of your reservation at the counter."),
            "reminder",
            what_to_bring(),
        )


# --- waiting list (counter.pickup_waitlist) ---------------------------------------------------------------------------


def _office(name: str, name_en: str) -> str:
    return name_en if get_locale() not in ("ja", "ja-easy") and name_en else name


def held_until(until: dt.datetime) -> str:
    """Until when an offer holds its places, in the current locale: 2027/07/09 17:00."""
    until = until.astimezone(JST)
    date = babel.dates.format_date(until.date(), format="medium", locale=babel_locale())
    return f"{date} {until:%H:%M}"


async def waitlist_joined(entry: WaitEntry, office: str, office_en: str, service_kind: str, url: str) -> None:
    """The entry's link (view, leave) by email, when the resident gave one."""
    if not entry.email:
        return
    with using_locale(entry.language):
        date = babel.dates.format_date(entry.day, format="full", locale=babel_locale())
        body = "\n\n".join(
            [
                _(
                    "You are on the waiting list for a reserved time at the counter of {place} on {date}. When a "
                    "time that suits you is freed, we will email you an offer: the places are then held for you for "
                    "a limited time."
                ).format(place=_office(office, office_en), date=date),
                "\n".join(
                    [
                        _("For: {service}").format(service=service_label(service_kind)),
                        _("People: {n}").format(n=entry.party_size),
                    ]
                ),
                _("See your place on the list, or leave it, here:\n{url}").format(url=url),
                _("This email was sent by the My Number Card outreach service. Please do not reply to it."),
            ]
        )
        await queue_email(
            entry.email, _("[My Number Card] You are on the waiting list"), body, kind=KIND + "waitlist.joined"
        )


async def waitlist_offer(
    entry: WaitEntry, slot: OpenSlot, office: str, office_en: str, service_kind: str, url: str
) -> None:
    """The offer: the time, until when it is held, what to bring, and the link to accept or decline it (email only;
    staff call the residents who gave a phone number only)."""
    if not entry.email:
        return
    with using_locale(entry.language):
        until = held_until(entry.offer_expires_at or slot.closes_at)
        body = "\n\n".join(
            [
                _("Good news: a reserved time at the counter is free for you, and it is held for you."),
                "\n".join(
                    [
                        _("When: {when}").format(when=when(slot.start.astimezone(JST), slot.end.astimezone(JST))),
                        _("Where: {place}").format(place=_office(office, office_en)),
                        _("For: {service}").format(service=service_label(service_kind)),
                        _("People: {n}").format(n=entry.party_size),
                    ]
                ),
                _(
                    "The places are held for you until {until}. Accept the offer to reserve them (you get a "
                    "reservation confirmation and slip), or decline it so that the next person can have them:\n{url}"
                ).format(until=until, url=url),
                _("If you do nothing, the offer expires at that time and the places go to the next person."),
                what_to_bring(),
                _("This email was sent by the My Number Card outreach service. Please do not reply to it."),
            ]
        )
        await queue_email(
            entry.email,
            _("[My Number Card] A place is free for you: accept by {until}").format(until=until),
            body,
            kind=KIND + "waitlist.offer",
        )
