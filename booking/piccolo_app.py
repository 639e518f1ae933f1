"""Piccolo app of booking: slots and bookings."""

import os

from piccolo.conf.apps import AppConfig

from booking.tables import Booking, Slot

APP_CONFIG = AppConfig(
    app_name="booking",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Slot, Booking],
    migration_dependencies=["planner.piccolo_app"],
    commands=[],
)
