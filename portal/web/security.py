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
    """Adds CSP, nosniff, referrer and framing headers to every HTTP response (a header the response already
    has, such as the map frame's CSP, is kept)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = {
            "Content-Security-Policy": content_security_policy(settings),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "SAMEORIGIN",
            "Permissions-Policy": "camera=(self), geolocation=(self), microphone=()",
        }
        if settings.secure_cookies:
            self.headers["Strict-Transport-Security"] = "max-age=31536000"
        self._raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in self.headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":  # raw ASGI header pairs: this runs for every response
                headers = list(message.get("headers") or ())
                present = {name.lower() for name, _value in headers}
                headers.extend(pair for pair in self._raw if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
