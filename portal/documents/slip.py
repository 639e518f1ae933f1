"""The resident's 予約票 (booking slip): one A4 page with the booking code, its QR code, when, where and what to bring.

Rendered with WeasyPrint in the current locale (core.i18n). The QR code encodes the booking code only, exactly as
stored (a random secret, never an id or a link); the printed code is grouped in fours for reading aloud. The slip is
handed to reception, so it carries no manage link: it names 予約を探す, where the code and the phone or email give one.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import babel.dates
from babel import Locale, UnknownLocaleError
from jinja2 import Environment
from weasyprint import HTML

from booking.codes import display_code, find_url
from booking.schemas import BookingDetails, Needs
from core.clock import JST
from core.i18n import N_, babel_locale, get_locale, html_lang, is_japanese, ngettext
from core.i18n import gettext as _
from core.wareki import wareki_year
from portal.documents.qr import qr_svg
from portal.web.templating import TEMPLATE_DIR, build_environment

TEMPLATE = "public/booking_slip.html"

WHAT_TO_BRING: tuple[str, ...] = (
    N_("This booking slip (printed, or on your phone)"),
    N_(
        "Proof of identity: one photo ID such as a driving licence or passport, or two documents such as a health "
        "insurance card and a pension book"
    ),
    N_(
        "If you have them: your Notification Card (個人番号通知カード) and any letter about the card from the city "
        "(交付申請書, 交付通知書)"
    ),
    N_("A child under 15 must come with a legal guardian (a parent), who brings their own proof of identity"),
    N_("If you will move within about two months, the card cannot be sent to you by post: please tell the staff"),
)


@dataclass(frozen=True)
class SlipItem:
    """One labelled line of the slip (e.g. 会場: イオン金沢店)."""

    label: str
    value: str
    strong: bool = False  # printed larger and bold (the date and the time)


def what_to_bring() -> list[str]:
    """The 持ち物 checklist in the current locale (shared by the slip, the calendar entry and the emails)."""
    return [_(item) for item in WHAT_TO_BRING]


def slot_date_text(day: dt.date) -> str:
    """The booth's date: 2027年6月5日（土）（令和9年） in Japanese, Saturday, June 5, 2027 in English."""
    if is_japanese():
        return f"{babel.dates.format_date(day, 'y年M月d日（E）', locale='ja')}（{wareki_year(day)}）"
    return babel.dates.format_date(day, "full", locale=babel_locale())


def slot_time_text(start: dt.datetime, end: dt.datetime) -> str:
    """The slot's time in Japan: 10:00～10:30 in Japanese, 10:00 – 10:30 in English."""
    start, end = start.astimezone(JST), end.astimezone(JST)
    if is_japanese():
        return f"{start:%H:%M}～{end:%H:%M}"
    return babel.dates.format_interval(start.time(), end.time(), "Hm", locale=babel_locale())


def language_name(code: str) -> str:
    """A language code's name in the current locale (vi → ベトナム語 / Vietnamese); the code itself if unknown."""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(babel_locale()) or code
    except (ValueError, UnknownLocaleError):
        return code


def party_text(count: int) -> str:
    """The party size: 2名 / 2 people."""
    return ngettext("{count} person", "{count} people", count).format(count=count)


def needs_lines(needs: Needs) -> list[str]:
    """What the resident asked the staff to prepare, one line each, in the current locale."""
    lines = []
    if needs.wheelchair:
        lines.append(_("Wheelchair"))
    if needs.large_print:
        lines.append(_("Large print"))
    if needs.interpreter:
        lines.append(_("Interpreter: {language}").format(language=language_name(needs.interpreter)))
    return lines


def slip_items(details: BookingDetails) -> list[SlipItem]:
    """The labelled lines of the slip, in the order printed."""
    booth = details.booth
    start = details.slot_start.astimezone(JST)
    items = [
        SlipItem(_("Date"), slot_date_text(start.date()), strong=True),
        SlipItem(_("Time slot"), slot_time_text(details.slot_start, details.slot_end), strong=True),
        SlipItem(_("Venue"), booth.display_name(get_locale())),
        SlipItem(_("Address"), booth.address),
        SlipItem(_("Number of people"), party_text(details.party_size)),
        SlipItem(_("Your name (kana)"), details.name_kana),
    ]
    needs = needs_lines(details.needs)
    if needs:
        items.append(SlipItem(_("Requests"), "、".join(needs) if is_japanese() else ", ".join(needs)))
    return items


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return build_environment()


def booking_slip_html(details: BookingDetails) -> str:
    """The slip as the HTML document the PDF is printed from."""
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            lang=html_lang(),
            code=display_code(details.code),  # grouped for reading aloud; the QR code holds the code itself
            cancelled=details.state == "cancelled",
            qr_uri="data:image/svg+xml;base64," + base64.b64encode(qr_svg(details.code).encode()).decode("ascii"),
            items=slip_items(details),
            checklist=what_to_bring(),
            find_url=find_url(),
        )
    )


def booking_slip_pdf(details: BookingDetails) -> bytes:
    """The 予約票 as A4 PDF bytes, in the current locale."""
    return HTML(string=booking_slip_html(details), base_url=str(TEMPLATE_DIR)).write_pdf()
