"""The explicit wiring of the domain apps: their event handlers and their background work are registered by this one
call, which every entry point makes at start-up: ``portal.app.create_app``, the ``outreach`` command and the tests.
Nothing is registered by the side effect of an import."""

from __future__ import annotations

from core import events
from core.settings import get_settings


def register() -> None:
    """Register every app's event handlers, jobs and periodic tasks (safe to call again)."""
    from booking import booth_waitlist
    from booking import jobs as booking_jobs
    from booking import retention as booking_retention
    from booking import services as booking_services
    from core import outbox
    from counter import notify as counter_notify
    from counter import pickup_jobs, pickup_retention, pickup_waitlist
    from counter import report_figures as counter_report_figures
    from planner import jobs as planner_jobs
    from portal.documents import flyer_jobs

    settings = get_settings()
    booking_services.register_handlers()
    booth_waitlist.register()
    events.mark_registered()
    outbox.register_jobs(settings.outbox_interval)
    planner_jobs.register()
    booking_jobs.register(settings)
    counter_report_figures.register()
    flyer_jobs.register()
    counter_notify.register()
    pickup_jobs.register(settings)
    pickup_waitlist.register()
    booking_retention.register_purge_step(  # booking purges the counter's reservations without knowing counter
        "counter.pickups",
        booking_retention.PurgeStep(
            run=pickup_retention.purge_pickups, labels=pickup_retention.LABELS, tables=pickup_retention.TABLES
        ),
    )
