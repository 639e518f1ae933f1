"""Domain events: a lower app announces what happened, a higher app reacts inside the same transaction
(DESIGN §2: an approved plan creates booking slots, a cancelled booth notifies its residents)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

Handler = Callable[[Any], Awaitable[None]]
_handlers: dict[type, list[Handler]] = defaultdict(list)


@dataclass(frozen=True)
class PlanApproved:
    """A plan version was approved: its sessions are to be published."""

    version_id: int
    actor_id: int | None


def subscribe(event_type: type, handler: Handler) -> None:
    """Register a handler (once) for an event type."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


async def publish(event: Any) -> None:
    """Run every handler of the event, in the caller's transaction; an exception aborts it."""
    for handler in _handlers[type(event)]:
        await handler(event)
