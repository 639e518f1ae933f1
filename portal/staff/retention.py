"""Back-office page of personal-data retention (個人情報の削除): the runs of `outreach purge` with their counts, who
ran them and when, what the next scheduled purge would erase, and the deletion reports (個人情報の削除報告書) of the
end-of-contract runs to download. Only files under var/ are served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Response, Template

from booking import retention
from core import clock
from core.errors import NotFound
from core.i18n import gettext as _
from core.roles import AUDIT_READERS
from core.settings import Settings
from portal.web.guards import requires
from portal.web.templating import page

RETENTION = "/staff/retention"


def kind_label(kind: str) -> str:
    """The translated name of a kind of run."""
    labels = {retention.SCHEDULED: _("Scheduled purge"), retention.END_OF_CONTRACT: _("End of contract")}
    return labels.get(kind, kind)


def report_path(run: dict[str, Any], var_dir: Path) -> Path | None:
    """The run's deletion report if it is a PDF file under ``var_dir`` (the setting OUTREACH_VAR_DIR) that exists;
    None otherwise (a report written elsewhere with --report, moved or deleted), so that no other file can ever be
    served."""
    if not run.get("report_file"):
        return None
    var_dir = var_dir.resolve()
    path = Path(run["report_file"]).resolve()
    if path.suffix.lower() != ".pdf" or not path.is_relative_to(var_dir) or not path.is_file():
        return None
    return path


def report_url(run_id: int) -> str:
    return f"{RETENTION}/{run_id}/report.pdf"


class RetentionController(Controller):
    """Contractor leads, city reviewers and admins (the readers of the audit log)."""

    path = "/retention"
    include_in_schema = False
    guards = [requires(*AUDIT_READERS)]

    @get("/", name="retention")
    async def overview(self, request: Request, settings: NamedDependency[Settings]) -> Template:
        runs = await retention.list_runs()
        for run in runs:
            run["report_available"] = report_path(run, settings.var_dir) is not None
        return page(
            request,
            "staff/retention/index.html",
            runs=runs,
            pending=await retention.pending(),
            days=settings.retention_days,
            kind_label=kind_label,
            count_label=retention.count_label,
            count_text=retention.count_text,
            report_url=report_url,
            end_of_contract=retention.END_OF_CONTRACT,
        )

    @get("/{run_id:int}/report.pdf", name="retention_report")
    async def report(self, run_id: FromPath[int], settings: NamedDependency[Settings]) -> Response:
        run = await retention.get_run(run_id)
        path = report_path(run, settings.var_dir)
        if path is None:
            raise NotFound(_("The deletion report of this run is not available on the server."))
        started = run["started_at"].astimezone(clock.JST).strftime("%Y%m%d-%H%M%S")
        return Response(
            content=path.read_bytes(),
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="deletion-report-{started}.pdf"',
                "Cache-Control": "no-store",
            },
        )
