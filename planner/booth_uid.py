"""A booth's identity in calendars (会場カレンダー・招待): one UID from its first publication on, whatever versions of
the plan continue it, and how many versions it went through (the basis of its SEQUENCE).

A change to an approved plan copies each published session into the new version with ``origin`` pointing at the
session it continues; following ``origin`` back to the first session gives the same UID for every copy:
``booth-{first_session_id}@{host of BASE_URL}``. The venue feed and the partners' invitations both use it, so that a
calendar which got a booth from either recognises it in the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.settings import get_settings
from planner.tables import Session, SessionState

MAX_CHAIN = 1000  # more continuations than any plan has versions: a guard against a cycle in bad data


def uid_host() -> str:
    """The host part of every booth UID: the host of BASE_URL."""
    return urlsplit(get_settings().base_url).hostname or "outreach"


def uid_for(first_session_id: int) -> str:
    """The UID of the booth first published as session ``first_session_id``."""
    return f"booth-{first_session_id}@{uid_host()}"


@dataclass(frozen=True)
class BoothIdentity:
    """Where a session's booth began, and how many times it was continued by a later version since."""

    session_id: int
    first_session_id: int
    versions: int  # origin links followed: 0 for a booth that no change has continued

    @property
    def uid(self) -> str:
        return uid_for(self.first_session_id)

    def sequence(self, state: str = "") -> int:
        """The booth's SEQUENCE: one more for every version that continued it, and one more when it is cancelled."""
        return self.versions + (1 if state == SessionState.cancelled.value else 0)


async def booth_identities(
    session_ids: Iterable[int], origins: Mapping[int, int | None] | None = None
) -> dict[int, BoothIdentity]:
    """The identity of each session, walking the origin links of all of them together (one query per link;
    ``origins``: the sessions' own origins when the caller has read them already, which saves the first query)."""
    wanted = list(dict.fromkeys(session_ids))
    current = {sid: sid for sid in wanted}  # session -> the earliest session found so far on its chain
    hops = dict.fromkeys(wanted, 0)
    open_ids = set(wanted)
    known = dict(origins) if origins is not None and set(wanted) <= set(origins) else None
    for _step in range(MAX_CHAIN):
        if not open_ids:
            break
        if known is not None:
            origin, known = known, None
        else:
            frontier = sorted({current[sid] for sid in open_ids})
            rows = await Session.select(Session.id, Session.origin).where(Session.id.is_in(frontier))
            origin = {row["id"]: row["origin"] for row in rows}
        for sid in list(open_ids):
            parent = origin.get(current[sid])
            if parent is None or parent == current[sid]:  # the first session (or an unknown one): stop here
                open_ids.discard(sid)
            else:
                current[sid], hops[sid] = parent, hops[sid] + 1
    return {sid: BoothIdentity(session_id=sid, first_session_id=current[sid], versions=hops[sid]) for sid in wanted}


async def booth_identity(session_id: int) -> BoothIdentity:
    """The identity of one session's booth."""
    return (await booth_identities([session_id]))[session_id]


async def booth_uid(session_id: int) -> str:
    """The calendar UID of a session's booth, the same for every version that continues it."""
    return (await booth_identity(session_id)).uid


PUBLISHED_STATES = (
    SessionState.published.value,
    SessionState.held.value,
    SessionState.superseded.value,
    SessionState.cancelled.value,
)
"""States of a session that was published once (a draft's session, even one continuing a booth, never was)."""


async def current_session(session_id: int) -> int | None:
    """The session that stands for the booth of ``session_id`` now (公開中の会場): ``session_id`` itself, or the
    session of the latest approved version that continues it; None for an id that no published booth ever had.

    Every id a booth ever had resolves this way: the first one (its public id, kept in every URL and QR code) and
    those of the versions since, so that no link, bookmark or printed flyer of a continuing booth dies."""
    row = await Session.select(Session.id, Session.state).where(Session.id == session_id).first()
    if row is None or row["state"] not in PUBLISHED_STATES:
        return None
    current = session_id
    for _step in range(MAX_CHAIN):
        later = (
            await Session.select(Session.id)
            .where((Session.origin == current) & Session.state.is_in(list(PUBLISHED_STATES)))
            .order_by(Session.id, ascending=False)
            .first()
        )
        if later is None:
            break
        current = later["id"]
    return current
