"""The audit log (監査ログ) for leads, city reviewers and admins: filters and CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Response, Template

from core.audit import list_events
from core.roles import AUDIT_READERS
from core.spreadsheet import escape_formula
from planner.services import version_numbers
from portal.web.guards import requires
from portal.web.ids import QueryId
from portal.web.labels import OBJECT_TYPE_LABELS
from portal.web.templating import page


def audit_filters(
    object_type: str | None,
    object_id: str | None,
    plan: int | None,
    user: str | None,
    since: dt.date | None,
    until: dt.date | None,
) -> dict:
    """The audit log's filters: an object, a plan (with its versions and sessions), a user, a date range."""
    return {
        "object_type": object_type or None,
        "object_id": object_id or None,
        "scope": f"plan:{plan}" if plan else None,
        "actor": user or None,
        "since": since,
        "until": until,
    }


def plan_versions(events: list[dict]) -> list[int]:
    """The ids of the plan versions the events are about (shown by the numbers people see, 版 1, 版 2)."""
    return [int(e["object_id"]) for e in events if e["object_type"] == "plan_version" and e["object_id"].isdecimal()]


class AuditController(Controller):
    """The audit trail: who changed what, when."""

    path = "/audit"
    include_in_schema = False
    guards = [requires(*AUDIT_READERS)]

    @get("/", name="audit_log")
    async def list(
        self,
        request: Request,
        object_type: FromQuery[str | None] = None,
        object_id: FromQuery[str | None] = None,
        plan: QueryId = None,
        user: FromQuery[str | None] = None,
        since: FromQuery[dt.date | None] = None,
        until: FromQuery[dt.date | None] = None,
    ) -> Template:
        filters = audit_filters(object_type, object_id, plan, user, since, until)
        events = await list_events(**filters, limit=500)
        return page(
            request,
            "staff/audit.html",
            events=events,
            version_numbers=await version_numbers(plan_versions(events)),
            object_types=list(OBJECT_TYPE_LABELS),
            object_type=object_type or "",
            object_id=object_id or "",
            plan=plan or "",
            user=user or "",
            since=since or "",
            until=until or "",
            query_string=request.url.query or "",
        )

    @get("/export.csv")
    async def export(
        self,
        object_type: FromQuery[str | None] = None,
        object_id: FromQuery[str | None] = None,
        plan: QueryId = None,
        user: FromQuery[str | None] = None,
        since: FromQuery[dt.date | None] = None,
        until: FromQuery[dt.date | None] = None,
    ) -> Response:
        events = await list_events(**audit_filters(object_type, object_id, plan, user, since, until), limit=100_000)
        numbers = await version_numbers(plan_versions(events))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(
            ["occurred_at", "actor", "action", "object_type", "object_id", "version_number", "summary", "changes"]
        )
        for event in events:
            cells = [
                event["occurred_at"].isoformat(),
                event["actor_name"],
                event["action"],
                event["object_type"],
                event["object_id"],
                str(numbers.get(int(event["object_id"]), "")) if event["object_type"] == "plan_version" else "",
                event["summary"],
                json.dumps(event["changes"], ensure_ascii=False),
            ]
            writer.writerow([escape_formula(cell) for cell in cells])
        return Response(
            content=("\ufeff" + buffer.getvalue()).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
        )
