"""The periodic work of pickup reservations (core.jobs): the times of the coming days made every hour, and the
reminders for tomorrow's reservations from REMIND_HOUR, as booth bookings'. Each is safe to run again."""

from __future__ import annotations

import logging

from core import clock
from core.jobs import Registry, default_registry
from core.settings import Settings, get_settings
from counter.pickup_reminders import send_pickup_reminders
from counter.pickup_slots import generate_slots

log = logging.getLogger(__name__)

SLOTS_SECONDS = 60 * 60
REMIND_SECONDS = 15 * 60


async def make_slots() -> int:
    """Make the pickup times of the days that have come into the booking window."""
    made = await generate_slots()
    if made:
        log.info("made %s pickup time(s)", made)
    return made


async def remind() -> int:
    """Queue the reminders for tomorrow's pickup reservations once it is REMIND_HOUR o'clock in Japan."""
    hour = get_settings().remind_hour
    if hour is None or clock.now().astimezone(clock.JST).hour < hour:
        return 0
    return await send_pickup_reminders()


def register(settings: Settings, registry: Registry = default_registry) -> None:
    """Pickup reservations' periodic tasks (called by ``wiring.register``)."""
    registry.register_periodic("counter.pickup_slots", SLOTS_SECONDS, make_slots)
    if settings.remind_hour is not None:
        registry.register_periodic("counter.pickup_reminders", REMIND_SECONDS, remind)
