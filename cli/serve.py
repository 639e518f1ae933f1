"""``outreach serve``: run the portal (uvicorn), after applying pending migrations."""

from __future__ import annotations

import click

from cli.runtime import migrate, run
from core.i18n import gettext as _


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes (PostgreSQL for >1).")
@click.option("--no-migrate", is_flag=True, help="Do not apply pending migrations first.")
def serve(host: str, port: int, workers: int, no_migrate: bool) -> None:
    """Run the portal."""
    from core import serving
    from core.logs import uvicorn_log_config
    from core.settings import get_settings

    if workers > 1 and get_settings().is_sqlite:
        raise click.ClickException(_("SQLite serves one worker process; set DATABASE_URL to PostgreSQL for more."))
    if not no_migrate:
        run(migrate())
    serving.run(
        "portal.app:create_served_app",
        factory=True,
        workers=workers,  # several: each new connection goes to the one that holds the fewest (core.serving)
        host=host,
        port=port,
        proxy_headers=True,
        log_level="info",
        log_config=uvicorn_log_config(),
    )
