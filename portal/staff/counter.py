"""The City Hall counter in the back office (窓口): reception's tablet, which issues queue tickets (整理券) with one big
button per service and shows the ticket with its QR code to print or show, and each window's page, which calls the
next ticket (呼出), recalls it (再呼出), marks it served (完了) or absent (不在), or moves it to another service (移動).
Contractor staff and above; every form posts with CSRF, and a ticket form carries a one-time key so that a double
tap issues one ticket."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core.errors import DomainError, NotFound
from core.i18n import gettext as _
from core.i18n import using_locale
from core.roles import EDITORS, OFFICE_KEEPERS
from core.users import Actor
from counter import offices, tickets
from counter.offices import OfficeInfo
from counter.pickup_check_in import check_in_pickup
from counter.pickup_notices import held_until
from counter.pickup_waitlist import office_waitlist, staff_accept, staff_decline
from counter.tables import ServiceKind
from counter.tickets import NoticeRequest, TicketView
from portal.documents.qr import qr_svg
from portal.staff.checkin import status_of
from portal.web import forms
from portal.web.app_settings import settings_of
from portal.web.guards import requires
from portal.web.templating import page

COUNTER = "/staff/counter"
WINDOW_REFRESH_SECONDS = 20
KINDS = {kind.value for kind in ServiceKind}


def window_path(office_id: int, window: int, query: str = "") -> str:
    return f"{COUNTER}/{office_id}/windows/{window}" + (f"?{query}" if query else "")


def _kinds(values: list[str]) -> list[str]:
    """The service kinds a window serves, as given in its form or its address (unknown ones dropped)."""
    return [value for value in values if value in KINDS]


def done_message(done: str, ticket: TicketView | None) -> str:
    """The confirmation after a window's action."""
    if done == "nobody":
        return _("Nobody is waiting.")
    if ticket is None:
        return ""
    labels = {
        "called": _("{label} called."),
        "recalled": _("{label} called again."),
        "served": _("{label} served."),
        "absent": _("{label} marked absent."),
        "cancelled": _("{label} cancelled."),
        "transferred": _("Moved to {label}."),
    }
    return labels[done].format(label=ticket.label) if done in labels else ""


async def _office(office_id: int) -> OfficeInfo:
    office = await offices.get_office(office_id)
    if not office.active:
        raise NotFound(_("There is no office {office}.").format(office=office_id))
    return office


class CounterController(Controller):
    """Reception and the windows: contractor staff, leads and admins."""

    path = "/counter"
    include_in_schema = False
    guards = [requires(*EDITORS)]

    @get("/", name="counter_offices")
    async def list(self, request: Request, actor: NamedDependency[Actor]) -> Template:
        found = await offices.list_offices()
        services = {office.id: await offices.office_services(office.id) for office in found}
        # the windows staffed when every service has its own (services may share windows; at least one)
        windows = {office.id: max(1, sum(s.windows for s in services[office.id])) for office in found}
        return page(
            request,
            "staff/counter/offices.html",
            offices=found,
            services=services,
            windows=windows,
            keeps_offices=actor.role in OFFICE_KEEPERS,  # the settings pages: leads and admins
        )

    # --- reception -----------------------------------------------------------------------------------------------

    async def _reception(
        self, request: Request, office: OfficeInfo, status_code: int = 200, **context: Any
    ) -> Template:
        services = offices.kinds_in_order(await offices.office_services(office.id))
        waiting = {service.id: len(await tickets.waiting_tickets(service.id)) for service in services}
        return page(
            request,
            "staff/counter/reception.html",
            status_code=status_code,
            office=office,
            services=services,
            waiting=waiting,
            open_now=await offices.is_open_now(office),
            issue_key=secrets.token_urlsafe(16),
            service_label=offices.service_label,
            **context,
        )

    @get("/{office_id:int}", name="counter_reception")
    async def reception(self, request: Request, office_id: FromPath[int]) -> Template:
        return await self._reception(request, await _office(office_id))

    @post("/{office_id:int}/tickets", name="counter_issue")
    async def issue(
        self, request: Request, office_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        office = await _office(office_id)
        form = await request.form()
        email = forms.text(form, "notify_email")
        try:
            ticket, _issued = await tickets.issue(
                office,
                forms.text(form, "service"),
                issue_key=forms.text(form, "issue_key") or None,
                language=forms.text(form, "language") or "ja",
                notice=NoticeRequest("email", email) if email else None,
                actor=actor,
            )
        except DomainError as exc:
            errors = dict(getattr(exc, "fields", {}) or {})
            return await self._reception(
                request, office, status_of(exc), error=exc.message, errors=errors, form=dict(form)
            )
        return Redirect(path=f"{COUNTER}/{office.id}/tickets/{ticket.id}", status_code=303)

    @post("/{office_id:int}/pickups", name="counter_check_in_pickup")
    async def check_in(
        self, request: Request, office_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        """A pickup reservation (交付予約) arriving: its code (scanned from its QR code or typed) gives its ticket."""
        office = await _office(office_id)
        form = await request.form()
        try:
            ticket = await check_in_pickup(forms.text(form, "reservation_code"), actor=actor, office_id=office.id)
        except DomainError as exc:
            return await self._reception(
                request, office, status_of(exc), errors={"reservation_code": exc.message}, form=dict(form)
            )
        return Redirect(path=f"{COUNTER}/{office.id}/tickets/{ticket.id}", status_code=303)

    # --- the pickup waiting lists (交付予約の空き待ち) -------------------------------------------------------------

    async def _waitlist(
        self, request: Request, office: OfficeInfo, actor: Actor, status_code: int = 200, **context: Any
    ) -> Template:
        return page(
            request,
            "staff/counter/waitlist.html",
            status_code=status_code,
            office=office,
            lines=await office_waitlist(actor, office.id),
            service_label=offices.service_label,
            held_until=held_until,
            **context,
        )

    @get("/{office_id:int}/waitlist", name="counter_pickup_waitlist")
    async def waitlist(
        self,
        request: Request,
        office_id: FromPath[int],
        actor: NamedDependency[Actor],
        accepted: FromQuery[str | None] = None,
    ) -> Template:
        """The office's pickup waiting lists: offers to residents with a phone only are for staff to call."""
        return await self._waitlist(request, await _office(office_id), actor, accepted=accepted or "")

    @post("/{office_id:int}/waitlist/{code:str}/{step:str}", name="counter_pickup_waitlist_step")
    async def waitlist_step(
        self,
        request: Request,
        office_id: FromPath[int],
        code: FromPath[str],
        step: FromPath[str],
        actor: NamedDependency[Actor],
    ) -> Template | Redirect:
        """Accept or decline an offer for a resident on the phone."""
        office = await _office(office_id)
        try:
            if step == "accept":
                details = await staff_accept(actor, office.id, code)
                return Redirect(path=f"{COUNTER}/{office.id}/waitlist?accepted={details.code}", status_code=303)
            if step != "decline":
                raise NotFound(_("This waiting list entry does not exist."))
            await staff_decline(actor, office.id, code)
        except DomainError as exc:
            return await self._waitlist(request, office, actor, status_of(exc), error=exc.message)
        return Redirect(path=f"{COUNTER}/{office.id}/waitlist", status_code=303)

    @get("/{office_id:int}/tickets/{ticket_id:int}", name="counter_ticket")
    async def ticket(self, request: Request, office_id: FromPath[int], ticket_id: FromPath[int]) -> Template:
        office = await _office(office_id)
        ticket = await tickets.get_ticket(ticket_id)
        if ticket.office_id != office.id:
            raise NotFound(_("This ticket does not exist."))
        url = f"{settings_of(request).base_url}/tickets/{ticket.code}"
        ahead = await tickets.tickets_ahead(ticket)
        with using_locale(ticket.language):  # the ticket speaks its holder's language; the page, the staff's
            words = {
                "service": offices.service_label(ticket.service_kind),
                "ahead": _("Tickets ahead: {n}").format(n=ahead) if ahead is not None else "",
                "scan": _("Scan the QR code to follow your turn on your phone."),
                "qr": _("QR code of the ticket page"),
            }
        return page(
            request,
            "staff/counter/ticket.html",
            office=office,
            ticket=ticket,
            words=words,
            url=url,
            qr=qr_svg(url),
        )

    # --- a window ------------------------------------------------------------------------------------------------

    async def _window(
        self, request: Request, office: OfficeInfo, window: int, status_code: int = 200, **context: Any
    ) -> Template:
        if not 1 <= window <= tickets.MAX_WINDOW:
            raise NotFound(_("The page you asked for does not exist."))
        services = offices.kinds_in_order(await offices.office_services(office.id))
        serving = _kinds(request.query_params.getall("service", []))
        current = await tickets.window_ticket(office.id, window)
        done = request.query_params.get("done", "")
        shown = None
        if request.query_params.get("ticket", "").isdecimal():
            try:
                shown = await tickets.get_ticket(int(request.query_params["ticket"]))
            except NotFound:
                shown = None
        context.setdefault("message", done_message(done, shown))
        return page(
            request,
            "staff/counter/window.html",
            status_code=status_code,
            office=office,
            window=window,
            services=services,
            serving=serving,
            current=current,
            waiting={service.id: len(await tickets.waiting_tickets(service.id)) for service in services},
            service_label=offices.service_label,
            refresh_seconds=WINDOW_REFRESH_SECONDS,
            **context,
        )

    @get("/{office_id:int}/windows/{window:int}", name="counter_window")
    async def window(self, request: Request, office_id: FromPath[int], window: FromPath[int]) -> Template:
        return await self._window(request, await _office(office_id), window)

    async def _act(
        self,
        request: Request,
        office: OfficeInfo,
        window: int,
        action: Callable[[], Awaitable[TicketView | None]],
        done: str,
    ) -> Template | Redirect:
        form = await request.form()
        serving = _kinds(form.getall("service", []))
        try:
            ticket = await action()
        except DomainError as exc:
            return await self._window(request, office, window, status_of(exc), message="", error=exc.message)
        query = "&".join(f"service={kind}" for kind in serving)
        result = f"done={done}&ticket={ticket.id}" if ticket is not None else "done=nobody"
        return Redirect(path=window_path(office.id, window, "&".join(filter(None, [query, result]))), status_code=303)

    @post("/{office_id:int}/windows/{window:int}/call", name="counter_call")
    async def call(
        self, request: Request, office_id: FromPath[int], window: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        office = await _office(office_id)
        form = await request.form()
        kinds = _kinds(form.getall("service", []))
        return await self._act(
            request, office, window, lambda: tickets.call_next(office, window, kinds or None, actor), "called"
        )

    @post("/{office_id:int}/windows/{window:int}/tickets/{ticket_id:int}/{step:str}", name="counter_step")
    async def step(
        self,
        request: Request,
        office_id: FromPath[int],
        window: FromPath[int],
        ticket_id: FromPath[int],
        step: FromPath[str],
        actor: NamedDependency[Actor],
    ) -> Template | Redirect:
        office = await _office(office_id)
        if step == "transfer":
            kind = forms.text(await request.form(), "to_service")
            return await self._act(
                request,
                office,
                window,
                lambda: tickets.transfer(ticket_id, kind, actor, office_id=office.id),
                "transferred",
            )
        if step not in tickets.TICKET_STEPS:
            raise NotFound(_("The page you asked for does not exist."))
        done = {"recall": "recalled", "serve": "served", "absent": "absent", "cancel": "cancelled"}[step]
        return await self._act(
            request,
            office,
            window,
            lambda: tickets.step(ticket_id, step, actor, office_id=office.id, window=window),
            done,
        )
