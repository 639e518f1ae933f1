"""Venue partners (会場との調整) for staff: each published booth of a plan with its partner's answer to the calendar
invitation, and inviting the partners whose email was added after their booths were published."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.roles import CONTRACTORS
from core.users import Actor
from planner import invitations, services
from portal.web.guards import requires
from portal.web.templating import page


class PlanInvitationController(Controller):
    """Staff: each published booth of a plan with its partner's answer."""

    path = "/plans/{plan_id:int}/invitations"
    include_in_schema = False

    @get("/", name="plan_invitations")
    async def list(self, request: Request, plan_id: FromPath[int]) -> Template:
        plan = await services.get_plan(plan_id)
        return page(
            request,
            "staff/plans/invitations.html",
            plan=plan,
            invited=request.query_params.get("invited"),
            can_invite=request.state.actor.role in CONTRACTORS,
            **await invitations.plan_invitations(plan_id),
        )

    @post("/send", name="plan_invitations_send", guards=[requires(*CONTRACTORS)])
    async def send(self, plan_id: FromPath[int], actor: NamedDependency[Actor]) -> Redirect:
        await services.get_plan(plan_id)
        sent = await invitations.invite_missing_partners(actor, plan_id)
        return Redirect(path=f"/staff/plans/{plan_id}/invitations?invited={sent}", status_code=303)
