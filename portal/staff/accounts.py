"""Staff accounts: the admins' list, new accounts and each account's life cycle (role, password, deactivation);
and every user's own password."""

from __future__ import annotations

import math
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.errors import Conflict, ValidationFailed
from core.i18n import gettext as _
from core.roles import ADMINS
from core.tables import Role
from core.users import (
    Actor,
    change_own_password,
    change_role,
    create_user,
    deactivate_user,
    get_account,
    list_accounts,
    reactivate_user,
    reset_password,
)
from portal.web import forms
from portal.web.guards import requires, session_data
from portal.web.templating import page
from portal.web.throttle import AccountThrottle


class UserController(Controller):
    """Staff accounts, managed by admins."""

    path = "/users"
    include_in_schema = False
    guards = [requires(*ADMINS)]

    async def _render(self, request: Request, status_code: int = 200, **context: Any) -> Template:
        users = await list_accounts()
        context.setdefault("errors", {})
        context.setdefault("form", {})
        return page(request, "staff/users.html", status_code=status_code, users=users, roles=list(Role), **context)

    async def _render_account(self, request: Request, user_id: int, status_code: int = 200, **context: Any) -> Template:
        account = await get_account(user_id)
        context.setdefault("errors", {})
        return page(request, "staff/user.html", status_code=status_code, account=account, roles=list(Role), **context)

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

    @get("/{user_id:int}", name="user_detail")
    async def detail(self, request: Request, user_id: FromPath[int]) -> Template:
        return await self._render_account(request, user_id, done=request.query_params.get("done"))

    @get("/{user_id:int}/deactivate")
    async def confirm_deactivation(self, request: Request, user_id: FromPath[int]) -> Template:
        """Asks before taking the account's access away."""
        account = await get_account(user_id)
        return page(request, "staff/user_deactivate.html", account=account)

    @post("/{user_id:int}/deactivate")
    async def deactivate(
        self, request: Request, user_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        try:
            await deactivate_user(user_id, actor)
        except Conflict as exc:
            return await self._render_account(request, user_id, 409, message=exc.message)
        return Redirect(path=f"/staff/users/{user_id}?done=deactivated", status_code=303)

    @post("/{user_id:int}/reactivate")
    async def reactivate(
        self, request: Request, user_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        try:
            await reactivate_user(user_id, actor)
        except Conflict as exc:
            return await self._render_account(request, user_id, 409, message=exc.message)
        return Redirect(path=f"/staff/users/{user_id}?done=reactivated", status_code=303)

    @post("/{user_id:int}/role")
    async def set_role(
        self, request: Request, user_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        role_value = forms.text(await request.form(), "role")
        if role_value not in {role.value for role in Role}:
            return await self._render_account(request, user_id, 422, errors={"role": _("Choose a role.")})
        try:
            await change_role(user_id, Role(role_value), actor)
        except Conflict as exc:
            return await self._render_account(request, user_id, 409, errors={"role": exc.message})
        return Redirect(path=f"/staff/users/{user_id}?done=role", status_code=303)

    @post("/{user_id:int}/password")
    async def reset(
        self, request: Request, user_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        form = await request.form()
        try:
            await reset_password(user_id, form.get("password") or "", actor)
        except ValidationFailed as exc:
            return await self._render_account(request, user_id, 422, errors=exc.fields)
        return Redirect(path=f"/staff/users/{user_id}?done=password", status_code=303)


class OwnPasswordController(Controller):
    """Every signed-in user changes their own password (the current one required)."""

    path = "/password"
    include_in_schema = False

    @get("/", name="own_password")
    async def form(self, request: Request) -> Template:
        return page(request, "staff/password.html", errors={}, done=request.query_params.get("done") == "1")

    @post("/")
    async def change(self, request: Request, actor: NamedDependency[Actor]) -> Template | Redirect:
        form = await request.form()
        throttle: AccountThrottle = request.app.state.sign_in_throttle
        wait = await throttle.wait_seconds(actor.username)  # guessing the current password counts as sign-ins do
        if wait:
            message = _(
                "Too many failed sign-ins for this account. Wait {minutes} minutes and try again, "
                "or ask an administrator to reset the password."
            ).format(minutes=math.ceil(wait / 60))
            response = page(request, "staff/password.html", status_code=429, errors={}, message=message)
            response.headers["Retry-After"] = str(wait)
            return response
        new_password = form.get("password") or ""
        if new_password != (form.get("password_again") or ""):
            message = _("The two new passwords are not the same.")
            return page(request, "staff/password.html", status_code=422, errors={"password_again": message})
        try:
            changed = await change_own_password(actor, form.get("current_password") or "", new_password)
        except ValidationFailed as exc:
            if "current_password" in exc.fields:
                await throttle.failed(actor.username)
            return page(request, "staff/password.html", status_code=422, errors=exc.fields)
        request.set_session(session_data(changed))  # this browser stays signed in; every other session has ended
        return Redirect(path="/staff/password?done=1", status_code=303)
