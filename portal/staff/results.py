"""Back-office pages of the booth days (実施日): the list of days with booths and whether their results are in, one
day's booths with their bookings, check-ins, walk-ins and results forms, the day's in-office counts (窓口実績), and
the learned yields (実績からの学習) the planner's forecast uses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from booking import results as services
from core import clock
from core.errors import NotFound, ValidationFailed
from core.i18n import gettext as _
from core.roles import EDITORS
from core.settings import Settings
from core.users import Actor
from planner.yields import factor_table
from portal.web.guards import requires
from portal.web.templating import page

DAYS = "/staff/days"
"""Who enters results and counts: contractor staff, leads and admins; city reviewers read them."""


def day_path(date: dt.date, saved: str = "") -> str:
    path = f"{DAYS}/{date.isoformat()}"
    return f"{path}?saved={saved}#{saved}" if saved else path


def listed_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first day of the previous month to the last day of the current month."""
    first = today.replace(day=1)
    start = (first - dt.timedelta(days=1)).replace(day=1)
    end = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return start, end


def form_values(result: dict[str, Any] | None) -> dict[str, Any]:
    """A booth's stored results as the form's field values."""
    if not result:
        return {}
    values = {name: result[name] for name in (*services.RESULT_FIELDS, "notes")}
    for hour, count in (result.get("applications_by_hour") or {}).items():
        values[services.hour_field(int(hour))] = count
    return values


class DayController(Controller):
    """The booth days: everyone on staff reads them; contractor staff, leads and admins enter results."""

    path = "/days"
    include_in_schema = False

    async def _day(
        self,
        request: Request,
        date: dt.date,
        *,
        status_code: int = 200,
        failed: str = "",
        errors: dict[str, str] | None = None,
        message: str = "",
        submitted: dict | None = None,
        saved: str | None = None,
    ) -> Template:
        overview = await services.day_overview(date)
        values = {f"booth-{b.session_id}": form_values(b.result) for b in overview.booths}
        values["office"] = dict(overview.office or {})
        if failed and submitted is not None:
            values[failed] = submitted
        return page(
            request,
            "staff/days/day.html",
            status_code=status_code,
            day=overview,
            values=values,
            failed=failed,
            errors=errors or {},
            message=message,
            saved=saved or "",
            can_edit=request.state.actor.role in EDITORS,
            office_fields=services.OFFICE_FIELDS,
            hour_field=services.hour_field,
            today=clock.today(),
        )

    @get("/", name="booth_days")
    async def days(self, request: Request, date: FromQuery[str | None] = None) -> Template | Redirect:
        error = ""
        if date is not None:
            try:
                return Redirect(path=day_path(dt.date.fromisoformat(date.strip())), status_code=303)
            except ValueError:
                error = _("Enter a date such as 2027-05-03.")
        today = clock.today()
        start, end = listed_period(today)
        return page(
            request,
            "staff/days/list.html",
            status_code=422 if error else 200,
            days=await services.booth_days(start, end),
            start=start,
            end=end,
            today=today,
            error=error,
            asked=date or "",
        )

    @get("/{day:date}", name="booth_day")
    async def day(self, request: Request, day: FromPath[dt.date], saved: FromQuery[str | None] = None) -> Template:
        return await self._day(request, day, saved=saved)

    @post("/{day:date}/booths/{session_id:int}", guards=[requires(*EDITORS)])
    async def save_booth(
        self, request: Request, day: FromPath[dt.date], session_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        form = dict(await request.form())
        form.pop("_csrf_token", None)
        overview = await services.day_overview(day)
        if session_id not in {b.session_id for b in overview.booths}:
            raise NotFound(_("That booth was not found on this day."))
        try:
            await services.save_results(session_id, form, actor)
        except ValidationFailed as exc:
            return await self._day(
                request,
                day,
                status_code=422,
                failed=f"booth-{session_id}",
                errors=exc.fields,
                message=exc.message,
                submitted=form,
            )
        return Redirect(path=day_path(day, f"booth-{session_id}"), status_code=303)

    @post("/{day:date}/office", guards=[requires(*EDITORS)])
    async def save_office(
        self, request: Request, day: FromPath[dt.date], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        form = dict(await request.form())
        form.pop("_csrf_token", None)
        try:
            await services.save_office_counts(day, form, actor)
        except ValidationFailed as exc:
            return await self._day(
                request, day, status_code=422, failed="office", errors=exc.fields, message=exc.message, submitted=form
            )
        return Redirect(path=day_path(day, "office"), status_code=303)


class YieldController(Controller):
    """The learned yields: why the planner's forecast of expected applicants moved (everyone on staff reads it)."""

    path = "/yields"
    include_in_schema = False

    @get("/", name="learned_yields")
    async def table(self, request: Request, settings: NamedDependency[Settings]) -> Template:
        return page(
            request, "staff/days/yields.html", rows=await factor_table(), strength=settings.yield_prior_strength
        )
