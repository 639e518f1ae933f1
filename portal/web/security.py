"""Security headers and the Content-Security-Policy (no third-party script; tiles from the configured server)."""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings


def content_security_policy(settings: Settings, *, inline_scripts: bool = False) -> str:
    """Scripts, styles and fonts only from us; images also from the tile server.

    ``inline_scripts`` allows inline script, for the one response that needs it: the folium map frame, which
    writes its set-up inline (see ``map_frame_policy``).  Every other page gets ``script-src 'self'``.
    """
    tile = urlsplit(settings.tile_url)
    tile_origin = f"{tile.scheme}://{tile.netloc}" if tile.scheme and tile.netloc else ""
    img = " ".join(filter(None, ["'self'", "data:", "blob:", tile_origin]))
    script = "'self' 'unsafe-inline'" if inline_scripts else "'self'"
    return (
        "default-src 'self'; "
        f"script-src {script}; "
        "style-src 'self' 'unsafe-inline'; "
        f"img-src {img}; "
        "font-src 'self'; connect-src 'self'; "
        "frame-src 'self'; frame-ancestors 'self'; "
        "form-action 'self'; base-uri 'self'; object-src 'none'"
    )


def map_frame_policy(settings: Settings) -> dict[str, str]:
    """The CSP header of the folium map frame (its text is escaped for that: documents.maps.template_literal_text)."""
    return {"Content-Security-Policy": content_security_policy(settings, inline_scripts=True)}


class SecurityHeadersMiddleware:
    """Pure ASGI middleware that adds CSP, nosniff, referrer and framing headers to every HTTP response (a header
    the response already has, such as the map frame's CSP, is kept).

    The portal installs it outside Litestar's exception handling (portal.web.front), so that the answers Litestar
    makes itself carry the headers too: 404 for an unknown path, 405, a refused CSRF token, 429 from the throttle.
    The header pairs are encoded once; each response only appends them."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = security_headers(settings)
        self._raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in self.headers.items()]
        self._names = frozenset(name for name, _value in self._raw)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw, names = self._raw, self._names

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                if any(name.lower() in names for name, _value in headers):  # the response set one of ours: keep it
                    present = {name.lower() for name, _value in headers}
                    headers.extend(pair for pair in raw if pair[0] not in present)
                else:
                    headers.extend(raw)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def security_headers(settings: Settings) -> dict[str, str]:
    """The headers every response carries."""
    headers = {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "SAMEORIGIN",
        "Permissions-Policy": "camera=(self), geolocation=(self), microphone=()",
    }
    if settings.secure_cookies:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers
