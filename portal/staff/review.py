"""The city's review of the 実施計画 (実施計画の承認): contractor staff submit a draft or start a change after approval;
city reviewers comment on sessions, approve, or return the plan with comments."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.errors import ValidationFailed
from core.i18n import gettext as _
from core.roles import CONTRACTORS, REVIEWERS
from core.users import Actor
from planner import services, workflow
from planner.tables import VersionState
from portal.staff.plans import plan_page_context
from portal.web import forms
from portal.web.confirm import confirmation, confirmed
from portal.web.flash import flash
from portal.web.guards import requires
from portal.web.templating import page


def typed_comments(form: Any) -> dict[int, str]:
    """The comments typed into the rows of the sessions table (``comment-<session id>``), by session."""
    comments: dict[int, str] = {}
    for name in form:
        if name.startswith("comment-"):
            session_id = forms.whole_number({"id": name.removeprefix("comment-")}, "id")
            if session_id is not None:
                comments[session_id] = forms.text(form, name)
    return comments


class ReviewController(Controller):
    """The review steps of a plan; each step checks the role that may take it."""

    path = "/plans"
    include_in_schema = False

    @post("/{plan_id:int}/submit", guards=[requires(*CONTRACTORS)])
    async def submit(
        self, request: Request, plan_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        version = await services.latest_version(plan_id)
        if not confirmed(await request.form()):
            return confirmation(
                request,
                title=_("Submit version {n} to the city?").format(n=version.number),
                consequences=[
                    _("The city reviews this version. Nobody can change it until the city returns it or approves it."),
                ],
                action=f"/staff/plans/{plan_id}/submit",
                confirm_label=_("Submit to the city for approval"),
                back=f"/staff/plans/{plan_id}",
            )
        try:
            await workflow.submit(actor, version.id)
        except ValidationFailed as exc:
            return page(
                request,
                "staff/plans/detail.html",
                status_code=422,
                **await plan_page_context(plan_id, actor, submit_error=exc.message),
            )
        flash(request, "plan.submitted")
        return Redirect(path=f"/staff/plans/{plan_id}", status_code=303)

    @post("/{plan_id:int}/change", guards=[requires(*CONTRACTORS)])
    async def change(self, request: Request, plan_id: FromPath[int], actor: NamedDependency[Actor]) -> Redirect:
        await workflow.start_change(actor, plan_id)
        flash(request, "plan.change_started")
        return Redirect(path=f"/staff/plans/{plan_id}", status_code=303)

    @post("/{plan_id:int}/comments", guards=[requires(*REVIEWERS)])
    async def comments(self, request: Request, plan_id: FromPath[int], actor: NamedDependency[Actor]) -> Redirect:
        """Save every comment typed into the sessions table at once, whichever row's button was pressed."""
        form = await request.form()
        await workflow.comment_sessions(actor, plan_id, typed_comments(form))
        flash(request, "review.comments_saved")
        focus = forms.whole_number(form, "focus")
        return Redirect(path=f"/staff/plans/{plan_id}" + (f"#session-{focus}" if focus else ""), status_code=303)

    @post("/{plan_id:int}/decide", guards=[requires(*REVIEWERS)])
    async def decide(
        self, request: Request, plan_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Template | Redirect:
        form = await request.form()
        errors: dict[str, str] = {}
        revision = forms.optional_int(form, "revision", errors, _("Reload the page and decide again."))
        version_id = forms.optional_int(form, "version", errors, _("Reload the page and decide again."))
        comment = forms.text(form, "comment")
        approve = form.get("decision") == "approve"
        try:
            if errors or revision is None or version_id is None:
                raise ValidationFailed(_("Reload the page and decide again."), errors)
            await workflow.comment_sessions(actor, plan_id, typed_comments(form))  # nothing typed is lost
            version = await services.get_version(version_id)
            if approve and not confirmed(form) and version.state == VersionState.submitted:
                return confirmation(
                    request,
                    title=_("Approve version {n}?").format(n=version.number),
                    consequences=[
                        _("Its booths are published at once: residents can book them and venue partners are invited."),
                    ],
                    action=f"/staff/plans/{plan_id}/decide",
                    confirm_label=_("Approve"),
                    back=f"/staff/plans/{plan_id}#decide",
                    form=form,
                )
            if approve:
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
        flash(request, "plan.approved" if approve else "plan.returned")
        return Redirect(path=f"/staff/plans/{plan_id}", status_code=303)

    @post("/{plan_id:int}/sessions/{session_id:int}/comment", guards=[requires(*REVIEWERS)])
    async def comment(
        self, request: Request, plan_id: FromPath[int], session_id: FromPath[int], actor: NamedDependency[Actor]
    ) -> Redirect:
        form = await request.form()
        await workflow.comment_session(actor, session_id, forms.text(form, "comment"))
        flash(request, "review.comments_saved")
        return Redirect(path=f"/staff/plans/{plan_id}#session-{session_id}", status_code=303)
