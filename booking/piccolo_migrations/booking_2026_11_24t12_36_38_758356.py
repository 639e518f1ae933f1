"""No index on a booking's state alone. Its four values leave nothing to select by, and while a table has no
statistics (a new database in its first rush; autovacuum off), PostgreSQL planned a lookup by code or id and state
on it: a cancellation then read every confirmed booking (bench/booking)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-11-24T12:36:38:758356"
VERSION = "1.38.0"
DESCRIPTION = "drop the index on resident_booking.state"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="booking", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Booking",
        tablename="resident_booking",
        column_name="state",
        db_column_name="state",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
