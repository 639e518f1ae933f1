"""The audit log: one AuditEvent per change or sensitive view, written inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from core import clock
from core.clock import JST
from core.tables import AuditEvent

if TYPE_CHECKING:
    from core.users import Actor


async def record_event(
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: str | int,
    summary: str = "",
    changes: Mapping[str, Any] | None = None,
    scope: str = "",
) -> None:
    """Write one audit entry: who (``actor``; None for the system) did ``action`` to which object."""
    await AuditEvent.insert(
        AuditEvent(
            occurred_at=clock.now(),
            actor_id=actor.id if actor else None,
            actor_name=actor.username if actor else "system",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            summary=summary,
            changes=dict(changes or {}),
            scope=scope,
        )
    )


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{field: {"before": old, "after": new}}`` for every field whose value changed."""
    return {
        key: {"before": before.get(key), "after": value} for key, value in after.items() if before.get(key) != value
    }


async def list_events(
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    scope: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The newest audit entries, filtered by object, scope (e.g. ``plan:12``), who, what and when (dates in Japan
    time, both included); ``changes`` as a dict."""
    query = (
        AuditEvent.select().order_by(AuditEvent.occurred_at, ascending=False).order_by(AuditEvent.id, ascending=False)
    )
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id:
        query = query.where(AuditEvent.object_id == str(object_id))
    if scope:
        query = query.where(AuditEvent.scope == scope)
    if actor:
        query = query.where(AuditEvent.actor_name == actor)
    if action:
        query = query.where(AuditEvent.action.like(f"{action}%"))
    if since:
        query = query.where(AuditEvent.occurred_at >= dt.datetime.combine(since, dt.time(), JST))
    if until:
        query = query.where(AuditEvent.occurred_at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), JST))
    events = await query.limit(limit)
    for event in events:  # Piccolo returns JSON columns as text
        if isinstance(event["changes"], str):
            event["changes"] = json.loads(event["changes"] or "{}")
    return events
