from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-24T01:57:46:303715"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="planner", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Session",
        tablename="plan_session",
        column_name="origin",
        db_column_name="origin",
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

    manager.alter_column(
        table_class_name="Session",
        tablename="plan_session",
        column_name="state",
        db_column_name="state",
        params={
            "choices": Enum(
                "SessionState",
                {
                    "planned": "planned",
                    "published": "published",
                    "held": "held",
                    "cancelled": "cancelled",
                    "superseded": "superseded",
                },
            )
        },
        old_params={
            "choices": Enum(
                "SessionState",
                {
                    "planned": "planned",
                    "published": "published",
                    "held": "held",
                    "cancelled": "cancelled",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
