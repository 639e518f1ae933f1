"""Piccolo app of the planner: plans, versions, sessions, demand points, seasonality."""

import os

from piccolo.conf.apps import AppConfig

from planner.tables import DemandPoint, Invitation, Plan, PlanVersion, ReviewSeen, Seasonality, Session, YieldFactor

APP_CONFIG = AppConfig(
    app_name="planner",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Plan, PlanVersion, Session, DemandPoint, Seasonality, ReviewSeen, Invitation, YieldFactor],
    migration_dependencies=["venues.piccolo_app"],
    commands=[],
)
