"""Piccolo app of counter: offices, their services and days, and queue tickets."""

import os

from piccolo.conf.apps import AppConfig

from counter.tables import CounterService, Office, OfficeDay, PickupReservation, PickupSlot, Ticket

APP_CONFIG = AppConfig(
    app_name="counter",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Office, OfficeDay, CounterService, Ticket, PickupSlot, PickupReservation],
    migration_dependencies=["booking.piccolo_app"],
    commands=[],
)
