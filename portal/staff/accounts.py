"""Staff accounts (admins): the list and new accounts."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from core.errors import Conflict, ValidationFailed
from core.i18n import gettext as _
from core.roles import ADMINS
from core.tables import Role
from core.users import Actor, create_user, list_accounts
from portal.web import forms
from portal.web.guards import requires
from portal.web.templating import page


class UserController(Controller):
    """Staff accounts, managed by admins."""

    path = "/users"
    include_in_schema = False
    guards = [requires(*ADMINS)]

    async def _render(self, request: Request, status_code: int = 200, **context) -> Template:
        users = await list_accounts()
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
