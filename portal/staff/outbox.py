"""The outbox page (送信キュー): contractor leads and admins see queued, sent and failed messages, send one again and
retry a queued one now, and open one to read it."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from core import outbox_admin
from core.roles import OUTBOX_READERS
from core.users import Actor
from portal.web.guards import requires
from portal.web.templating import page

OUTBOX_PATH = "/staff/outbox"


def back_to_list(status: str | None, done: str) -> str:
    query = f"?status={status}&done={done}" if status in outbox_admin.STATUSES else f"?done={done}"
    return OUTBOX_PATH + query


class OutboxController(Controller):
    """Messages waiting, sent and failed; sending again and retrying now."""

    path = "/outbox"
    include_in_schema = False
    guards = [requires(*OUTBOX_READERS)]

    @get("/", name="outbox")
    async def list(self, request: Request, status: FromQuery[str | None] = None) -> Template:
        status = status if status in outbox_admin.STATUSES else None
        return page(
            request,
            "staff/outbox.html",
            messages=await outbox_admin.list_messages(status),
            status=status,
            counts=await outbox_admin.status_counts(),
            statuses=outbox_admin.STATUSES,
            done=request.query_params.get("done", ""),
            mail_configured=outbox_admin.mail_server_configured(),
        )

    @get("/{message_id:int}", name="outbox_message")
    async def show(self, request: Request, message_id: FromPath[int], actor: NamedDependency[Actor]) -> Template:
        return page(
            request,
            "staff/outbox_message.html",
            message=await outbox_admin.message_content(actor, message_id),
            mail_configured=outbox_admin.mail_server_configured(),
        )

    @post("/{message_id:int}/resend", name="outbox_resend")
    async def resend(self, request: Request, message_id: FromPath[int], actor: NamedDependency[Actor]) -> Redirect:
        await outbox_admin.resend_message(actor, message_id)
        return Redirect(path=back_to_list((await request.form()).get("status"), "resent"), status_code=303)

    @post("/{message_id:int}/retry", name="outbox_retry")
    async def retry(self, request: Request, message_id: FromPath[int], actor: NamedDependency[Actor]) -> Redirect:
        await outbox_admin.retry_now(actor, message_id)
        return Redirect(path=back_to_list((await request.form()).get("status"), "retried"), status_code=303)
