"""The language switch of every page (日本語, English, やさしい日本語, 简体中文, 한국어, Tiếng Việt), in a cookie."""

from __future__ import annotations

from litestar import get
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from core.i18n import LOCALES
from portal.web.guards import safe_next
from portal.web.locale import LANG_COOKIE


@get("/lang/{code:str}", name="set_language", include_in_schema=False)
async def set_language(code: FromPath[str], next: FromQuery[str | None] = None) -> Redirect:
    """Remember the chosen language in a cookie and go back to the page."""
    response = Redirect(path=safe_next(next, default="/"), status_code=303)
    if code.lower() in LOCALES:  # /lang/zh-Hans as well as /lang/zh-hans
        response.set_cookie(LANG_COOKIE, code.lower(), max_age=365 * 24 * 3600, samesite="lax", httponly=False)
    return response
