"""Keeping the counter's offices (窓口の設定): an office's hours, whether it takes pickup reservations and the
waiting-lamp thresholds (混雑ランプ: amber and red minutes), each service's ticket letter, minutes per person, windows
and flags, and the designated days (a weekend opening with its hours, a closure). Contractor leads and admins; every
form posts with CSRF, shows its errors beside the fields with what was typed, and saves through ``counter.offices``
(which checks and audits)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core import clock
from core.errors import NotFound, ValidationFailed
from core.i18n import gettext as _
from core.roles import OFFICE_KEEPERS
from core.users import Actor
from counter import offices
from counter.offices import OfficeInfo, OfficeInput, ServiceInfo, ServiceInput
from portal.web import forms
from portal.web.flash import flash
from portal.web.guards import requires
from portal.web.templating import page

DAYS_AHEAD = 400  # the designated days listed: from today to a little over a year ahead
WHOLE_MINUTES = 24 * 60


def settings_path(office_id: int, anchor: str = "") -> str:
    return f"/staff/counter/offices/{office_id}/settings" + (f"#{anchor}" if anchor else "")


def office_form(office: OfficeInfo) -> dict[str, Any]:
    """An office's current values as its form shows them."""
    return {
        "code": office.code,
        "name": office.name,
        "name_en": office.name_en,
        "opens": office.opens.strftime("%H:%M"),
        "closes": office.closes.strftime("%H:%M"),
        "opens_weekdays": office.opens_weekdays,
        "pickup_enabled": office.pickup_enabled,
        "amber_minutes": str(office.amber_minutes),
        "red_minutes": str(office.red_minutes),
    }


def service_form(service: ServiceInfo) -> dict[str, Any]:
    minutes = service.minutes_per_person
    return {
        "letter": service.letter,
        "minutes_per_person": f"{minutes:g}",
        "windows": str(service.windows),
        "reservable": service.reservable,
        "active": service.active,
    }


def _minutes(form: dict[str, Any], name: str, errors: dict[str, str]) -> int:
    number = forms.optional_int(form, name, errors, _("Give a whole number of minutes, above 0."))
    if number is None:
        errors.setdefault(name, _("Give a whole number of minutes, above 0."))
        return 0
    if not 0 < number <= WHOLE_MINUTES:
        errors[name] = _("Give a whole number of minutes, above 0.")
    return number


def office_input(office: OfficeInfo, form: dict[str, Any]) -> OfficeInput:
    """The office form read into the domain's input; ValidationFailed for numbers that cannot be read."""
    errors: dict[str, str] = {}
    amber = _minutes(form, "amber_minutes", errors)
    red = _minutes(form, "red_minutes", errors)
    if not errors and amber >= red:
        errors["red_minutes"] = _("The red threshold must be above the amber one (both in minutes, above 0).")
    data = OfficeInput(
        code=office.code,
        name=forms.text(form, "name"),
        name_en=forms.text(form, "name_en"),
        opens=forms.text(form, "opens"),
        closes=forms.text(form, "closes"),
        opens_weekdays=forms.checkbox(form, "opens_weekdays"),
        pickup_enabled=forms.checkbox(form, "pickup_enabled"),
        amber_minutes=amber,
        red_minutes=red,
        active=office.active,
    )
    if errors:
        try:  # the other fields' errors shown at the same time
            offices.validate_office(OfficeInput(**{**data.__dict__, "amber_minutes": 20, "red_minutes": 60}))
        except ValidationFailed as exc:
            errors = {**exc.fields, **errors}
        raise ValidationFailed(_("Please correct the marked fields."), errors)
    return data


def service_input(service: ServiceInfo, form: dict[str, Any]) -> ServiceInput:
    errors: dict[str, str] = {}
    minutes = forms.required_float(
        form, "minutes_per_person", errors, _("Give the minutes per person, above 0 and at most 240.")
    )
    windows = forms.whole_number(form, "windows", 50)
    data = ServiceInput(
        kind=service.kind.value,
        letter=forms.text(form, "letter"),
        minutes_per_person=minutes if minutes is not None else 0.0,
        windows=windows if windows is not None else 0,
        reservable=forms.checkbox(form, "reservable"),
        active=forms.checkbox(form, "active"),
    )
    try:
        return offices.validate_service(data)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, {**exc.fields, **errors}) from exc


class CounterOfficeController(Controller):
    """The settings page of each office: contractor leads and admins (city reviewers and contractor staff refused)."""

    path = "/counter/offices"
    include_in_schema = False
    guards = [requires(*OFFICE_KEEPERS)]

    async def _page(
        self,
        request: Request,
        office: OfficeInfo,
        status_code: int = 200,
        errors: dict[str, str] | None = None,
        message: str = "",
        form: dict[str, Any] | None = None,
        service_id: int = 0,
        service_values: dict[str, Any] | None = None,
        day_values: dict[str, Any] | None = None,
    ) -> Template:
        services = offices.kinds_in_order(await offices.office_services(office.id, active_only=False))
        today = clock.today()
        days = await offices.office_days(office.id, today, today + dt.timedelta(days=DAYS_AHEAD))
        service_forms = {service.id: service_form(service) for service in services}
        if service_id and service_values is not None:
            service_forms[service_id] = service_values
        return page(
            request,
            "staff/counter/office_settings.html",
            status_code=status_code,
            office=office,
            form=form if form is not None else office_form(office),
            services=services,
            service_forms=service_forms,
            service_label=offices.service_label,
            days=days,
            day_form=day_values or {"kind": "open"},
            errors=errors or {},
            error_service=service_id,
            message=message,
            today=today,
        )

    @get("/{office_id:int}/settings", name="counter_office_settings")
    async def settings(self, request: Request, office_id: FromPath[int]) -> Template:
        return await self._page(request, await offices.get_office(office_id))

    @post("/{office_id:int}/settings", name="counter_office_save")
    async def save(
        self, request: Request, office_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        office = await offices.get_office(office_id)
        form = dict(await request.form())
        try:
            await offices.update_office(actor, office.id, office_input(office, form))
        except ValidationFailed as exc:
            shown = {**form, "opens_weekdays": forms.checkbox(form, "opens_weekdays")}
            shown["pickup_enabled"] = forms.checkbox(form, "pickup_enabled")
            return await self._page(request, office, 400, exc.fields, exc.message, form=shown)
        flash(request, "office.saved")
        return Redirect(path=settings_path(office.id), status_code=303)

    @post("/{office_id:int}/settings/services/{service_id:int}", name="counter_office_service_save")
    async def save_service(
        self, request: Request, office_id: FromPath[int], service_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        office = await offices.get_office(office_id)
        service = await offices.get_service(service_id)
        if service.office_id != office.id:
            raise NotFound(_("This service does not exist."))
        form = dict(await request.form())
        try:
            await offices.update_service(actor, service.id, service_input(service, form))
        except ValidationFailed as exc:
            typed = {
                "letter": forms.text(form, "letter"),
                "minutes_per_person": forms.text(form, "minutes_per_person"),
                "windows": forms.text(form, "windows"),
                "reservable": forms.checkbox(form, "reservable"),
                "active": forms.checkbox(form, "active"),
            }
            return await self._page(
                request, office, 400, exc.fields, exc.message, service_id=service.id, service_values=typed
            )
        flash(request, "office_service.saved")
        return Redirect(path=settings_path(office.id, f"service-{service.id}"), status_code=303)

    @post("/{office_id:int}/settings/days", name="counter_office_day_save")
    async def save_day(
        self, request: Request, office_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        office = await offices.get_office(office_id)
        form = dict(await request.form())
        errors: dict[str, str] = {}
        date = forms.optional_date(form, "date", errors, _("Give the date as YYYY-MM-DD."))
        kind = forms.text(form, "kind")
        if kind not in {"open", "closed"}:
            errors["kind"] = _("Choose whether the office opens or closes that day.")
        typed = {name: forms.text(form, name) for name in ("date", "kind", "opens", "closes", "note")}
        try:
            if errors or date is None:
                raise ValidationFailed(_("Please correct the marked fields."), errors)
            is_open = kind == "open"
            await offices.set_office_day(
                actor,
                office.id,
                date,
                is_open,
                typed["opens"] if is_open else "",
                typed["closes"] if is_open else "",
                typed["note"],
            )
        except ValidationFailed as exc:
            fields = {f"day_{name}": text for name, text in exc.fields.items()}
            return await self._page(request, office, 400, fields, exc.message, day_values=typed)
        flash(request, "office_day.saved")
        return Redirect(path=settings_path(office.id, "days"), status_code=303)

    @post("/{office_id:int}/settings/days/{date:str}/remove", name="counter_office_day_remove")
    async def remove_day(
        self, request: Request, office_id: FromPath[int], date: FromPath[str], actor: NamedDependency[Actor]
    ) -> Redirect:
        office = await offices.get_office(office_id)
        try:
            day = dt.date.fromisoformat(date)
        except ValueError as exc:
            raise NotFound(_("The page you asked for does not exist.")) from exc
        await offices.clear_office_day(actor, office.id, day)
        flash(request, "office_day.cleared")
        return Redirect(path=settings_path(office.id, "days"), status_code=303)
