"""The city's review of the 実施計画 (実施計画の承認): contractor staff submit a draft or start a change after approval;
city reviewers comment on sessions, approve, or return the plan with comments."""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.errors import ValidationFailed
from core.i18n import gettext as _
from core.roles import CONTRACTORS, REVIEWERS
from core.users import Actor
from planner import services, workflow
from portal.staff.plans import plan_page_context
from portal.web import forms
from portal.web.guards import requires
from portal.web.templating import page


class ReviewController(Controller):
    """The review steps of a plan; each step checks the role that may take it."""

    path = "/plans"
    include_in_schema = False

    @post("/{plan_id:int}/submit", guards=[requires(*CONTRACTORS)])
    async def submit(
        self, request: Request, plan_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        version = await services.latest_version(plan_id)
        try:
            await workflow.submit(actor, version.id)
        except ValidationFailed as exc:
            return page(
                request,
                "staff/plans/detail.html",
                status_code=422,
                **await plan_page_context(plan_id, actor, submit_error=exc.message),
            )
        return Redirect(path=f"/staff/plans/{plan_id}", status_code=303)

    @post("/{plan_id:int}/change", guards=[requires(*CONTRACTORS)])
    async def change(self, plan_id: FromPath[int], actor: NamedDependency[Actor]) -> Redirect:
        await workflow.start_change(actor, plan_id)
        return Redirect(path=f"/staff/plans/{plan_id}", status_code=303)

    @post("/{plan_id:int}/decide", guards=[requires(*REVIEWERS)])
    async def decide(
        self, request: Request, plan_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        form = await request.form()
        errors: dict[str, str] = {}
        revision = forms.optional_int(form, "revision", errors, _("Reload the page and decide again."))
        version_id = forms.optional_int(form, "version", errors, _("Reload the page and decide again."))
        comment = forms.text(form, "comment")
        try:
            if errors or revision is None or version_id is None:
                raise ValidationFailed(_("Reload the page and decide again."), errors)
            if form.get("decision") == "approve":
                await workflow.approve(actor, version_id, revision, comment)
            else:
                await workflow.return_for_changes(actor, version_id, revision, comment)
        except ValidationFailed as exc:
            return page(
                request,
                "staff/plans/detail.html",
                status_code=422,
                **await plan_page_context(plan_id, actor, decide_error=exc.message, decide_form=dict(form)),
            )
        return Redirect(path=f"/staff/plans/{plan_id}", status_code=303)

    @post("/{plan_id:int}/sessions/{session_id:int}/comment", guards=[requires(*REVIEWERS)])
    async def comment(
        self, request: Request, plan_id: FromPath[int], session_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Redirect:
        form = await request.form()
        await workflow.comment_session(actor, session_id, forms.text(form, "comment"))
        return Redirect(path=f"/staff/plans/{plan_id}#session-{session_id}", status_code=303)
