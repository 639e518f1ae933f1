"""The request's language: a ``lang`` cookie set by the language switch, else Accept-Language, else Japanese."""

from __future__ import annotations

from http.cookies import SimpleCookie

from litestar.types import ASGIApp, Receive, Scope, Send

from core.i18n import LOCALES, normalize_locale, using_locale

LANG_COOKIE = "lang"


def locale_from_headers(headers: dict[bytes, bytes]) -> str:
    """Pick the locale from the cookie, then Accept-Language (first supported language wins)."""
    cookie_header = headers.get(b"cookie", b"").decode("latin-1")
    if cookie_header:
        cookie = SimpleCookie()
        try:
            cookie.load(cookie_header)
        except Exception:  # noqa: BLE001 - a malformed cookie header just means "no preference"
            cookie = SimpleCookie()
        if LANG_COOKIE in cookie and cookie[LANG_COOKIE].value in LOCALES:
            return cookie[LANG_COOKIE].value
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    for part in accept.split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in LOCALES:
            return code
    return normalize_locale(None)


class LocaleMiddleware:
    """ASGI middleware that sets core.i18n's locale for the whole request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        with using_locale(locale_from_headers(headers)):
            await self.app(scope, receive, send)
