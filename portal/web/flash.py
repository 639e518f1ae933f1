"""One-time messages after a successful edit (フラッシュメッセージ): a code kept in the session cookie by the POST
that made the change and shown, in the reader's language, on the next page that is rendered."""

from __future__ import annotations

from litestar import Request

from core.i18n import N_
from core.i18n import gettext as _

FLASH_KEY = "flash"

MESSAGES: dict[str, str] = {
    "plan.created": N_("The plan was created. The planner is working on it."),
    "plan.replan_requested": N_("Re-planning started: locked sessions stay, the rest is planned again."),
    "plan.submitted": N_("The plan was submitted to the city for review."),
    "plan.approved": N_("The plan was approved; its booths are published."),
    "plan.returned": N_("The plan was returned to the contractor with your comments."),
    "plan.change_started": N_("A change was started: a new draft version with every booth locked."),
    "review.comments_saved": N_("Your comments were saved."),
    "session.locked": N_("The session was locked."),
    "session.unlocked": N_("The session was unlocked."),
    "session.moved": N_("The session was moved to the new date."),
    "session.venue_swapped": N_("The session was moved to the other venue."),
    "session.removed": N_("The session was removed."),
    "session.added": N_("The session was added (locked)."),
    "office.saved": N_("The office's settings were saved."),
    "office_service.saved": N_("The service was saved."),
    "office_day.saved": N_("The day was saved."),
    "office_day.cleared": N_("The day was removed; the office's usual rule applies again."),
}


def flash(request: Request, code: str) -> None:
    """Show the message ``code`` (a key of MESSAGES) on the next page this browser opens."""
    session = request.scope.get("session")
    if isinstance(session, dict) and code in MESSAGES:
        request.set_session({**session, FLASH_KEY: code})


def take_flash(request: Request) -> str | None:
    """The pending message, translated, once: reading it removes it from the session."""
    session = request.scope.get("session")
    if not isinstance(session, dict) or FLASH_KEY not in session:
        return None
    code = session.get(FLASH_KEY)
    request.set_session({key: value for key, value in session.items() if key != FLASH_KEY})
    return _(MESSAGES[code]) if code in MESSAGES else None
