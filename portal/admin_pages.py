"""Back-office pages for the audit log (leads, city reviewers, admins) and staff accounts (admins)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.response import Redirect, Response, Template

from core.audit import list_events
from core.errors import Conflict, ValidationFailed
from core.i18n import gettext as _
from core.spreadsheet import escape_formula
from core.tables import Role, StaffUser
from core.users import Actor, create_user
from portal import forms
from portal.auth import ADMINS, AUDIT_READERS, provide_actor, requires
from portal.templating import page


def audit_filters(
    object_type: str | None,
    object_id: str | None,
    plan: int | None,
    user: str | None,
    since: dt.date | None,
    until: dt.date | None,
) -> dict:
    """The audit log's filters: an object, a plan (with its versions and sessions), a user, a date range."""
    return {
        "object_type": object_type or None,
        "object_id": object_id or None,
        "scope": f"plan:{plan}" if plan else None,
        "actor": user or None,
        "since": since,
        "until": until,
    }


class AuditController(Controller):
    """The audit trail: who changed what, when."""

    path = "/staff/audit"
    include_in_schema = False
    guards = [requires(*AUDIT_READERS)]

    @get("/", name="audit_log")
    async def list(
        self,
        request: Request,
        object_type: FromQuery[str | None] = None,
        object_id: FromQuery[str | None] = None,
        plan: FromQuery[int | None] = None,
        user: FromQuery[str | None] = None,
        since: FromQuery[dt.date | None] = None,
        until: FromQuery[dt.date | None] = None,
    ) -> Template:
        filters = audit_filters(object_type, object_id, plan, user, since, until)
        events = await list_events(**filters, limit=500)
        return page(
            request,
            "staff/audit.html",
            events=events,
            object_type=object_type or "",
            object_id=object_id or "",
            plan=plan or "",
            user=user or "",
            since=since or "",
            until=until or "",
            query_string=request.url.query or "",
        )

    @get("/export.csv")
    async def export(
        self,
        object_type: FromQuery[str | None] = None,
        object_id: FromQuery[str | None] = None,
        plan: FromQuery[int | None] = None,
        user: FromQuery[str | None] = None,
        since: FromQuery[dt.date | None] = None,
        until: FromQuery[dt.date | None] = None,
    ) -> Response:
        events = await list_events(**audit_filters(object_type, object_id, plan, user, since, until), limit=100_000)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["occurred_at", "actor", "action", "object_type", "object_id", "summary", "changes"])
        for event in events:
            cells = [
                event["occurred_at"].isoformat(),
                event["actor_name"],
                event["action"],
                event["object_type"],
                event["object_id"],
                event["summary"],
                json.dumps(event["changes"], ensure_ascii=False),
            ]
            writer.writerow([escape_formula(cell) for cell in cells])
        return Response(
            content=("\ufeff" + buffer.getvalue()).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
        )


class UserController(Controller):
    """Staff accounts, managed by admins."""

    path = "/staff/users"
    include_in_schema = False
    guards = [requires(*ADMINS)]
    dependencies = {"actor": Provide(provide_actor)}

    async def _render(self, request: Request, status_code: int = 200, **context) -> Template:
        users = await StaffUser.select(
            StaffUser.id,
            StaffUser.username,
            StaffUser.display_name,
            StaffUser.role,
            StaffUser.active,
            StaffUser.last_login_at,
        ).order_by(StaffUser.username)
        context.setdefault("errors", {})
        context.setdefault("form", {})
        return page(request, "staff/users.html", status_code=status_code, users=users, roles=list(Role), **context)

    @get("/", name="user_list")
    async def list(self, request: Request) -> Template:
        return await self._render(request)

    @post("/")
    async def create(self, request: Request, actor: NamedDependency[Actor]) -> Template | Redirect:
        form = await request.form()
        role_value = forms.text(form, "role")
        if role_value not in {role.value for role in Role}:
            return await self._render(request, 422, errors={"role": _("Choose a role.")}, form=dict(form))
        try:
            await create_user(
                forms.text(form, "username"),
                form.get("password") or "",
                Role(role_value),
                display_name=forms.text(form, "display_name"),
                created_by=actor,
            )
        except ValidationFailed as exc:
            return await self._render(request, 422, errors=exc.fields, message=exc.message, form=dict(form))
        except Conflict as exc:
            return await self._render(request, 409, errors={"username": exc.message}, form=dict(form))
        return Redirect(path="/staff/users", status_code=303)
