"""Rate limits per client address: staff sign-in, and booking, cancelling and looking up bookings; and failed
sign-ins per staff account, whatever address they come from (behind a proxy many staff share one address, and an
attacker can use many).

Each limit is a fixed window per client address, counted by the ``limits`` library in one atomic step: with
``REDIS_URL`` set, one Redis round trip (an increment-with-expiry script), so that every worker process shares the
counts; without it, an in-process counter (one worker, the demo).

Why not Litestar's ``RateLimitMiddleware``: it reads the client's whole list of request times of the window, decodes
it, prepends one and writes it back — two round trips, JSON the size of the window's requests, and a lock around
both that makes every rate-limited request of a worker wait for the others' round trips. Two workers could still
read the same list and each write back their own, losing counts, so a rush from one address could get past the limit.
The booking benchmark (bench/booking) spent a seventh of a booking's CPU there.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string
from litestar.exceptions import TooManyRequestsException
from litestar.types import ASGIApp, Receive, Scope, Send

from core.settings import Settings


def is_sign_in_attempt(method: str, path: str) -> bool:
    return method == "POST" and path == "/staff/login"


PICKUP_LISTS = ("/api/pickups/offices", "/api/pickups/times")


def is_booking_or_lookup(method: str, path: str) -> bool:
    """Requests that make, change or look up a booking, a waiting list entry or a pickup reservation, and the public
    flyers that take CPU to render."""
    if path.startswith(("/api/bookings", "/api/waitlist", "/bookings/", "/waitlist/", "/flyers/")):
        return True
    if path.startswith(("/api/pickups", "/pickups/")):  # not the lists of offices and times anyone may read
        return not (method == "GET" and path.rstrip("/") in PICKUP_LISTS)
    if path == "/pickups":
        return method == "POST"
    if path.startswith("/sessions/") and "/flyer." in path:
        return True
    return method == "POST" and path.startswith("/booths/")


@dataclass(frozen=True)
class Limit:
    name: str
    applies: Callable[[str, str], bool]  # (method, path) -> whether this limit counts the request
    item: RateLimitItem


def limits_of(settings: Settings) -> list[Limit]:
    return [
        Limit("sign-in", is_sign_in_attempt, RateLimitItemPerMinute(20)),
        Limit("booking", is_booking_or_lookup, RateLimitItemPerMinute(settings.booking_rate_limit)),
    ]


# Redis connections one limiter of a worker keeps, and how long a request waits for one. redis-py's default pool opens
# a connection for every request that finds none free: a rush of 300 residents opened about 150 per worker, and
# opening them cost more than everything else the refusals did (bench/booking, the rush). A blocking pool lets the
# rush wait its turn for a few connections, each counting in well under a millisecond.
REDIS_CONNECTIONS = 8
REDIS_WAIT_SECONDS = 10


def limiter_of(settings: Settings) -> FixedWindowRateLimiter:
    """The shared Redis counter when REDIS_URL is set, an in-process one otherwise."""
    if settings.redis_url:
        from redis.asyncio import BlockingConnectionPool

        uri = (
            "async+" + settings.redis_url
            if settings.redis_url.startswith(("redis://", "rediss://"))
            else settings.redis_url
        )
        pool = BlockingConnectionPool.from_url(
            settings.redis_url.removeprefix("async+"), max_connections=REDIS_CONNECTIONS, timeout=REDIS_WAIT_SECONDS
        )
        storage = storage_from_string(uri, implementation="redispy", key_prefix="outreach-limits", connection_pool=pool)
    else:
        storage = storage_from_string("async+memory://")
    return FixedWindowRateLimiter(storage)


class ThrottleMiddleware:
    """Answers 429 (with ``Retry-After``) once a client address has used up a limit that applies to the request.
    Requests no limit applies to (the public read path, staff pages) pass without any work."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.limits = limits_of(settings)
        self.limiter = limiter_of(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            method, path = scope["method"], scope["path"]
            client = scope.get("client")
            address = client[0] if client else "unknown"
            for limit in self.limits:
                if limit.applies(method, path) and not await self.limiter.hit(limit.item, limit.name, address):
                    stats = await self.limiter.get_window_stats(limit.item, limit.name, address)
                    wait = max(1, math.ceil(stats.reset_time - time.time()))
                    raise TooManyRequestsException(
                        headers={
                            "Retry-After": str(wait),
                            "RateLimit-Limit": str(limit.item.amount),
                            "RateLimit-Remaining": "0",
                            "RateLimit-Reset": str(wait),
                        }
                    )
        await self.app(scope, receive, send)


SEARCH_LIMIT = RateLimitItemPerMinute(60)


class SearchThrottle:
    """The limit of the public searches that miss the cache (a town, a place or filters not asked for since the
    booth list was last read): each renders the page, and no path alone tells a miss from a hit, so the home page
    charges it itself. Answers from the cache cost nothing and are never counted."""

    def __init__(self, settings: Settings) -> None:
        self.limiter = limiter_of(settings)

    async def charge(self, scope: Scope) -> None:
        """Count one search of the request's client address; TooManyRequestsException (429) once 60 a minute are
        used up."""
        client = scope.get("client")
        address = client[0] if client else "unknown"
        if not await self.limiter.hit(SEARCH_LIMIT, "search", address):
            stats = await self.limiter.get_window_stats(SEARCH_LIMIT, "search", address)
            wait = max(1, math.ceil(stats.reset_time - time.time()))
            raise TooManyRequestsException(
                headers={
                    "Retry-After": str(wait),
                    "RateLimit-Limit": str(SEARCH_LIMIT.amount),
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": str(wait),
                }
            )


# Failed sign-ins one account may have in a fixed window before it is refused for the rest of the window (even with
# the right password): enough for a forgetful person, far too few to guess a password.
SIGN_IN_FAILURES_PER_ACCOUNT = RateLimitItemPerMinute(10, 15)


class AccountThrottle:
    """Counts failed sign-ins per account name (in Redis with REDIS_URL, so every worker shares the counts). The
    name is hashed: the store never holds who tried."""

    def __init__(self, settings: Settings, item: RateLimitItem = SIGN_IN_FAILURES_PER_ACCOUNT) -> None:
        self.item = item
        self.limiter = limiter_of(settings)

    @staticmethod
    def _key(username: str) -> str:
        return hashlib.sha256(username.strip().casefold().encode()).hexdigest()

    async def wait_seconds(self, username: str) -> int:
        """0 while the account may try to sign in; else the seconds until it may again."""
        key = self._key(username)
        if await self.limiter.test(self.item, "sign-in-account", key):
            return 0
        stats = await self.limiter.get_window_stats(self.item, "sign-in-account", key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def failed(self, username: str) -> None:
        await self.limiter.hit(self.item, "sign-in-account", self._key(username))

    async def succeeded(self, username: str) -> None:
        await self.limiter.clear(self.item, "sign-in-account", self._key(username))
