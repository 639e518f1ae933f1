"""Venue partners (会場との調整) for staff: each published booth of a plan with its partner's answer to the calendar
invitation."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from planner import invitations, services
from portal.web.templating import page


class PlanInvitationController(Controller):
    """Staff: each published booth of a plan with its partner's answer."""

    path = "/plans/{plan_id:int}/invitations"
    include_in_schema = False

    @get("/", name="plan_invitations")
    async def list(self, request: Request, plan_id: FromPath[int]) -> Template:
        plan = await services.get_plan(plan_id)
        return page(request, "staff/plans/invitations.html", plan=plan, **await invitations.plan_invitations(plan_id))
