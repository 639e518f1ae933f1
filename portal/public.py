"""Public pages for residents (the booking pages arrive with the portal issue)."""

from litestar import Request, get
from litestar.response import Template

from portal.templating import page


@get("/", name="home")
async def home(request: Request) -> Template:
    """What the service is, in Japanese first with English."""
    return page(request, "public/home.html")
