"""Booking's periodic work (core.jobs): late bookings released to walk-ins and the waiting lists' expired offers
passed on every minute, reminders for tomorrow's bookings from REMIND_HOUR, and the scheduled purge of personal data
once a day from PURGE_HOUR. Each is safe to run again (it does only what is still due), so sites that prefer cron may
turn the last two off and run the commands instead."""

from __future__ import annotations

import logging

from booking.checkin import release_late_bookings
from booking.reminders import send_reminders
from booking.retention import purge_expired, scheduled_purge_ran_since
from booking.waitlist import sweep
from core import clock
from core.jobs import Registry, default_registry
from core.settings import Settings, get_settings

log = logging.getLogger(__name__)

RELEASE_SECONDS = 60
WAITLIST_SECONDS = 60
REMIND_SECONDS = 15 * 60
PURGE_SECONDS = 15 * 60


async def release_late() -> int:
    """Give the places of bookings not checked in NO_SHOW_AFTER_MINUTES after their slot started to walk-ins."""
    released = await release_late_bookings()
    if released:
        log.info("released %s late booking(s) to walk-ins", released)
    return released


async def waitlist() -> dict[str, int]:
    """Expire the waiting lists' offers whose time ran out (each once: a conditional update) and offer their places,
    and any others freed, to the next entries (booking.waitlist.sweep)."""
    done = await sweep()
    if any(done.values()):
        log.info("waiting lists: %(expired)s offer(s) expired, %(offered)s made, %(closed)s entries closed", done)
    return done


async def remind() -> int:
    """Queue reminders for tomorrow's bookings once it is REMIND_HOUR o'clock in Japan (bookings made later that day
    at the next run)."""
    hour = get_settings().remind_hour
    if hour is None or clock.now().astimezone(clock.JST).hour < hour:
        return 0
    return await send_reminders()


async def purge() -> None:
    """The scheduled purge of contact data RETENTION_DAYS after each booth, once a day from PURGE_HOUR (Japan), when
    few bookings come in (its one write transaction makes SQLite's other writers wait)."""
    hour = get_settings().purge_hour
    now = clock.now().astimezone(clock.JST)
    if hour is None or now.hour < hour:
        return
    if await scheduled_purge_ran_since(now.replace(hour=0, minute=0, second=0, microsecond=0)):
        return
    await purge_expired()


def register(settings: Settings, registry: Registry = default_registry) -> None:
    """Booking's periodic tasks (called by ``wiring.register``)."""
    registry.register_periodic("booking.release_late", RELEASE_SECONDS, release_late)
    registry.register_periodic("booking.waitlist", WAITLIST_SECONDS, waitlist)
    if settings.remind_hour is not None:
        registry.register_periodic("booking.reminders", REMIND_SECONDS, remind)
    if settings.purge_hour is not None:
        registry.register_periodic("booking.purge", PURGE_SECONDS, purge)
