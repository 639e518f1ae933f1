"""Domain events: a lower app announces what happened, a higher app reacts inside the same transaction
(DESIGN §2: an approved plan creates booking slots, a cancelled booth notifies its residents).

Handlers are registered explicitly by ``wiring.register()``, which every entry point (the portal, the command line,
the tests) calls at start-up. Publishing before that raises ``HandlersNotRegistered``: an entry point that forgot it
fails loudly instead of approving a plan and publishing nothing."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

Handler = Callable[[Any], Awaitable[None]]
_handlers: dict[type, list[Handler]] = defaultdict(list)
_registered = False


class HandlersNotRegistered(RuntimeError):
    """An event was published in a process whose entry point did not call ``wiring.register()``."""


@dataclass(frozen=True)
class PlanApproved:
    """A plan version was approved: its sessions are to be published."""

    version_id: int
    actor_id: int | None


def subscribe(event_type: type, handler: Handler) -> None:
    """Register a handler (once) for an event type."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def mark_registered() -> None:
    """Every app has subscribed its handlers (called last by ``wiring.register()``)."""
    global _registered
    _registered = True


@contextlib.contextmanager
def unregistered() -> Iterator[None]:
    """For tests: the process as an entry point that never registered the handlers would see it."""
    global _registered, _handlers
    saved = (_registered, _handlers)
    _registered, _handlers = False, defaultdict(list)
    try:
        yield
    finally:
        _registered, _handlers = saved


async def publish(event: Any) -> None:
    """Run every handler of the event, in the caller's transaction; an exception aborts it."""
    if not _registered:
        raise HandlersNotRegistered(
            f"{type(event).__name__} published before the domain handlers were registered (call wiring.register())"
        )
    for handler in _handlers[type(event)]:
        await handler(event)
