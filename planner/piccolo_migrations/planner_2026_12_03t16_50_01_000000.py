"""Fill plan_session.published_forecast for the booths published before it existed.

A booth's forecast as it was published is still on the first session of its chain: a session of an approved version
is never refreshed again, and a change copies it into a new session that continues it (``origin``), whose forecast
the re-plan may have recomputed with learned yields. So each published (or since superseded, held or cancelled)
session takes the forecast of the session it continues when it is the same booth (same venue, date and hours), and
its own forecast when it is the first of its chain or was moved. Plain SQL, the same on SQLite and PostgreSQL; raw
statements run before a migration's column changes, hence this second migration after the one that adds the column.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T16:50:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "fill plan_session.published_forecast of booths already published"

FILL = """
WITH RECURSIVE chain(id, forecast) AS (
    SELECT id, expected_applicants FROM plan_session WHERE origin IS NULL
    UNION ALL
    SELECT s.id,
           CASE WHEN s.venue = o.venue AND s.date = o.date AND s.start = o.start AND s."end" = o."end"
                THEN c.forecast ELSE s.expected_applicants END
    FROM plan_session s
    JOIN plan_session o ON s.origin = o.id
    JOIN chain c ON c.id = o.id
)
UPDATE plan_session
SET published_forecast = COALESCE(
    (SELECT chain.forecast FROM chain WHERE chain.id = plan_session.id), plan_session.expected_applicants
)
WHERE state IN ('published', 'held', 'superseded', 'cancelled') AND published_forecast IS NULL
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="planner", description=DESCRIPTION)

    async def fill() -> None:
        await engine_finder().run_ddl(FILL)

    manager.add_raw(fill)
    return manager
