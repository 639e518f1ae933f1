"""A venue's calendar feed (DESIGN §5: ``GET /venues/{venue_id}/calendar.ics?token=``), public and keyed by the
venue's secret token."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Response

from booking.venue_booths import venue_feed_booths
from core.i18n import DEFAULT_LOCALE, normalize_locale, using_locale
from core.settings import Settings
from portal.documents.venue_feed import venue_feed_ics
from venues.feeds import check_feed_token

FEED_CACHE_CONTROL = "private, max-age=300"
FEED_MEDIA_TYPE = "text/calendar"  # Litestar adds "; charset=utf-8" to text types


@dataclass(frozen=True)
class FeedUrls:
    """The addresses staff hand to a venue's partner: the https one and the webcal:// one calendar apps open."""

    https: str
    webcal: str


def venue_feed_urls(base_url: str, venue_id: str, token: str) -> FeedUrls:
    """The subscription addresses of a venue's feed (on ``base_url``, the setting BASE_URL)."""
    address = f"{base_url}/venues/{quote(str(venue_id), safe='')}/calendar.ics?token={quote(token)}"
    return FeedUrls(https=address, webcal="webcal://" + address.split("://", 1)[1])


@dataclass(frozen=True)
class BuiltFeed:
    body: bytes
    etag: str
    built_at: float


class FeedCache:
    """Built feeds per (venue, token, language), reused for ``ttl`` seconds (PUBLIC_CACHE_SECONDS) in this process:
    a calendar app polling a feed costs no query. Only a request with the right token ever fills an entry (the token
    is checked when it is built); rotating a token forgets the venue's entries here at once, and in other worker
    processes the old link works for at most ``ttl`` seconds more."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._feeds: dict[tuple, BuiltFeed] = {}
        self._locks: dict[tuple, asyncio.Lock] = {}

    @staticmethod
    async def _build(build: Callable[[], Awaitable[bytes]]) -> BuiltFeed:
        body = await build()
        return BuiltFeed(body, 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"', time.monotonic())

    def _fresh(self, key: tuple) -> BuiltFeed | None:
        feed = self._feeds.get(key)
        return feed if feed is not None and time.monotonic() - feed.built_at < self.ttl else None

    async def get(self, key: tuple, build: Callable[[], Awaitable[bytes]]) -> BuiltFeed:
        if self.ttl <= 0:
            return await self._build(build)
        feed = self._fresh(key)
        if feed is not None:
            return feed
        if len(self._feeds) >= 1024 or len(self._locks) >= 1024:
            self._feeds.clear()
            self._locks.clear()
        async with self._locks.setdefault(key, asyncio.Lock()):  # a burst of subscribers waits for one build
            feed = self._fresh(key)
            if feed is None:
                feed = self._feeds[key] = await self._build(build)
        return feed

    def forget(self, venue_id: str) -> None:
        """Drop the venue's built feeds (after its token was rotated)."""
        for key in [key for key in self._feeds if key[0] == venue_id]:
            del self._feeds[key]


def not_modified(request: Request, etag: str) -> bool:
    """Whether the client already has this version of the feed (If-None-Match)."""
    wanted = request.headers.get("if-none-match", "")
    return wanted.strip() == "*" or etag in (tag.strip() for tag in wanted.split(","))


@get("/venues/{venue_id:str}/calendar.ics", name="venue_feed", include_in_schema=False)
async def venue_feed(
    request: Request,
    settings: NamedDependency[Settings],
    venue_id: FromPath[str],
    token: FromQuery[str | None] = None,
    lang: FromQuery[str | None] = None,
) -> Response:
    """The venue's current booths as iCalendar, for calendar apps to subscribe to (no sign-in: the token is the
    key). Japanese unless ``lang=en``; 304 when the client's ETag is still current; 404 for a wrong token."""
    locale = normalize_locale(lang) if lang else DEFAULT_LOCALE

    async def build() -> bytes:
        venue = await check_feed_token(venue_id, token)
        booths = await venue_feed_booths(venue["id"])
        with using_locale(locale):
            return venue_feed_ics(venue, booths, base_url=settings.base_url)

    feed = await request.app.state.feeds.get((venue_id, token or "", locale), build)
    headers = {"Cache-Control": FEED_CACHE_CONTROL, "ETag": feed.etag}
    if not_modified(request, feed.etag):
        return Response(content=b"", status_code=304, headers=headers)
    filename = quote(f"{venue_id}.ics", safe=".")
    return Response(
        content=feed.body,
        media_type=FEED_MEDIA_TYPE,
        headers={**headers, "Content-Disposition": f"inline; filename*=UTF-8''{filename}"},
    )
