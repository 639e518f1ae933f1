"""The request's language: a ``lang`` cookie set by the language switch, else Accept-Language, else Japanese."""

from __future__ import annotations

from http.cookies import SimpleCookie

from litestar.types import ASGIApp, Receive, Scope, Send

from core.i18n import LOCALES, accepted_locale, normalize_locale, using_locale

LANG_COOKIE = "lang"


def locale_from_headers(headers: dict[bytes, bytes]) -> str:
    """Pick the locale from the cookie, then Accept-Language (the supported language with the highest q wins:
    zh-CN → zh-hans, ko-KR → ko, vi-VN → vi), else Japanese; やさしい日本語 only from the cookie."""
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
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept.split(",")):
        tag, _, params = part.partition(";")
        code = accepted_locale(tag)
        if code is None:
            continue
        quality = _quality(params)
        if quality > 0 and (best is None or (-quality, position) < (best[0], best[1])):
            best = (-quality, position, code)
    return best[2] if best else normalize_locale(None)


def _quality(params: str) -> float:
    """The ``q`` of an Accept-Language entry (1 when absent or unreadable)."""
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 1.0
    return 1.0


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
