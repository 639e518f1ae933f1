"""Venue partners answer a booth's calendar invitation from the links in its email (no account: the signed link is
the key), and staff see each booth's answer. The link only opens a page that asks to confirm: a link preview or a
mail scanner that follows it records nothing; the answer is a POST with the CSRF token."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from core.errors import Conflict
from planner import invitations
from portal.web import forms
from portal.web.templating import page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class InvitationAnswerController(Controller):
    """A partner's answer to one invitation: the confirmation page (GET) and the answer itself (POST)."""

    path = "/invitations/{invitation_id:int}/{answer:str}"
    include_in_schema = False
    cache_control = CacheControlHeader(no_store=True)

    @get("/", name="invitation_answer_page")
    async def confirm(
        self,
        request: Request,
        invitation_id: FromPath[int],
        answer: FromPath[str],
        token: FromQuery[str | None] = None,
        done: FromQuery[str | None] = None,
    ) -> Template:
        try:
            view = await invitations.invitation_for_answer(invitation_id, answer, token)
        except Conflict as exc:
            return page(request, "public/invitation.html", status_code=409, view=None, message=exc.message)
        return page(request, "public/invitation.html", view=view, done=bool(done), message="")

    @post("/", name="invitation_answer")
    async def record(
        self,
        request: Request,
        invitation_id: FromPath[int],
        answer: FromPath[str],
        data: Form,
        token: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        try:
            await invitations.answer_invitation(invitation_id, answer, token, forms.text(data, "note"))
        except Conflict as exc:
            try:
                view = await invitations.invitation_for_answer(invitation_id, answer, token)
            except Conflict:
                view = None
            return page(request, "public/invitation.html", status_code=409, view=view, message=exc.message)
        return Redirect(path=f"/invitations/{invitation_id}/{answer}?token={token}&done=1", status_code=303)
