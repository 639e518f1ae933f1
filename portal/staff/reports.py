"""Back-office pages of the reports: the index of months and days with booths, the 日次実績報告書 and the 月次実施報告書
as an HTML preview (tables, charts, the analysis staff edit and save) and as PDF and Excel downloads.

The contractor's staff, leads and admins edit the analysis; the city's reviewers read and download."""

from __future__ import annotations

import asyncio
from typing import Any

import babel.dates
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template
from markupsafe import Markup

from booking import report_analysis as analysis
from booking import report_charts, reports
from booking.placements import kind_label as placement_kind_label
from booking.report_analysis import day_type_text, per_hour, percent
from booking.report_pdf import daily_report_pdf, monthly_report_pdf
from booking.report_xlsx import daily_report_xlsx, monthly_report_xlsx
from core.errors import ValidationFailed
from core.i18n import babel_locale
from core.roles import ALL_STAFF, EDITORS
from core.users import Actor
from portal.web import forms
from portal.web.guards import requires
from portal.web.templating import page

REPORTS = "/staff/reports"
"""Who may read and download the reports: every staff role, the city's reviewers included."""
"""Who may edit and save the analysis: the contractor's staff and leads, and admins."""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def daily_path(day: Any, action: str = "") -> str:
    path = f"{REPORTS}/daily/{day}"
    return f"{path}/{action}" if action else path


def monthly_path(month: str, action: str = "") -> str:
    path = f"{REPORTS}/monthly/{month}"
    return f"{path}/{action}" if action else path


def month_title(month: str) -> str:
    """2027年6月 / June 2027."""
    first, _last = reports.parse_month(month)
    return babel.dates.format_skeleton("yMMMM", first, locale=babel_locale())


def _charts(charts: list[report_charts.Chart]) -> list[dict[str, Any]]:
    return [
        {"id": chart.id, "title": chart.title, "description": chart.description, "svg": Markup(chart.svg)}
        for chart in charts
    ]


async def _analysis_context(report: reports.DailyReport | reports.MonthlyReport, draft: str, redraft: bool) -> dict:
    """The textarea's text (the saved analysis unless staff asked for a redraft), when it was saved, whether the
    figures changed since (and which totals), and the fingerprint of the figures on the page (saved with the text)."""
    current = await analysis.current_analysis(report, draft)
    return {
        "analysis_text": draft if redraft else current.text,
        "note": current.note,
        "is_draft": redraft or current.note is None,
        "stale": current.stale,
        "unverified": current.unverified,
        "changes": [(analysis.summary_label(name), then, now) for name, then, now in current.changes],
        "figures_hash": analysis.fingerprint(report),
    }


def _download(content: bytes, filename: str, media_type: str) -> Response:
    return Response(
        content=content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


class ReportController(Controller):
    """The daily and monthly reports (日次実績報告書・月次実施報告書)."""

    path = "/reports"
    include_in_schema = False
    guards = [requires(*ALL_STAFF)]

    def _common(self, request: Request) -> dict[str, Any]:
        return {
            "can_edit": request.state.actor.role in EDITORS,
            "percent": percent,
            "per_hour": per_hour,
            "day_type_text": day_type_text,
            "placement_kind_label": placement_kind_label,
            "month_title": month_title,
            "minutes": analysis.minutes,
        }

    @get("/", name="report_index")
    async def index(self, request: Request) -> Template:
        return page(
            request, "staff/reports/index.html", months=await reports.months_and_days(), month_title=month_title
        )

    # --- daily ---------------------------------------------------------------------------------------------------

    async def _daily(
        self,
        request: Request,
        day: str,
        *,
        redraft: bool = False,
        errors: dict[str, str] | None = None,
        text: str | None = None,
        status_code: int = 200,
        saved: bool = False,
    ) -> Template:
        report = await reports.daily_report(reports.parse_day(day))
        context = await _analysis_context(report, analysis.draft_daily(report), redraft)
        if text is not None:
            context["analysis_text"] = text
        return page(
            request,
            "staff/reports/daily.html",
            status_code=status_code,
            report=report,
            charts=_charts(report_charts.daily_charts(report)),
            errors=errors or {},
            saved=saved,
            base_path=daily_path(report.date),
            **context,
            **self._common(request),
        )

    @get("/daily/{day:str}", name="report_daily")
    async def daily(
        self, request: Request, day: FromPath[str], redraft: FromQuery[bool] = False, saved: FromQuery[bool] = False
    ) -> Template:
        return await self._daily(request, day, redraft=redraft, saved=saved)

    @post("/daily/{day:str}/analysis", guards=[requires(*EDITORS)])
    async def save_daily(
        self, request: Request, day: FromPath[str], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        date = reports.parse_day(day)
        form = await request.form()
        text = forms.text(form, "analysis")
        try:
            report = await reports.daily_report(date)
            await analysis.save_report_analysis(actor, report, text, forms.text(form, "figures") or None)
        except ValidationFailed as exc:
            return await self._daily(request, day, errors=exc.fields, text=text, status_code=422)
        return Redirect(path=daily_path(date) + "?saved=true#analysis", status_code=303)

    @get("/daily/{day:str}/report.pdf", name="report_daily_pdf")
    async def daily_pdf(self, day: FromPath[str]) -> Response:
        report = await reports.daily_report(reports.parse_day(day))
        text = await analysis.analysis_for_export(report, analysis.draft_daily(report))
        content = await asyncio.to_thread(daily_report_pdf, report, text)
        return _download(content, f"daily-report-{report.date}.pdf", "application/pdf")

    @get("/daily/{day:str}/report.xlsx", name="report_daily_xlsx")
    async def daily_xlsx(self, day: FromPath[str]) -> Response:
        report = await reports.daily_report(reports.parse_day(day))
        text = await analysis.analysis_for_export(report, analysis.draft_daily(report))
        content = await asyncio.to_thread(daily_report_xlsx, report, text)
        return _download(content, f"daily-report-{report.date}.xlsx", XLSX)

    # --- monthly -------------------------------------------------------------------------------------------------

    async def _monthly(
        self,
        request: Request,
        month: str,
        *,
        redraft: bool = False,
        errors: dict[str, str] | None = None,
        text: str | None = None,
        status_code: int = 200,
        saved: bool = False,
    ) -> Template:
        report = await reports.monthly_report(month)
        context = await _analysis_context(report, analysis.draft_monthly(report), redraft)
        if text is not None:
            context["analysis_text"] = text
        return page(
            request,
            "staff/reports/monthly.html",
            status_code=status_code,
            report=report,
            charts=_charts(report_charts.monthly_charts(report)),
            errors=errors or {},
            saved=saved,
            base_path=monthly_path(report.month),
            **context,
            **self._common(request),
        )

    @get("/monthly/{month:str}", name="report_monthly")
    async def monthly(
        self, request: Request, month: FromPath[str], redraft: FromQuery[bool] = False, saved: FromQuery[bool] = False
    ) -> Template:
        return await self._monthly(request, month, redraft=redraft, saved=saved)

    @post("/monthly/{month:str}/analysis", guards=[requires(*EDITORS)])
    async def save_monthly(
        self, request: Request, month: FromPath[str], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        form = await request.form()
        text = forms.text(form, "analysis")
        try:
            report = await reports.monthly_report(month)
            await analysis.save_report_analysis(actor, report, text, forms.text(form, "figures") or None)
        except ValidationFailed as exc:
            return await self._monthly(request, month, errors=exc.fields, text=text, status_code=422)
        return Redirect(path=monthly_path(month) + "?saved=true#analysis", status_code=303)

    @get("/monthly/{month:str}/report.pdf", name="report_monthly_pdf")
    async def monthly_pdf(self, month: FromPath[str]) -> Response:
        report = await reports.monthly_report(month)
        text = await analysis.analysis_for_export(report, analysis.draft_monthly(report))
        content = await asyncio.to_thread(monthly_report_pdf, report, text)
        return _download(content, f"monthly-report-{report.month}.pdf", "application/pdf")

    @get("/monthly/{month:str}/report.xlsx", name="report_monthly_xlsx")
    async def monthly_xlsx(self, month: FromPath[str]) -> Response:
        report = await reports.monthly_report(month)
        text = await analysis.analysis_for_export(report, analysis.draft_monthly(report))
        content = await asyncio.to_thread(monthly_report_xlsx, report, text)
        return _download(content, f"monthly-report-{report.month}.xlsx", XLSX)
