"""The back office's home (業務ホーム, ``/staff/``): what needs the signed-in role now (booking.staff_home)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from booking.staff_home import home_for
from core.users import Actor
from portal.web.templating import page


class HomeController(Controller):
    """Where staff land after signing in."""

    path = "/"
    include_in_schema = False

    @get("/", name="staff_home")
    async def home(self, request: Request, actor: NamedDependency[Actor]) -> Template:
        return page(request, "staff/home.html", home=await home_for(actor))
