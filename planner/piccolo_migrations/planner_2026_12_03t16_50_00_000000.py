from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T16:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "plan_session.published_forecast: the forecast fixed when the booth was published"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="planner", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Session",
        tablename="plan_session",
        column_name="published_forecast",
        db_column_name="published_forecast",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
