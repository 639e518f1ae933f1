from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T17:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "opening rules of venues (opening_hours, unread notes, staff confirmation)"


def _params(default: object) -> dict[str, object]:
    return {
        "default": default,
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="venues", description=DESCRIPTION)
    for name, column_class, default in (
        ("opening_hours", Text, ""),
        ("hours_unread", Text, ""),
        ("hours_confirmed", Boolean, False),
    ):
        manager.add_column(
            table_class_name="Venue",
            tablename="venue",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=_params(default),
            schema=None,
        )
    return manager
