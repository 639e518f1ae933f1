"""Back-office pages of the 実施計画: create a plan, watch the solver, read it as a calendar, a table and a map,
edit sessions, re-plan, and download the 実施計画書 (Excel, PDF) and plan.json."""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from booking.booths import slot_counts
from core import clock
from core.calendar import DayType, day_type, fiscal_year, fiscal_year_period, is_year_end_closure, national_holiday_name
from core.errors import DomainError, ValidationFailed
from core.i18n import gettext as _
from core.roles import CONTRACTORS, EDITORS, REVIEWERS
from core.settings import Settings
from core.users import Actor
from planner import services, workflow
from planner.document import PlanDocument
from planner.model import PARAMETER_DEFAULTS, Parameters
from planner.month_overrides import parse_month_overrides
from planner.schemas import PlanVersionDetail, SessionDetail
from planner.tables import SessionState, SolveState, VersionState
from portal.documents.maps import Tiles
from portal.documents.plan_maps import COVERAGE_COLOURS, COVERAGE_LEGEND, month_colour, plan_map_html
from portal.web import forms
from portal.web.confirm import confirmation, confirmed
from portal.web.downloads import content_disposition
from portal.web.flash import flash
from portal.web.guards import requires
from portal.web.security import map_frame_policy
from portal.web.templating import format_day, page

FLASHES = {
    "lock": "session.locked",
    "unlock": "session.unlocked",
    "move": "session.moved",
    "venue": "session.venue_swapped",
    "remove": "session.removed",
}
WEEK_START = calendar.SUNDAY  # Japanese wall calendars start on Sunday
FORM_PARAMETERS = ("weekday_per_month", "holiday_per_month", "teams", "min_gap_days", "time_limit_seconds")


def parameters_from_form(form: Any) -> tuple[str, Parameters]:
    """The title and parameters of the new-plan form; every field's error at once raises ValidationFailed."""
    errors: dict[str, str] = {}
    start = forms.optional_date(form, "start", errors, _("Enter a date such as 2027-04-01."))
    end = forms.optional_date(form, "end", errors, _("Enter a date such as 2028-03-31."))
    numbers: dict[str, int | None] = {}
    for name in FORM_PARAMETERS:
        value = forms.optional_int(form, name, errors, _("Enter a whole number."))
        numbers[name] = PARAMETER_DEFAULTS[name] if value is None and name not in errors else value
    overrides: dict[str, dict[str, int]] = {}
    try:
        overrides = parse_month_overrides(forms.text(form, "month_overrides").splitlines())
    except ValidationFailed as exc:
        errors.update(exc.fields)
    title = forms.text(form, "title")
    # the rules of the values that could be read, beside the errors of those that could not: all at once
    errors = {**services.parameter_errors(start, end, numbers, title), **errors}
    if errors or start is None or end is None:
        order = ("title", "start", "end", *FORM_PARAMETERS, "month_overrides")
        ordered = dict(sorted(errors.items(), key=lambda item: order.index(item[0]) if item[0] in order else 99))
        raise ValidationFailed(_("Please correct the highlighted fields."), ordered)
    parameters = Parameters(
        start=start,
        end=end,
        month_overrides=overrides,
        **{name: int(numbers[name] or 0) for name in FORM_PARAMETERS if name != "time_limit_seconds"},
        time_limit_seconds=float(numbers["time_limit_seconds"] or 0),
    )
    return title, parameters


def month_grids(version: PlanVersionDetail, sessions: list[SessionDetail]) -> list[dict[str, Any]]:
    """Month calendars (weeks of days) with the sessions on their dates."""
    parameters = services.parameters_from_row(version)
    by_date: dict[dt.date, list[SessionDetail]] = defaultdict(list)
    for session in sessions:
        by_date[session.date].append(session)
    grids = []
    year, month = parameters.start.year, parameters.start.month
    cal = calendar.Calendar(firstweekday=WEEK_START)
    while (year, month) <= (parameters.end.year, parameters.end.month):
        weeks = []
        for week in cal.monthdatescalendar(year, month):
            weeks.append(
                [
                    {
                        "date": day,
                        "in_month": day.month == month,
                        "in_period": parameters.start <= day <= parameters.end,
                        "holiday": day_type(day) == DayType.holiday,
                        "holiday_name": national_holiday_name(day),
                        "closed": is_year_end_closure(day),
                        "sessions": by_date.get(day, []),
                    }
                    for day in week
                ]
            )
        grids.append({"year": year, "month": month, "weeks": weeks})
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return grids


def download_name(document: PlanDocument, version: PlanVersionDetail, extension: str, *, inline: bool = False) -> str:
    """The Content-Disposition of the 実施計画書's files: 実施計画-2027年度-第2版-承認済み.pdf."""
    start, end = (dt.date.fromisoformat(version.parameters[key]) for key in ("start", "end"))
    return content_disposition(
        document.file_name(start, end, extension), document.ascii_file_name(start, end, extension), inline=inline
    )


async def plan_context(plan_id: int) -> dict[str, Any]:
    plan = await services.get_plan(plan_id)
    version = await services.latest_version(plan_id)
    sessions = await services.sessions_of(version.id)
    return {
        "plan": plan,
        "version": version,
        "sessions": sessions,
        "slots": await slot_counts([s.id for s in sessions if s.state == SessionState.published]),
        "summary": services.month_summary(version, sessions),
        "grids": month_grids(version, sessions),
        "solving": version.solving,
    }


async def plan_page_context(plan_id: int, actor: Actor, **extra: Any) -> dict[str, Any]:
    """The plan page: the latest version, its review state and, for a reviewer, what changed since the
    version they last saw (which becomes this one)."""
    context = await plan_context(plan_id)
    version = context["version"]
    is_reviewer = actor.role in REVIEWERS
    changes, seen = [], None
    if is_reviewer and version.state == VersionState.submitted:
        # What changed since the version this reviewer last saw, or else since the approved plan (a change).
        seen = await workflow.last_seen(actor, plan_id) or await workflow.last_approved(plan_id, version.id)
        if seen and seen != version.id:
            changes = await workflow.differences(seen, version.id)
        await workflow.mark_seen(actor, plan_id, version.id)
    previous = None
    if version.based_on:
        previous = await services.get_version(version.based_on)
    draft = version.state == VersionState.draft
    return {
        **context,
        "venues": await services.candidate_venues(services.parameters_from_row(version)),
        "can_edit": actor.role in EDITORS and draft,
        "can_submit": actor.role in CONTRACTORS and draft and version.solve_state == SolveState.done,
        "can_decide": is_reviewer and version.state == VersionState.submitted,
        "can_change": actor.role in CONTRACTORS and version.state == VersionState.approved,
        "changes": changes,
        "past_booths": (
            await workflow.booths_in_the_past(version.id)
            if version.state in (VersionState.draft, VersionState.submitted)
            else []
        ),
        "seen_version": seen,
        "previous": previous,
        "history": await workflow.history(plan_id),
        "max_reach_loss_percent": f"{services.MAX_REACH_LOSS_PERCENT:g}",
        **extra,
    }


class PlanController(Controller):
    """Plans: every staff role may read them; contractor staff, leads and admins create and edit drafts."""

    path = "/plans"
    include_in_schema = False

    @get("/", name="plan_list")
    async def list(self, request: Request) -> Template:
        plans = await services.list_plans()
        versions = {plan.id: await services.latest_version(plan.id) for plan in plans}
        return page(
            request,
            "staff/plans/list.html",
            plans=plans,
            versions=versions,
            can_edit=request.state.actor.role in EDITORS,
        )

    @get("/new", name="plan_new", guards=[requires(*EDITORS)])
    async def new_form(self, request: Request) -> Template:
        start, end = fiscal_year_period(fiscal_year(clock.today()) + 1)  # the next fiscal year
        form = {
            "title": _("Implementation plan FY{year}").format(year=start.year),
            "start": start.isoformat(),
            "end": end.isoformat(),
            **{name: f"{PARAMETER_DEFAULTS[name]:g}" for name in FORM_PARAMETERS},
            "month_overrides": "",
        }
        return page(request, "staff/plans/new.html", form=form, errors={})

    @post("/new", guards=[requires(*EDITORS)])
    async def create(self, request: Request, actor: NamedDependency[Actor]) -> Template | Redirect:
        form = await request.form()
        try:
            title, parameters = parameters_from_form(form)
            version_id = await services.create_plan(actor, title, parameters)
        except ValidationFailed as exc:
            return page(
                request,
                "staff/plans/new.html",
                status_code=422,
                form=dict(form),
                errors=exc.fields,
                message=exc.message,
            )
        version = await services.get_version(version_id)
        flash(request, "plan.created")
        return Redirect(path=f"/staff/plans/{version.plan}", status_code=303)

    @get("/{plan_id:int}", name="plan_detail")
    async def detail(self, request: Request, plan_id: FromPath[int], actor: NamedDependency[Actor]) -> Template:
        return page(request, "staff/plans/detail.html", **await plan_page_context(plan_id, actor))

    @get("/{plan_id:int}/progress.json")
    async def progress(self, plan_id: FromPath[int]) -> Response:
        version = await services.latest_version(plan_id)
        return Response(
            content={
                "solve_state": version.solve_state.value,
                "progress": dict(version.progress),
                "status": version.status,
                "objective": version.objective,
                "bound": version.bound,
                "error": version.error,
            }
        )

    @get("/{plan_id:int}/map", name="plan_map")
    async def map_page(self, request: Request, plan_id: FromPath[int]) -> Template:
        context = await plan_context(plan_id)
        months = sorted({(s.date.year, s.date.month) for s in context["sessions"]})
        return page(
            request,
            "staff/plans/map.html",
            **context,
            month_legend=[(f"{y}-{m:02d}", month_colour(m)) for y, m in months],
            coverage_legend=list(zip(COVERAGE_LEGEND, COVERAGE_COLOURS, strict=True)),
        )

    @get("/{plan_id:int}/map.html")
    async def map_frame(self, plan_id: FromPath[int], settings: NamedDependency[Settings]) -> Response:
        version = await services.latest_version(plan_id)
        return Response(
            content=await plan_map_html(version, Tiles.of(settings)),
            media_type="text/html; charset=utf-8",
            headers=map_frame_policy(settings),
        )

    @get("/{plan_id:int}/plan.json")
    async def plan_json(self, plan_id: FromPath[int]) -> Response:
        version = await services.latest_version(plan_id)
        result = await services.result_of(version)
        document = await workflow.plan_document(plan_id, version)
        return Response(
            content=json.dumps(result.as_json(), ensure_ascii=False, indent=2).encode(),
            media_type="application/json",
            headers={"Content-Disposition": download_name(document, version, "json")},
        )

    @get("/{plan_id:int}/plan.xlsx")
    async def plan_xlsx(self, plan_id: FromPath[int]) -> Response:
        from planner.report_xlsx import write_plan_xlsx

        version = await services.latest_version(plan_id)
        document = await workflow.plan_document(plan_id, version)
        content = await asyncio.to_thread(
            write_plan_xlsx,
            await services.result_of(version),
            background=await services.demand_points(),
            document=document,
        )
        return Response(
            content=content,
            headers={"Content-Disposition": download_name(document, version, "xlsx")},
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    @get("/{plan_id:int}/plan.pdf")
    async def plan_pdf(self, plan_id: FromPath[int]) -> Response:
        from planner.report_pdf import write_plan_pdf

        version = await services.latest_version(plan_id)
        document = await workflow.plan_document(plan_id, version)
        content = await asyncio.to_thread(
            write_plan_pdf,
            await services.result_of(version),  # seconds of work
            background=await services.demand_points(),
            document=document,
        )
        return Response(
            content=content,
            media_type="application/pdf",
            headers={"Content-Disposition": download_name(document, version, "pdf", inline=True)},
        )

    @post("/{plan_id:int}/replan", guards=[requires(*EDITORS)])
    async def replan(
        self, request: Request, plan_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        form = await request.form()
        errors: dict[str, str] = {}
        message = _("Enter a percentage from 0 to {most:g}.").format(most=services.MAX_REACH_LOSS_PERCENT)
        loss = (
            forms.required_float(form, "max_reach_loss", errors, message) if forms.text(form, "max_reach_loss") else 0.0
        )
        try:
            if loss is None:
                raise ValidationFailed(message, errors)
            services.check_reach_loss(loss)  # before the confirmation: what it would carry on must be valid
            version = await services.latest_version(plan_id)
            if not confirmed(form):
                locked = sum(1 for s in await services.sessions_of(version.id) if s.locked)
                return confirmation(
                    request,
                    title=_("Re-plan version {n}?").format(n=version.number),
                    consequences=[
                        _(
                            "The planner keeps the {locked} locked session(s) and plans the others again, keeping "
                            "as many of this version's sessions as the best reach allows; the others may move to "
                            "other dates and venues."
                        ).format(locked=locked),
                    ],
                    action=f"/staff/plans/{plan_id}/replan",
                    confirm_label=_("Re-plan"),
                    back=f"/staff/plans/{plan_id}",
                    form=form,
                )
            await services.request_replan(actor, version.id, loss)
        except ValidationFailed as exc:
            return page(
                request,
                "staff/plans/detail.html",
                status_code=422,
                **await plan_page_context(plan_id, actor, replan_error=exc.message, replan_form=dict(form)),
            )
        flash(request, "plan.replan_requested")
        return Redirect(path=f"/staff/plans/{plan_id}", status_code=303)

    @post("/{plan_id:int}/sessions", guards=[requires(*EDITORS)])
    async def add(self, request: Request, plan_id: FromPath[int], actor: NamedDependency[Actor]) -> Template | Redirect:
        form = await request.form()
        errors: dict[str, str] = {}
        date = forms.optional_date(form, "date", errors, _("Enter a date such as 2027-05-03."))
        try:
            if date is None:
                raise ValidationFailed(errors["date"], errors)
            version = await services.latest_version(plan_id)
            await services.add_session(actor, version.id, forms.text(form, "venue_id"), date)
        except DomainError as exc:
            return page(
                request,
                "staff/plans/detail.html",
                status_code=422,
                **await plan_page_context(plan_id, actor, add_error=exc.message, add_form=dict(form)),
            )
        flash(request, "session.added")
        return Redirect(path=f"/staff/plans/{plan_id}#sessions", status_code=303)


class SessionController(Controller):
    """One session of a draft plan: lock, move, swap the venue, remove."""

    path = "/sessions"
    include_in_schema = False
    guards = [requires(*EDITORS)]

    async def _render(self, request: Request, session_id: int, status_code: int = 200, **context: Any) -> Template:
        session = await services.session_detail(session_id)
        version = await services.get_version(session.version)
        return page(
            request,
            "staff/plans/session.html",
            status_code=status_code,
            session=session,
            version=version,
            venues=await services.candidate_venues(services.parameters_from_row(version)),
            **context,
        )

    @get("/{session_id:int}", name="session_edit")
    async def edit(self, request: Request, session_id: FromPath[int]) -> Template:
        return await self._render(request, session_id)

    async def _edit(
        self, request: Request, session_id: int, action: str, change: Callable[[Any], Awaitable[object]]
    ) -> Template | Redirect:
        """Apply one edit to a draft's session; a refused edit shows the session page with the reason."""
        form = await request.form()
        session = await services.session_detail(session_id)
        try:
            await change(form)
        except DomainError as exc:
            return await self._render(
                request,
                session_id,
                422 if isinstance(exc, ValidationFailed) else 409,
                error=exc.message,
                action=action,
                form=dict(form),
            )
        anchor = "" if action == "remove" else f"#session-{session_id}"
        flash(request, FLASHES[action])
        return Redirect(path=f"/staff/plans/{session.plan}{anchor}", status_code=303)

    @post("/{session_id:int}/lock")
    async def lock(
        self, request: Request, session_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        return await self._edit(request, session_id, "lock", lambda form: services.set_locked(actor, session_id, True))

    @post("/{session_id:int}/unlock")
    async def unlock(
        self, request: Request, session_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        return await self._edit(
            request, session_id, "unlock", lambda form: services.set_locked(actor, session_id, False)
        )

    @post("/{session_id:int}/move")
    async def move(
        self, request: Request, session_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        async def move_to_date(form: Any) -> None:
            errors: dict[str, str] = {}
            date = forms.optional_date(form, "date", errors, _("Enter a date such as 2027-05-03."))
            if date is None:
                raise ValidationFailed(errors["date"], errors)
            await services.move_session(actor, session_id, date)

        return await self._edit(request, session_id, "move", move_to_date)

    @post("/{session_id:int}/venue")
    async def venue(
        self, request: Request, session_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        return await self._edit(
            request,
            session_id,
            "venue",
            lambda form: services.swap_venue(actor, session_id, forms.text(form, "venue_id")),
        )

    @post("/{session_id:int}/remove")
    async def remove(
        self, request: Request, session_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        if not confirmed(await request.form()):
            session = await services.session_detail(session_id)
            return confirmation(
                request,
                title=_("Remove this session?"),
                consequences=[
                    _("{venue} on {date} is taken out of the draft.").format(
                        venue=session.venue_name, date=format_day(session.date)
                    ),
                    _("To hold a session there again, add it anew."),
                ],
                action=f"/staff/sessions/{session_id}/remove",
                confirm_label=_("Remove this session"),
                back=f"/staff/sessions/{session_id}",
            )
        return await self._edit(request, session_id, "remove", lambda form: services.remove_session(actor, session_id))
