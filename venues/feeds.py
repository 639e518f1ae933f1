"""The secret key of each venue's calendar feed (会場向けカレンダー配信, DESIGN §5): issued when staff first open the
venue's page, rotated by staff when a link leaks, checked in constant time."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from core.audit import record_event
from core.db import write_transaction
from core.errors import NotFound
from core.i18n import gettext as _
from core.users import Actor
from venues.tables import Venue

TOKEN_BYTES = 32  # 256 random bits, 43 URL-safe characters
FEED_VENUE_COLUMNS = (
    Venue.id,
    Venue.venue_id,
    Venue.name,
    Venue.name_en,
    Venue.address,
    Venue.lat,
    Venue.lon,
    Venue.feed_token,
)


def new_feed_token() -> str:
    """A fresh random feed token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _venue_not_found(venue_id: str) -> NotFound:
    return NotFound(_("Venue {venue_id} was not found.").format(venue_id=venue_id))


async def feed_token(venue_id: str) -> str:
    """The venue's feed token, issued now when it has none yet (an empty token means "not issued")."""
    row = await Venue.select(Venue.feed_token).where(Venue.venue_id == venue_id).first()
    if row is None:
        raise _venue_not_found(venue_id)
    token: str = row["feed_token"]
    if token:
        return token
    async with write_transaction():
        # Conditional: two first views at once issue one token, and both pages show it.
        await Venue.update({Venue.feed_token: new_feed_token()}).where(
            (Venue.venue_id == venue_id) & (Venue.feed_token == "")
        )
        row = await Venue.select(Venue.feed_token).where(Venue.venue_id == venue_id).first()
    if row is None:  # deleted meanwhile
        raise _venue_not_found(venue_id)
    issued: str = row["feed_token"]
    return issued


async def rotate_feed_token(actor: Actor, venue_id: str) -> str:
    """Replace the venue's feed token (the old link stops working at once) and audit it; returns the new token.
    The audit entry names neither token."""
    async with write_transaction():
        venue = await Venue.select(Venue.name).where(Venue.venue_id == venue_id).first()
        if venue is None:
            raise _venue_not_found(venue_id)
        token = new_feed_token()
        await Venue.update({Venue.feed_token: token}).where(Venue.venue_id == venue_id)
        await record_event(actor, "venue.feed_token_rotated", "venue", venue_id, venue["name"])
    return token


async def check_feed_token(venue_id: str, token: str | None) -> dict[str, Any]:
    """The venue of a feed request when ``token`` is its feed token; NotFound otherwise, the same for an unknown
    venue, a token not issued yet and a wrong token (a feed's existence is not revealed without its key)."""
    row = await Venue.select(*FEED_VENUE_COLUMNS).where(Venue.venue_id == venue_id).first()
    expected = (row["feed_token"] if row else "") or "-" * 43  # compare even when there is nothing to match
    matches = hmac.compare_digest(expected.encode(), (token or "").encode())
    if row is None or not row["feed_token"] or not token or not matches:
        raise NotFound(_("This calendar feed does not exist. Ask the city for the current link."))
    return row
