"""Piccolo app of booking: slots, bookings and publicity placements."""

import os

from piccolo.conf.apps import AppConfig

from booking.tables import Booking, Placement, Slot

APP_CONFIG = AppConfig(
    app_name="booking",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Slot, Booking, Placement],
    migration_dependencies=["planner.piccolo_app"],
    commands=[],
)
