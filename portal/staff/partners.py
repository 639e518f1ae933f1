"""Venue partners (会場との調整) for staff: each published booth of a plan with its partner's answer to the calendar
invitation."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from core.errors import NotFound
from core.i18n import gettext as _
from planner import invitations
from planner.tables import Plan
from portal.web.templating import page


class PlanInvitationController(Controller):
    """Staff: each published booth of a plan with its partner's answer."""

    path = "/plans/{plan_id:int}/invitations"
    include_in_schema = False

    @get("/", name="plan_invitations")
    async def list(self, request: Request, plan_id: FromPath[int]) -> Template:
        plan = await Plan.select(Plan.id, Plan.title).where(Plan.id == plan_id).first()
        if plan is None:
            raise NotFound(_("That plan was not found."))
        return page(request, "staff/plans/invitations.html", plan=plan, **await invitations.plan_invitations(plan_id))
