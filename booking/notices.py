"""Emails to residents about their bookings, in their own language, queued in the outbox inside the transaction
of the change (sent after commit, retried while the mail server is down)."""

from __future__ import annotations

import datetime as dt

import babel.dates

from booking.codes import display_code
from booking.schemas import BookingDetails, Booth
from booking.waitlist import OpenSlot, WaitEntry, entry_url
from core.clock import JST
from core.i18n import babel_locale, get_locale, using_locale
from core.i18n import gettext as _
from core.outbox import queue_email
from core.settings import get_settings


def when(details: BookingDetails) -> str:
    """The slot's date and time in the current locale: 2027年6月5日(土) 10:00–10:30."""
    date = babel.dates.format_date(details.slot_start.date(), format="full", locale=babel_locale())
    return f"{date} {details.slot_start:%H:%M}–{details.slot_end:%H:%M}"


def place(details: BookingDetails) -> str:
    booth = details.booth
    return (
        f"{booth.display_name(get_locale())}（{booth.address}）" if booth.address else booth.display_name(get_locale())
    )


def _summary(details: BookingDetails) -> str:
    lines = [
        _("Booking code: {code}").format(code=display_code(details.code)),
        _("When: {when}").format(when=when(details)),
        _("Where: {place}").format(place=place(details)),
        _("People: {n}").format(n=details.party_size),
    ]
    return "\n".join(lines)


def what_to_bring() -> str:
    return "\n".join(
        [
            _("What to bring:"),
            _("- photo ID (driving licence, health insurance card or residence card)"),
            _("- the notification card or the application form you received, if you have it"),
            _("- a child under 15 must come with a parent or legal guardian"),
        ]
    )


def _link(details: BookingDetails) -> str:
    """The manage link when the booking's token is at hand (just made, moved or re-issued by the resident); else
    the page that gives a new one for the code and the phone or email (予約を探す)."""
    if details.manage_token:
        return _("View, change or cancel your booking here:\n{url}").format(url=details.manage_url)
    return _(
        "To view, change or cancel your booking, get a link on this page with your booking code and the phone "
        "number or email address you booked with:\n{url}"
    ).format(url=details.manage_url)


def _replaces_note(details: BookingDetails) -> str:
    return (
        _("The link below replaces earlier links to your booking, which no longer work.")
        if details.manage_token
        else ""
    )


async def _send(details: BookingDetails, subject: str, opening: str, kind: str, extra: str = "") -> None:
    if not details.email:
        return
    body = "\n\n".join(
        filter(
            None,
            [
                opening,
                _summary(details),
                extra,
                _link(details),
                _("This email was sent by the My Number Card outreach service. Please do not reply to it."),
            ],
        )
    )
    await queue_email(details.email, subject, body, kind=kind)


async def booking_confirmed(details: BookingDetails) -> None:
    with using_locale(details.language):
        await _send(
            details,
            _("[My Number Card] Your booking {code}").format(code=display_code(details.code)),
            _("Thank you. Your booking for the My Number Card application support booth is confirmed."),
            "booking.confirmed",
            what_to_bring(),
        )


async def booking_moved(details: BookingDetails) -> None:
    with using_locale(details.language):
        await _send(
            details,
            _("[My Number Card] Your booking {code} was changed").format(code=display_code(details.code)),
            _("Your booking was moved. The new time and place are below; the old time is released."),
            "booking.moved",
            what_to_bring(),
        )


async def booking_cancelled(details: BookingDetails) -> None:
    with using_locale(details.language):
        await _send(
            details,
            _("[My Number Card] Your booking {code} was cancelled").format(code=display_code(details.code)),
            _("Your booking was cancelled. You are welcome to book again at any time."),
            "booking.cancelled",
        )


async def manage_link_reissued(details: BookingDetails) -> None:
    with using_locale(details.language):
        await _send(
            details,
            _("[My Number Card] A new link to your booking {code}").format(code=display_code(details.code)),
            _(
                "A new link to your booking was issued on the page 'Find your booking'. Earlier links to it no "
                "longer work. If you did not ask for this, your booking is still safe: use the new link below."
            ),
            "booking.link_reissued",
        )


async def booking_reminder(details: BookingDetails) -> None:
    with using_locale(details.language):
        await _send(
            details,
            _("[My Number Card] Reminder: your booking tomorrow"),
            _("This is a reminder of your booking for the My Number Card application support booth."),
            "booking.reminder",
            what_to_bring(),
        )


async def booth_cancelled(details: BookingDetails) -> None:
    with using_locale(details.language):
        await _send(
            details,
            _("[My Number Card] Your booth was cancelled: please choose a new time"),
            _(
                "We are sorry: the booth of your booking has been cancelled by the venue or the city. Your "
                "booking is kept. Open the link below to choose another time or place; nothing is lost if "
                "you do not."
            ),
            "booking.booth_cancelled",
            _replaces_note(details),
        )


async def booth_changed(details: BookingDetails) -> None:
    with using_locale(details.language):
        await _send(
            details,
            _("[My Number Card] Your booth has changed: new date, time or place"),
            _(
                "The booth of your booking has been moved by the venue or the city. Your booking moved with "
                "it: the new time and place are below. If they do not suit you, open the link below to choose "
                "another time or cancel."
            ),
            "booking.booth_changed",
            "\n\n".join(filter(None, [what_to_bring(), _replaces_note(details)])),
        )


# --- waiting list (booking.waitlist) ----------------------------------------------------------------------------------


def _slot_when(start: dt.datetime, end: dt.datetime) -> str:
    start, end = start.astimezone(JST), end.astimezone(JST)
    date = babel.dates.format_date(start.date(), format="full", locale=babel_locale())
    return f"{date} {start:%H:%M}–{end:%H:%M}"


def _held_until(until: dt.datetime) -> str:
    until = until.astimezone(JST)
    date = babel.dates.format_date(until.date(), format="medium", locale=babel_locale())
    return f"{date} {until:%H:%M}"


async def waitlist_joined(entry: WaitEntry, booth: Booth) -> None:
    """The entry's link (view, leave) by email, when the resident gave one."""
    if not entry.email:
        return
    with using_locale(entry.language):
        where = booth.display_name(get_locale())
        body = "\n\n".join(
            [
                _(
                    "You are on the waiting list of the My Number Card booth at {place} on {date}. When a place "
                    "that suits you is freed, we will email you an offer: the places are then held for you for a "
                    "limited time."
                ).format(place=where, date=babel.dates.format_date(entry.day, format="full", locale=babel_locale())),
                _("People: {n}").format(n=entry.party_size),
                _("See your place on the list, or leave it, here:\n{url}").format(url=entry.link),
                _("This email was sent by the My Number Card outreach service. Please do not reply to it."),
            ]
        )
        await queue_email(
            entry.email,
            _("[My Number Card] You are on the waiting list"),
            body,
            kind="waitlist.joined",
        )


async def waitlist_closed(entry: WaitEntry, booth: Booth) -> None:
    """The entry ended without a place: the times it waited for can no longer be booked online (passed, or the booth
    was cancelled or moved). By email when the resident gave one."""
    if not entry.email:
        return
    with using_locale(entry.language):
        day = babel.dates.format_date(entry.day, format="full", locale=babel_locale())
        body = "\n\n".join(
            [
                _(
                    "We are sorry: no place was freed for you at the My Number Card booth at {place} on {date}. The "
                    "times you waited for can no longer be booked online, so your waiting list entry has ended."
                ).format(place=booth.display_name(get_locale()), date=day),
                _("You can still come to a booth without a booking, or book another booth here:\n{url}").format(
                    url=get_settings().base_url + "/"
                ),
                _("This email was sent by the My Number Card outreach service. Please do not reply to it."),
            ]
        )
        await queue_email(
            entry.email, _("[My Number Card] Your waiting list entry has ended"), body, kind="waitlist.closed"
        )


async def waitlist_offer(entry: WaitEntry, slot: OpenSlot, token: str) -> None:
    """The offer: the time, until when it is held, and the link to accept or decline it (email only; staff call
    the residents who gave a phone number only)."""
    if not entry.email:
        return
    from booking.booths import booth

    shown = await booth(entry.scope)
    with using_locale(entry.language):
        where = shown.display_name(get_locale()) if shown is not None else ""
        if shown is not None and shown.address:
            where = f"{where}（{shown.address}）"
        body = "\n\n".join(
            [
                _("Good news: a place is free for you at the My Number Card booth, and it is held for you."),
                "\n".join(
                    [
                        _("When: {when}").format(when=_slot_when(slot.start, slot.end)),
                        _("Where: {place}").format(place=where),
                        _("People: {n}").format(n=entry.party_size),
                    ]
                ),
                _(
                    "The places are held for you until {until}. Accept the offer to book them (you get a booking "
                    "confirmation and slip), or decline it so that the next person can have them:\n{url}"
                ).format(
                    until=_held_until(entry.offer_expires_at or slot.closes_at),
                    url=entry_url(entry.code, token, entry.kind),
                ),
                _("If you do nothing, the offer expires at that time and the places go to the next person."),
                _("This email was sent by the My Number Card outreach service. Please do not reply to it."),
            ]
        )
        await queue_email(
            entry.email,
            _("[My Number Card] A place is free for you: accept by {until}").format(
                until=_held_until(entry.offer_expires_at or slot.closes_at)
            ),
            body,
            kind="waitlist.offer",
        )
