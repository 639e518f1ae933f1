"""Staff sign-in: session cookie, the current actor, and role guards for every back-office route."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.session.client_side import CookieBackendConfig

from core.i18n import gettext as _
from core.settings import Settings
from core.tables import Role
from core.users import Actor, get_actor

SESSION_USER_KEY = "uid"
SESSION_VERSION_KEY = "ver"


def session_config(settings: Settings) -> CookieBackendConfig:
    """An encrypted (AES-GCM), HttpOnly, SameSite=Lax session cookie; Secure whenever the site runs on HTTPS."""
    secret = hashlib.sha256(("session:" + settings.secret_key).encode()).digest()
    return CookieBackendConfig(
        secret=secret,
        key="outreach_session",
        max_age=settings.session_max_age,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        exclude=["^/static/", "^/healthz", "^/api/"],  # the JSON API has no sessions
    )


def session_data(actor: Actor) -> dict[str, int]:
    """What the session cookie holds: the user and the session version it was issued with."""
    return {SESSION_USER_KEY: actor.id, SESSION_VERSION_KEY: actor.session_version}


async def load_actor(connection: ASGIConnection) -> Actor | None:
    """The signed-in staff member, loaded once per request (None when signed out, deactivated, or the session
    was ended by a sign-out or a new password since the cookie was issued)."""
    if "actor" in connection.state:
        return connection.state.actor
    actor = None
    session = connection.scope.get("session") or {}
    user_id = session.get(SESSION_USER_KEY) if isinstance(session, dict) else None
    if isinstance(user_id, int):
        actor = await get_actor(user_id)
        if actor is not None and session.get(SESSION_VERSION_KEY) != actor.session_version:
            actor = None
    connection.state.actor = actor
    return actor


def requires(*roles: Role):
    """A guard: the request must come from a signed-in staff member with one of ``roles``."""

    async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        actor = await load_actor(connection)
        if actor is None:
            raise NotAuthorizedException(detail=_("Please sign in."))
        if actor.role not in roles:
            raise PermissionDeniedException(detail=_("Your role does not allow this page or action."))

    guard.__name__ = "requires_" + "_".join(role.value for role in roles)
    return guard


async def provide_actor(request: Request) -> Actor:
    """Dependency: the actor the guard already loaded."""
    actor = await load_actor(request)
    if actor is None:  # pragma: no cover - guards run first
        raise NotAuthorizedException(detail=_("Please sign in."))
    return actor


def safe_next(value: str | None, default: str = "/staff/") -> str:
    """A same-site path to go to after sign-in (never another host)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def login_url(path: str) -> str:
    return "/staff/login?next=" + quote(path, safe="/")
