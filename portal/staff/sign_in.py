"""Staff sign-in and sign-out."""

from __future__ import annotations

import math
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from core.i18n import gettext as _
from core.users import authenticate, end_sessions
from portal.web.guards import load_actor, safe_next, session_data
from portal.web.templating import page
from portal.web.throttle import AccountThrottle


class SignInController(Controller):
    """Staff sign-in and sign-out (no role needed to see the form)."""

    path = "/staff"
    include_in_schema = False

    @get("/login", name="login")
    async def login_form(self, request: Request, next: FromQuery[str | None] = None) -> Template:
        return page(request, "staff/login.html", next=safe_next(next), username="", error=None)

    @post("/login")
    async def login(
        self, request: Request, data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
    ) -> Template | Redirect:
        username = data.get("username", "")
        target = safe_next(data.get("next"))
        throttle: AccountThrottle = request.app.state.sign_in_throttle
        wait = await throttle.wait_seconds(username)
        if wait:  # refused before any hash is checked, even with the right password
            minutes = math.ceil(wait / 60)
            response = page(
                request,
                "staff/login.html",
                status_code=429,
                next=target,
                username=username,
                error=_(
                    "Too many failed sign-ins for this account. Wait {minutes} minutes and try again, "
                    "or ask an administrator to reset the password."
                ).format(minutes=minutes),
            )
            response.headers["Retry-After"] = str(wait)
            return response
        actor = await authenticate(username, data.get("password", ""))
        if actor is None:
            await throttle.failed(username)
            return page(
                request,
                "staff/login.html",
                status_code=400,
                next=target,
                username=username,
                error=_("The username or password is not correct."),
            )
        await throttle.succeeded(username)
        request.set_session(session_data(actor))
        return Redirect(path=target, status_code=303)

    @post("/logout")
    async def logout(self, request: Request) -> Redirect:
        """Sign out: ends this user's sessions on every device, not only the cookie of this browser."""
        actor = await load_actor(request)
        if actor is not None:
            await end_sessions(actor.id)
        request.clear_session()
        return Redirect(path="/staff/login", status_code=303)
