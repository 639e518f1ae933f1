"""Paths of back-office pages that are built from data, in one place (templates, redirects and the map use them),
and the links a booth page gives to maps and phones."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

VENUE_PAGES = "/staff/venues/v"
"""Venue pages live under their own prefix, so that no facility ID (``map``, ``import``, ...) meets a fixed route."""


def venue_url(venue_id: str, action: str = "") -> str:
    """The page of a venue, or one of its actions (``edit``, ``blackouts``, ...)."""
    path = f"{VENUE_PAGES}/{quote(str(venue_id), safe='')}"
    return f"{path}/{action}" if action else path


def directions_url(lat: float, lon: float) -> str:
    """Directions to a place on the web map most residents' phones open in their map app (Google Maps' documented
    ``/maps/dir/?api=1`` address): the destination's coordinates only, nothing about the resident."""
    return f"https://www.google.com/maps/dir/?api=1&destination={lat:.6f}%2C{lon:.6f}"


def geo_url(lat: float, lon: float) -> str:
    """The place as a ``geo:`` URI (RFC 5870), which a phone opens in the map app the resident chose."""
    return f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}"


def tel_url(phone: str) -> str:
    """A ``tel:`` link for a phone number as venues write it (076-220-2000, ０７６（２２０）２０００, +81 76 ...);
    "" when it has no digits to dial."""
    digits = "".join(c for c in unicodedata.normalize("NFKC", phone) if c.isdigit() or c == "+")
    plus = "+" if digits.startswith("+") else ""
    digits = digits.replace("+", "")
    return f"tel:{plus}{digits}" if len(digits) >= 3 else ""
