"""Piccolo app of the shared tables (staff users, audit log, outbox, background jobs)."""

import os

from piccolo.conf.apps import AppConfig

from core.tables import AuditEvent, Job, OutboxMessage, PeriodicTask, StaffUser

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[StaffUser, AuditEvent, OutboxMessage, Job, PeriodicTask],
    migration_dependencies=[],
    commands=[],
)
