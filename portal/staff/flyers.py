"""Flyers for staff (チラシ): each month's booths with their flyers, and the month's whole set as one ZIP made in the
background with its progress shown."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import File, Redirect, Response, Template

from booking.booths import upcoming_booths
from core.errors import NotFound
from core.i18n import gettext as _
from core.roles import EDITORS
from portal.documents import flyer_jobs
from portal.documents.flyers import by_month, month_label
from portal.web.guards import requires
from portal.web.templating import page


def job_status(job: flyer_jobs.FlyerJob) -> dict[str, Any]:
    """A job's progress as the staff page's script reads it."""
    return {
        "id": job.id,
        "month": job.month,
        "state": job.state,
        "done": job.done,
        "total": job.total,
        "download_url": f"/staff/flyers/jobs/{job.id}/download" if job.state == "done" else None,
    }


class FlyerController(Controller):
    """Flyers for staff: each month's booths with their flyers, and the month's whole set as one ZIP."""

    path = "/flyers"
    include_in_schema = False
    guards = [requires(*EDITORS)]

    @get("/", name="flyer_list")
    async def list(self, request: Request) -> Template:
        months = [
            {"month": month, "label": month_label(month), "booths": booths}
            for month, booths in by_month(await upcoming_booths()).items()
        ]
        return page(request, "staff/flyers/list.html", months=months)

    @post("/{month:str}/zip", name="flyer_zip")
    async def start_zip(self, month: FromPath[str]) -> Redirect:
        booths = by_month(await upcoming_booths()).get(month)
        if not booths:
            raise NotFound(_("There is no published booth in this month."))
        job_id = await flyer_jobs.start_month_zip(month, len(booths))
        return Redirect(path=f"/staff/flyers/jobs/{job_id}", status_code=303)

    @get("/jobs/{job_id:int}", name="flyer_job")
    async def job_page(self, request: Request, job_id: FromPath[int]) -> Template:
        job = await flyer_jobs.read_job(job_id)
        return page(request, "staff/flyers/job.html", job=job, status=job_status(job), label=month_label(job.month))

    @get("/jobs/{job_id:int}/status.json")
    async def status(self, job_id: FromPath[int]) -> Response:
        return Response(content=job_status(await flyer_jobs.read_job(job_id)), headers={"Cache-Control": "no-store"})

    @get("/jobs/{job_id:int}/download")
    async def download(self, job_id: FromPath[int]) -> File:
        job = await flyer_jobs.read_job(job_id)
        if job.state != "done":
            raise NotFound(_("These flyers are not ready."))
        return File(
            path=flyer_jobs.zip_path(job.id),
            filename=job.file_name,
            media_type="application/zip",
            content_disposition_type="attachment",
        )
