"""Piccolo app of booking: slots, bookings, publicity placements, the booth day and its reports."""

import os

from piccolo.conf.apps import AppConfig

from booking.tables import (
    Booking,
    BoothResult,
    OfficeCount,
    Placement,
    PurgeRun,
    ReportNote,
    Slot,
    WaitlistEntry,
    WalkIn,
)

APP_CONFIG = AppConfig(
    app_name="booking",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Slot, Booking, Placement, WalkIn, BoothResult, OfficeCount, ReportNote, PurgeRun, WaitlistEntry],
    migration_dependencies=["planner.piccolo_app"],
    commands=[],
)
