"""The request's language: a ``lang`` cookie set by the language switch, else Accept-Language, else Japanese.

This runs for every request, the cheapest ones included (``GET /api/sessions`` from the cache), so it reads the raw
ASGI headers once, finds the ``lang`` cookie without parsing the other cookies, and remembers what each
Accept-Language value it has seen chose (browsers send a handful of distinct ones).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from litestar.types import ASGIApp, Receive, Scope, Send

from core.i18n import LOCALES, accepted_locale, enter_locale, leave_locale, normalize_locale

LANG_COOKIE = "lang"
# The ``lang`` cookie in a Cookie header (``a=1; lang=en; b=2``; quoted or not). Another cookie whose name merely ends
# in "lang" does not match.
_LANG_IN_COOKIE = re.compile(rb'(?:^|;)[ \t]*lang[ \t]*=[ \t]*"?([A-Za-z-]{1,16})"?[ \t]*(?=;|$)')
# What an Accept-Language value chose, for values up to this long (longer ones are worked out each time), and at
# most this many values at once: the memo can never grow with what clients send.
_MEMO_VALUE_BYTES = 200
_MEMO_SIZE = 256
_accepted_memo: dict[bytes, str] = {}


def locale_of(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """Pick the locale from the ``lang`` cookie, then Accept-Language (the supported language with the highest q
    wins: zh-CN → zh-hans, ko-KR → ko, vi-VN → vi), else Japanese; やさしい日本語 only from the cookie. ``headers`` are
    the raw ASGI pairs (names in lower case)."""
    accept: bytes | None = None
    chosen: str | None = None
    for name, value in headers:
        if name == b"cookie":
            for found in _LANG_IN_COOKIE.findall(value):  # the last one wins, as with the standard cookie parser
                code = found.decode("ascii")
                if code in LOCALES:
                    chosen = code
        elif name == b"accept-language":
            accept = value
    if chosen is not None:
        return chosen
    if not accept:
        return normalize_locale(None)
    code = _accepted_memo.get(accept)
    if code is None:
        code = _from_accept_language(accept.decode("latin-1"))
        if len(accept) <= _MEMO_VALUE_BYTES:
            if len(_accepted_memo) >= _MEMO_SIZE:
                _accepted_memo.clear()
            _accepted_memo[accept] = code
    return code


def _from_accept_language(accept: str) -> str:
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
    """Pure ASGI middleware that sets core.i18n's locale for the whole request, error pages included (the portal
    installs it outside Litestar's exception handling: portal.web.front)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        token = enter_locale(locale_of(scope["headers"]))
        try:
            await self.app(scope, receive, send)
        finally:
            leave_locale(token)
