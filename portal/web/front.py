"""How the portal's middleware is laid out, so that the cheapest requests stay cheap and every answer is covered.

- Outermost, around Litestar's own exception handling and routing (``install_front``): the security headers and the
  request's language. Every response then carries the headers, the ones Litestar makes itself included (404 for an
  unknown path, 405, a refused CSRF token, 429), and those error pages are written in the visitor's language.
- Per route, as before: the session cookie, the throttle, CSRF, compression. The session and CSRF middleware sit
  behind a ``PathGate``: the JSON API (``/api/``) and ``/healthz`` authenticate nothing by cookie, so their requests
  go straight past them, without the request object and cookie parsing those middlewares start with.

All of it is pure ASGI: raw header pairs, no Request object, nothing built per request that can be built once.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from core.serving import rebalancing
from core.settings import Settings
from portal.web.locale import LocaleMiddleware
from portal.web.security import SecurityHeadersMiddleware

# Paths that carry no session and no form: the JSON API and the health check (anchored at the start of the path).
API_PATHS = ("/api/", "/healthz")


def install_front(app: Litestar, settings: Settings) -> None:
    """Put the security headers and the locale around everything the app does for a request (Litestar has no
    setting for middleware outside its exception handling; ``asgi_handler`` is what ``Litestar.__call__`` runs),
    and around them the workers' rebalancing of connections (core.serving)."""
    app.asgi_handler = rebalancing(SecurityHeadersMiddleware(LocaleMiddleware(app.asgi_handler), settings))


class PathGate:
    """Runs ``inner`` for every request except those whose path starts with one of ``skip``, which go straight
    to the app (one ``str.startswith``, instead of the middleware's own request parsing and exclude pattern)."""

    def __init__(self, app: ASGIApp, inner: DefineMiddleware, skip: tuple[str, ...]) -> None:
        self.app = app
        self.wrapped = inner(app)
        self.skip = skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.skip):
            await self.app(scope, receive, send)
        else:
            await self.wrapped(scope, receive, send)


def gated(middleware: DefineMiddleware, skip: tuple[str, ...]) -> DefineMiddleware:
    """``middleware`` behind a PathGate that lets paths under ``skip`` past it."""
    return DefineMiddleware(PathGate, inner=middleware, skip=skip)
