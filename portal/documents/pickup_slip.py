"""The resident's slip for a pickup reservation (交付予約の予約票): one A4 page with the reservation code and its QR
code, the office, the service, the date and time, the number of people, the notice numbers masked but for their
last four digits, and what to bring, in the current locale (core.i18n), as the booth booking's slip
(portal.documents.slip).

The QR code holds the reservation code only, exactly as stored: reception scans it (or types the printed code) on
``/staff/counter/{office}`` to check the party in (counter.pickup_check_in). The slip is handed to reception, so it
carries no manage link and no contact."""

from __future__ import annotations

import base64
from functools import lru_cache

from jinja2 import Environment
from weasyprint import HTML

from booking.codes import display_code
from core.i18n import get_locale, html_lang, is_japanese, using_locale
from core.i18n import gettext as _
from counter.offices import service_label
from counter.pickup_notices import checklist
from counter.pickups import PickupDetails
from portal.documents.qr import qr_svg
from portal.documents.slip import SlipItem, party_text, slot_date_text, slot_time_text
from portal.web.templating import TEMPLATE_DIR, build_environment

TEMPLATE = "public/pickup_slip.html"
SHOWN_DIGITS = 4  # the notice numbers' last digits printed; the rest masked


def mask_notice_number(number: str) -> str:
    """A notice number with every digit but the last four masked: 0123456789 → ******6789."""
    return "*" * max(len(number) - SHOWN_DIGITS, 0) + number[-SHOWN_DIGITS:]


def office_name(details: PickupDetails) -> str:
    english = get_locale() not in ("ja", "ja-easy") and details.office_name_en
    return details.office_name_en if english else details.office_name


def pickup_slip_items(details: PickupDetails) -> list[SlipItem]:
    """The labelled lines of the slip, in the order printed."""
    separator = "、" if is_japanese() else ", "
    return [
        SlipItem(_("Date"), slot_date_text(details.start.date()), strong=True),
        SlipItem(_("Time slot"), slot_time_text(details.start, details.end), strong=True),
        SlipItem(_("Place"), office_name(details)),
        SlipItem(_("What for"), service_label(details.service_kind)),
        SlipItem(_("Number of people"), party_text(details.party_size)),
        SlipItem(
            _("Notice numbers (交付通知書)"),
            separator.join(mask_notice_number(number) for number in details.notice_numbers),
        ),
    ]


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return build_environment()


def pickup_slip_html(details: PickupDetails) -> str:
    """The slip as the HTML document the PDF is printed from."""
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            lang=html_lang(),
            code=display_code(details.code),  # grouped for reading aloud; the QR code holds the code itself
            cancelled=details.state == "cancelled",
            qr_uri="data:image/svg+xml;base64," + base64.b64encode(qr_svg(details.code).encode()).decode("ascii"),
            items=pickup_slip_items(details),
            checklist=[line.removeprefix("- ") for line in checklist()],
        )
    )


def pickup_slip_pdf(details: PickupDetails) -> bytes:
    """The slip as A4 PDF bytes, in the current locale."""
    return HTML(string=pickup_slip_html(details), base_url=str(TEMPLATE_DIR)).write_pdf()


def resident_pickup_slip_pdf(details: PickupDetails) -> bytes:
    """The slip in the language the resident chose for the reservation (its emails' language)."""
    with using_locale(details.language):
        return pickup_slip_pdf(details)
