"""Piccolo app of the venue registry."""

import os

from piccolo.conf.apps import AppConfig

from venues.tables import BlackoutDate, Place, Venue

APP_CONFIG = AppConfig(
    app_name="venues",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Venue, BlackoutDate, Place],
    migration_dependencies=["core.piccolo_app"],
    commands=[],
)
