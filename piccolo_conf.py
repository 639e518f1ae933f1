"""Piccolo configuration: the engine from DATABASE_URL and one app per domain."""

from piccolo.conf.apps import AppRegistry

from core.db import build_engine
from core.settings import get_settings

DB = build_engine(get_settings().database_url)

APP_REGISTRY = AppRegistry(
    apps=[
        "core.piccolo_app",
        "venues.piccolo_app",
        "planner.piccolo_app",
        "booking.piccolo_app",
        "counter.piccolo_app",
    ]
)
