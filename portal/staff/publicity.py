"""Back-office pages of publicity (広報): placements with their QR targets and flyer links, and the publicity
results (bookings per placement and per booth × placement) with a chart and CSV downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from booking import placements as services
from booking.placements import DIRECT, PLACEMENT_KINDS, PlacementInput, PlacementReport, PlacementResult
from core import clock
from core.audit import list_events
from core.errors import ValidationFailed
from core.i18n import gettext as _
from core.roles import ALL_STAFF, EDITORS
from core.settings import Settings
from core.spreadsheet import escape_formula
from core.users import Actor
from portal.documents.qr import qr_svg
from portal.web import forms
from portal.web.guards import requires
from portal.web.templating import page
from venues.schemas import VenueFilter
from venues.services import list_venues

PLACEMENTS = "/staff/placements"
RESULTS = "/staff/publicity"
"""Who may read the publicity results: the contractor's staff and the city's reviewers."""


def placement_path(placement_id: int, action: str = "") -> str:
    path = f"{PLACEMENTS}/{placement_id}"
    return f"{path}/{action}" if action else path


def input_from_form(form: Any) -> PlacementInput:
    """A PlacementInput from the form; an unreadable venue choice becomes a field error."""
    venue = forms.whole_number(form, "venue")
    if forms.text(form, "venue") and venue is None:
        raise ValidationFailed(
            _("Please correct the highlighted fields."), {"venue": _("Choose a venue from the list.")}
        )
    return PlacementInput(
        name=forms.text(form, "name"),
        kind=forms.text(form, "kind"),
        code=forms.text(form, "code"),
        venue=venue,
        notes=forms.text(form, "notes"),
    )


async def venue_choices(current: int | None = None) -> list[dict[str, Any]]:
    """The venues a placement may hang at: the active ones, and the current one even if it was deactivated."""
    venues = await list_venues(VenueFilter(active=None))
    return sorted((v for v in venues if v["active"] or v["id"] == current), key=lambda v: v["name"])


def result_label(row: PlacementResult) -> str:
    """How a results row is named: the placement's name, the bare code, or "direct"."""
    if row.is_direct:
        return _("Direct (no placement code)")
    return row.name or row.code


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(clock.JST).strftime("%Y-%m-%d %H:%M") if value else ""


def _csv(rows: list[list[Any]], encoding: str) -> bytes:
    """CSV for Excel: formula-like text escaped (core.spreadsheet), UTF-8 with BOM or CP932."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([cell if isinstance(cell, int) else escape_formula(str(cell)) for cell in row])
    if encoding == "cp932":
        return buffer.getvalue().encode("cp932", errors="replace")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def placements_csv(report: PlacementReport, encoding: str = "utf-8-sig") -> bytes:
    """The per-placement table as CSV."""
    rows: list[list[Any]] = [
        [
            _("Code"),
            _("Placement"),
            _("Kind"),
            _("Bookings"),
            _("People"),
            _("Cancelled"),
            _("No-shows"),
            _("First booking"),
            _("Last booking"),
        ]
    ]
    for row in report.placements:
        rows.append(
            [
                row.code,
                result_label(row),
                services.kind_label(row.kind) if row.kind else "",
                row.bookings,
                row.people,
                row.cancelled,
                row.no_show,
                _when(row.first_booking),
                _when(row.last_booking),
            ]
        )
    return _csv(rows, encoding)


def booths_csv(report: PlacementReport, encoding: str = "utf-8-sig") -> bytes:
    """The per-booth × placement table as CSV (active bookings)."""
    labels = {row.code: result_label(row) for row in report.placements}
    rows: list[list[Any]] = [
        [_("Date"), _("Start"), _("Venue"), *(labels[code] for code in report.columns), _("Total")]
    ]
    for booth in report.booths:
        rows.append(
            [
                booth.date.isoformat(),
                booth.start.strftime("%H:%M"),
                booth.venue_name,
                *(booth.counts.get(code, 0) for code in report.columns),
                booth.total,
            ]
        )
    return _csv(rows, encoding)


def read_period(date_from: str | None, date_to: str | None) -> tuple[dt.date | None, dt.date | None, dict[str, str]]:
    """The results page's dates; unreadable ones become field errors (and are left out)."""
    errors: dict[str, str] = {}
    values: list[dt.date | None] = []
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        try:
            values.append(dt.date.fromisoformat(value.strip()) if value and value.strip() else None)
        except ValueError:
            errors[name] = _("Enter a date such as 2027-05-03.")
            values.append(None)
    start, end = values
    if start and end and end < start:
        errors["date_to"] = _("The end date must not be before the start date.")
        end = None
    return start, end, errors


def _csv_response(content: bytes, filename: str, encoding: str) -> Response:
    charset = "shift_jis" if encoding == "cp932" else "utf-8"
    return Response(
        content=content,
        media_type=f"text/csv; charset={charset}",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _encoding(value: str | None) -> str:
    return "cp932" if (value or "").lower() in {"cp932", "shift_jis", "sjis"} else "utf-8-sig"


class PlacementController(Controller):
    """The register of placements: contractor staff, leads and admins."""

    path = "/placements"
    include_in_schema = False
    guards = [requires(*EDITORS)]

    async def _form(
        self,
        request: Request,
        placement: dict | None,
        values: dict[str, Any],
        errors: dict[str, str] | None = None,
        message: str = "",
        status_code: int = 200,
    ) -> Template:
        return page(
            request,
            "staff/placements/edit.html",
            status_code=status_code,
            placement=placement,
            form=values,
            errors=errors or {},
            message=message,
            kinds=PLACEMENT_KINDS,
            venues=await venue_choices(placement["venue"] if placement else None),
        )

    @get("/", name="placement_list")
    async def list(self, request: Request) -> Template:
        return page(
            request,
            "staff/placements/list.html",
            placements=await services.list_placements(),
            kind_label=services.kind_label,
        )

    @get("/new", name="placement_new")
    async def new_form(self, request: Request) -> Template:
        return await self._form(request, None, {"kind": "poster"})

    @post("/new")
    async def create(self, request: Request, actor: NamedDependency[Actor]) -> Template | Redirect:
        form = await request.form()
        try:
            created = await services.create_placement(actor, input_from_form(form))
        except ValidationFailed as exc:
            return await self._form(request, None, dict(form), exc.fields, exc.message, 422)
        return Redirect(path=placement_path(created["id"]), status_code=303)

    @get("/{placement_id:int}", name="placement_detail")
    async def detail(
        self, request: Request, placement_id: FromPath[int], settings: NamedDependency[Settings]
    ) -> Template:
        placement = await services.get_placement(placement_id)
        base = settings.base_url
        booths = await request.app.state.booths.booths()
        months = sorted({booth.date.strftime("%Y-%m") for booth in booths})
        home_url = services.placement_url(base, placement["code"])
        return page(
            request,
            "staff/placements/detail.html",
            placement=placement,
            home_url=home_url,
            home_qr=qr_svg(home_url),
            booths=booths,
            months=months,
            placement_url=services.placement_url,
            base_url=base,
            kind_label=services.kind_label,
            history=await list_events(object_type="placement", object_id=str(placement_id), limit=50),
        )

    @get("/{placement_id:int}/edit", name="placement_edit")
    async def edit_form(self, request: Request, placement_id: FromPath[int]) -> Template:
        placement = await services.get_placement(placement_id)
        return await self._form(request, placement, {**placement, "venue": placement["venue"] or ""})

    @post("/{placement_id:int}/edit")
    async def edit(
        self, request: Request, placement_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        form = await request.form()
        try:
            await services.update_placement(actor, placement_id, input_from_form(form))
        except ValidationFailed as exc:
            placement = await services.get_placement(placement_id)
            return await self._form(request, placement, {**placement, **dict(form)}, exc.fields, exc.message, 422)
        return Redirect(path=placement_path(placement_id), status_code=303)

    @post("/{placement_id:int}/deactivate")
    async def deactivate(self, placement_id: FromPath[int], actor: NamedDependency[Actor]) -> Redirect:
        await services.set_active(actor, placement_id, False)
        return Redirect(path=placement_path(placement_id), status_code=303)

    @post("/{placement_id:int}/activate")
    async def activate(self, placement_id: FromPath[int], actor: NamedDependency[Actor]) -> Redirect:
        await services.set_active(actor, placement_id, True)
        return Redirect(path=placement_path(placement_id), status_code=303)


class PublicityResultsController(Controller):
    """Publicity results (広報効果): the contractor's staff and the city's reviewers read them."""

    path = "/publicity"
    include_in_schema = False
    guards = [requires(*ALL_STAFF)]

    @get("/", name="publicity_results")
    async def results(
        self,
        request: Request,
        date_from: FromQuery[str | None] = None,
        date_to: FromQuery[str | None] = None,
        basis: FromQuery[str | None] = None,
    ) -> Template:
        start, end, errors = read_period(date_from, date_to)
        report = await services.placement_report(start, end, basis or "booked")
        labels = {row.code: result_label(row) for row in report.placements}
        query = request.url.query or ""
        return page(
            request,
            "staff/placements/results.html",
            status_code=422 if errors else 200,
            report=report,
            labels=labels,
            errors=errors,
            values={"date_from": date_from or "", "date_to": date_to or ""},
            query_string=query,
            kind_label=services.kind_label,
            direct=DIRECT,
            can_edit=request.state.actor.role in EDITORS,
        )

    @get("/placements.csv", name="publicity_results_csv")
    async def placements_export(
        self,
        date_from: FromQuery[str | None] = None,
        date_to: FromQuery[str | None] = None,
        basis: FromQuery[str | None] = None,
        encoding: FromQuery[str | None] = None,
    ) -> Response:
        start, end, _errors = read_period(date_from, date_to)
        report = await services.placement_report(start, end, basis or "booked")
        return _csv_response(
            placements_csv(report, _encoding(encoding)), "publicity-placements.csv", _encoding(encoding)
        )

    @get("/booths.csv", name="publicity_booths_csv")
    async def booths_export(
        self,
        date_from: FromQuery[str | None] = None,
        date_to: FromQuery[str | None] = None,
        basis: FromQuery[str | None] = None,
        encoding: FromQuery[str | None] = None,
    ) -> Response:
        start, end, _errors = read_period(date_from, date_to)
        report = await services.placement_report(start, end, basis or "booked")
        return _csv_response(booths_csv(report, _encoding(encoding)), "publicity-booths.csv", _encoding(encoding))
