"""Indexes for the per-contact booking limit: every booking counts the contact's active bookings at the booth by
(session, phone) or (session, email). Partial indexes (empty phone or email left out), written as raw SQL because
Piccolo columns declare no composite or partial index; the same statements on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-24T09:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "partial indexes (session, phone) and (session, email) on resident_booking"

INDEXES = {
    "resident_booking_session_phone": "resident_booking (session, phone) WHERE phone <> ''",
    "resident_booking_session_email": "resident_booking (session, email) WHERE email <> ''",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="booking", description=DESCRIPTION)

    async def create() -> None:
        for name, definition in INDEXES.items():
            await engine_finder().run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")

    async def drop() -> None:
        for name in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
