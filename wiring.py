"""The explicit wiring of the domain apps: their event handlers (and their background work) are registered by this
one call, which every entry point makes at start-up: ``portal.app.create_app``, the ``outreach`` command and the
tests. Nothing is registered by the side effect of an import."""

from __future__ import annotations

from core import events


def register() -> None:
    """Register every app's handlers (safe to call again)."""
    from booking import services as booking_services

    booking_services.register_handlers()
    events.mark_registered()
