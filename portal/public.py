"""Public pages for residents (the booking pages arrive with the portal issue)."""

from pathlib import Path

from litestar import Request, get
from litestar.response import File, Template

from portal.templating import page


@get("/", name="home", include_in_schema=False)
async def home(request: Request) -> Template:
    """What the service is, in Japanese first with English."""
    return page(request, "public/home.html")


@get("/favicon.ico", include_in_schema=False)
async def favicon() -> File:
    """Browsers ask for /favicon.ico on every document (the map frame included)."""
    return File(Path(__file__).resolve().parent.parent / "static" / "img" / "favicon.svg", media_type="image/svg+xml",
                content_disposition_type="inline")
