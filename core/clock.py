"""The current time, in one place so that tests can fix it (``frozen``) instead of sleeping."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

CITY_TIME_ZONE = "Asia/Tokyo"
"""The city's time zone (IANA name): "today", booth times and calendar entries are Japan's."""
JST = ZoneInfo(CITY_TIME_ZONE)
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current time (aware, UTC), or the frozen time in tests."""
    return _frozen if _frozen is not None else dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today's date in Japan."""
    return now().astimezone(JST).date()


@contextlib.contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Fix ``now()`` at an aware time for the duration of the block."""
    global _frozen
    previous, _frozen = _frozen, at.astimezone(dt.UTC)
    try:
        yield
    finally:
        _frozen = previous
