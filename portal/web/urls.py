"""Paths of back-office pages that are built from data, in one place (templates, redirects and the map use them)."""

from __future__ import annotations

from urllib.parse import quote

VENUE_PAGES = "/staff/venues/v"
"""Venue pages live under their own prefix, so that no facility ID (``map``, ``import``, ...) meets a fixed route."""


def venue_url(venue_id: str, action: str = "") -> str:
    """The page of a venue, or one of its actions (``edit``, ``blackouts``, ...)."""
    path = f"{VENUE_PAGES}/{quote(str(venue_id), safe='')}"
    return f"{path}/{action}" if action else path
