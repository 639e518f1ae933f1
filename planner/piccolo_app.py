"""Piccolo app of the planner domain (its tables arrive with the planner issue)."""

import os

from piccolo.conf.apps import AppConfig

APP_CONFIG = AppConfig(
    app_name="planner",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[],
    migration_dependencies=["venues.piccolo_app"],
    commands=[],
)
