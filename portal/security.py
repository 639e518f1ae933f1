"""Security headers and the Content-Security-Policy (no third-party script; tiles from the configured server)."""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings


def content_security_policy(settings: Settings) -> str:
    """Scripts, styles and fonts only from us; images also from the tile server."""
    tile = urlsplit(settings.tile_url)
    tile_origin = f"{tile.scheme}://{tile.netloc}" if tile.scheme and tile.netloc else ""
    img = " ".join(filter(None, ["'self'", "data:", "blob:", tile_origin]))
    return (
        "default-src 'self'; "
        "script-src 'self' 'unsafe-inline'; "  # folium writes its map set-up inline
        "style-src 'self' 'unsafe-inline'; "
        f"img-src {img}; "
        "font-src 'self'; connect-src 'self'; "
        "frame-src 'self'; frame-ancestors 'self'; "
        "form-action 'self'; base-uri 'self'; object-src 'none'"
    )


class SecurityHeadersMiddleware:
    """Adds CSP, nosniff, referrer and framing headers to every HTTP response."""

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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
