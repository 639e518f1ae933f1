"""Calendar invitations for venue partners (会場パートナーへの予定招待): when a plan is approved, each booth's venue
partner gets an iTIP invitation by email (METHOD:REQUEST, a UID that stays with the booth, SEQUENCE raised on every
change, METHOD:CANCEL when it is cancelled), and answers accept or decline with a signed link, without an account.

``invitation_ics`` is a pure function; the services run inside the caller's transaction (the approval) or their own.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

import babel.dates
from icalendar import Calendar, Event, vCalAddress

from core import clock
from core.audit import record_event
from core.clock import JST
from core.db import write_transaction
from core.errors import Conflict, NotFound
from core.i18n import DEFAULT_LOCALE, babel_locale, is_japanese, using_locale
from core.i18n import gettext as _
from core.outbox import queue_email
from core.settings import get_settings
from core.tables import StaffUser
from core.users import Actor
from planner.booth_uid import booth_identities
from planner.services import get_version, plan_scope
from planner.tables import Invitation, InvitationResponse, InvitationState, Session, SessionState
from planner.workflow import contractor_emails

PRODID = "-//outreach//partner invitations//JA"
PARTNER_LOCALE = DEFAULT_LOCALE  # venues keep no language for their partner: Japanese
KIND = "venue.partner"  # the outbox kind of every email to a venue partner
DECLINE_KIND = "invitation.declined"
ANSWERS = {"accept": InvitationResponse.accepted, "decline": InvitationResponse.declined}
MAX_NOTE = 1000


@dataclass(frozen=True)
class Booth:
    """What an invitation says about one booth."""

    session_id: int
    venue_id: int
    venue_name: str
    address: str
    partner_name: str
    partner_email: str
    date: dt.date
    start: dt.time
    end: dt.time
    plan_id: int
    version_id: int

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start, JST)

    @property
    def ends_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.end, JST)

    @property
    def location(self) -> str:
        return f"{self.venue_name}, {self.address}" if self.address else self.venue_name

    def same_time_and_place(self, other: Booth) -> bool:
        return (self.venue_id, self.date, self.start, self.end) == (other.venue_id, other.date, other.start, other.end)


def invitation_ics(
    *,
    method: str,
    uid: str,
    sequence: int,
    stamp: dt.datetime,
    start: dt.datetime,
    end: dt.datetime,
    summary: str,
    location: str,
    description: str,
    organizer_email: str,
    organizer_name: str,
    attendee_email: str,
    attendee_name: str,
) -> str:
    """One booth as an iTIP object (RFC 5546): METHOD:REQUEST (an invitation or its update) or METHOD:CANCEL (with
    STATUS:CANCELLED), its VTIMEZONE (Asia/Tokyo), ORGANIZER and the partner as the ATTENDEE asked to answer."""
    method = method.upper()
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unknown iTIP method {method!r}")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", start.astimezone(JST))
    event.add("dtend", end.astimezone(JST))
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    organizer = vCalAddress(f"mailto:{organizer_email}")
    organizer.params["CN"] = organizer_name
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{attendee_email}")
    attendee.params["CN"] = attendee_name
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = "NEEDS-ACTION"
    attendee.params["RSVP"] = "TRUE"
    event.add("attendee", attendee)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()


# --- the answer links --------------------------------------------------------------------------------------------


def answer_token(invitation_id: int, uid: str, sequence: int, answer: str) -> str:
    """The secret of one answer link: an HMAC (SECRET_KEY) of the invitation, its booth, its sequence and the
    answer, so a link answers only that question and stops working when the booth changes."""
    message = f"invitation:{invitation_id}:{uid}:{sequence}:{answer}".encode()
    digest = hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def answer_url(invitation_id: int, uid: str, sequence: int, answer: str) -> str:
    """The link a partner follows to accept or decline (it opens a page that asks to confirm)."""
    token = answer_token(invitation_id, uid, sequence, answer)
    return f"{get_settings().base_url}/invitations/{invitation_id}/{answer}?token={token}"


def _token_matches(invitation: dict[str, Any], sequence: int, answer: str, token: str) -> bool:
    expected = answer_token(invitation["id"], invitation["uid"], sequence, answer)
    return hmac.compare_digest(expected.encode(), token.encode())


# --- the messages ------------------------------------------------------------------------------------------------


def _day(date: dt.date) -> str:
    pattern = "y年M月d日（E）" if is_japanese() else "EEE, d MMMM y"
    return babel.dates.format_date(date, format=pattern, locale=babel_locale())


def _values(booth: Booth) -> dict[str, str]:
    return {
        "venue": booth.venue_name,
        "date": _day(booth.date),
        "start": booth.start.strftime("%H:%M"),
        "end": booth.end.strftime("%H:%M"),
    }


def _subject_values(booth: Booth) -> dict[str, str]:
    return {"venue": booth.venue_name, "date": booth.date.isoformat()}


def _answer_lines(invitation_id: int, uid: str, sequence: int) -> list[str]:
    return [
        _("Please tell us whether the booth can take place as planned:"),
        _("Accept: {url}").format(url=answer_url(invitation_id, uid, sequence, "accept")),
        _("Decline: {url}").format(url=answer_url(invitation_id, uid, sequence, "decline")),
        _("(The accept and decline buttons of your calendar app do not reach us; please use these links.)"),
    ]


def _messages(kind: str, booth: Booth, invitation_id: int, uid: str, sequence: int) -> tuple[str, str, str]:
    """(subject, body, calendar description) of an invitation (``new``), its update (``changed``) or its
    cancellation (``cancelled``), in the current locale."""
    values = _values(booth)
    if kind == "cancelled":
        subject = _("[outreach] Cancelled: booth at {venue} on {date}").format(**_subject_values(booth))
        lead = [
            _("The My Number Card application booth at {venue} on {date}, {start}–{end}, is cancelled.").format(
                **values
            ),
            _("The attached calendar update removes it from your calendar."),
        ]
        answer: list[str] = []
    else:
        if kind == "changed":
            subject = _("[outreach] Changed: booth at {venue} on {date}").format(**_subject_values(booth))
            lead = [
                _(
                    "The My Number Card application booth at your venue has changed. It is now at {venue} on "
                    "{date}, {start}–{end}."
                ).format(**values)
            ]
        else:
            subject = _("[outreach] Booth at {venue} on {date}").format(**_subject_values(booth))
            lead = [
                _("A My Number Card application booth is planned at {venue} on {date}, {start}–{end}.").format(**values)
            ]
        lead.append(_("The calendar invitation is attached; your calendar app can add it."))
        answer = _answer_lines(invitation_id, uid, sequence)
    greeting = _("Dear {name},").format(name=booth.partner_name or booth.venue_name)
    body = "\n".join([greeting, "", *lead, *([""] + answer if answer else []), "", _("My Number Card outreach")])
    description = "\n".join([*lead, *([""] + answer if answer else [])])
    return subject, body, description


async def _send(kind: str, booth: Booth, invitation_id: int, uid: str, sequence: int, email: str) -> None:
    """Queue one invitation email (text and calendar) to a partner, in the partner's language."""
    settings = get_settings()
    organizer = parseaddr(settings.mail_from)[1] or settings.mail_from
    with using_locale(PARTNER_LOCALE):
        subject, body, description = _messages(kind, booth, invitation_id, uid, sequence)
        method = "CANCEL" if kind == "cancelled" else "REQUEST"
        ics = invitation_ics(
            method=method,
            uid=uid,
            sequence=sequence,
            stamp=clock.now(),
            start=booth.starts_at,
            end=booth.ends_at,
            summary=_("My Number Card application booth ({venue})").format(venue=booth.venue_name),
            location=booth.location,
            description=description,
            organizer_email=organizer,
            organizer_name=_("My Number Card outreach"),
            attendee_email=email,
            attendee_name=booth.partner_name or booth.venue_name,
        )
    await queue_email(email, subject, body, kind=KIND, calendar=ics, method=method)


# --- publishing ----------------------------------------------------------------------------------------------------


async def _booths(session_ids: list[int]) -> dict[int, Booth]:
    if not session_ids:
        return {}
    rows = await Session.select(
        Session.id,
        Session.date,
        Session.start,
        Session.end,
        Session.venue,
        Session.version,
        Session.venue.name,
        Session.venue.address,
        Session.venue.partner_name,
        Session.venue.partner_email,
        Session.version.plan,
    ).where(Session.id.is_in(session_ids))
    return {
        row["id"]: Booth(
            session_id=row["id"],
            venue_id=row["venue"],
            venue_name=row["venue.name"],
            address=row["venue.address"],
            partner_name=row["venue.partner_name"],
            partner_email=(row["venue.partner_email"] or "").strip(),
            date=row["date"],
            start=row["start"],
            end=row["end"],
            plan_id=row["version.plan"],
            version_id=row["version"],
        )
        for row in rows
    }


async def _invite(booth: Booth, uid: str, sequence: int) -> None:
    """A new invitation of a booth to its venue's partner, and its email."""
    rows = await Invitation.insert(
        Invitation(
            uid=uid,
            session=booth.session_id,
            venue=booth.venue_id,
            partner_email=booth.partner_email,
            partner_name=booth.partner_name,
            sequence=sequence,
        )
    ).returning(Invitation.id)
    await _send("new", booth, rows[0]["id"], uid, sequence, booth.partner_email)


async def _cancel(invitation: dict[str, Any], booth: Booth, sequence: int) -> None:
    """Cancel an invitation (it stays with the session it was about) and send METHOD:CANCEL for that booth."""
    await Invitation.update(
        {
            Invitation.state: InvitationState.cancelled.value,
            Invitation.sequence: sequence,
            Invitation.updated_at: clock.now(),
        }
    ).where(Invitation.id == invitation["id"])
    await _send("cancelled", booth, invitation["id"], invitation["uid"], sequence, invitation["partner_email"])


async def booths_published(new_ids: list[int], continued: list[tuple[int, int]], cancelled_ids: list[int]) -> None:
    """Tell venue partners what an approval published, inside its transaction: a new booth gets an invitation
    (METHOD:REQUEST); a booth continued from the previous version (``continued`` holds (old, new) session ids)
    keeps its invitation, and when its date, time or venue changed the partner gets an update with a higher
    SEQUENCE (another venue's partner: a cancellation to the old one, an invitation to the new one); a cancelled
    booth's partner gets METHOD:CANCEL. A venue without a partner email gets nothing."""
    old_ids = [old for old, _new in continued]
    current_ids = [*new_ids, *(new for _old, new in continued)]
    booths = await _booths([*current_ids, *old_ids, *cancelled_ids])
    identities = await booth_identities([*current_ids, *cancelled_ids])
    active = {
        row["session"]: row
        for row in await Invitation.select().where(
            Invitation.session.is_in([*old_ids, *cancelled_ids] or [-1])
            & (Invitation.state == InvitationState.sent.value)
        )
    }

    for session_id in new_ids:
        booth = booths[session_id]
        if booth.partner_email:
            identity = identities[session_id]
            await _invite(booth, identity.uid, identity.sequence())

    for old_id, new_id in continued:
        before, after, invitation = booths[old_id], booths[new_id], active.get(old_id)
        identity = identities[new_id]
        if before.same_time_and_place(after):
            if invitation is not None:  # the same booth: its invitation follows it to the new session
                await Invitation.update({Invitation.session: new_id}).where(Invitation.id == invitation["id"])
            continue
        if invitation is not None and invitation["partner_email"] == after.partner_email:
            sequence = max(invitation["sequence"] + 1, identity.sequence())
            await Invitation.update(
                {
                    Invitation.session: new_id,
                    Invitation.venue: after.venue_id,
                    Invitation.sequence: sequence,
                    Invitation.partner_name: after.partner_name,
                    Invitation.response: InvitationResponse.needs_action.value,
                    Invitation.responded_at: None,
                    Invitation.response_note: "",
                    Invitation.updated_at: clock.now(),
                }
            ).where(Invitation.id == invitation["id"])
            await _send("changed", after, invitation["id"], invitation["uid"], sequence, after.partner_email)
            continue
        sequence = identity.sequence()
        if invitation is not None:  # another partner now: the old one's calendar drops the booth
            sequence = max(sequence, invitation["sequence"] + 1)
            await _cancel(invitation, before, sequence)
        if after.partner_email:
            await _invite(after, identity.uid, sequence)

    for session_id in cancelled_ids:
        invitation = active.get(session_id)
        if invitation is not None:
            sequence = max(invitation["sequence"] + 1, identities[session_id].sequence(SessionState.cancelled.value))
            await _cancel(invitation, booths[session_id], sequence)


async def invite_missing_partners(actor: Actor, plan_id: int) -> int:
    """Invite venue partners to the plan's published booths still to come that have no invitation: their venue had
    no partner email when the booth was published, and one was added since. Returns how many were invited;
    audited. Booths already invited, already started or at venues still without an email are left alone."""
    now = clock.now()
    async with write_transaction():
        rows = await Session.select(Session.id, Session.date, Session.start).where(
            (Session.version.plan == plan_id) & (Session.state == SessionState.published.value)
        )
        upcoming = [row["id"] for row in rows if dt.datetime.combine(row["date"], row["start"], JST) > now]
        invitations = await Invitation.select(Invitation.session, Invitation.state, Invitation.sequence).where(
            Invitation.session.is_in(upcoming or [-1])
        )
        invited = {row["session"] for row in invitations if row["state"] == InvitationState.sent.value}
        cancelled_sequence: dict[int, int] = {}
        for row in invitations:  # an earlier partner's invitation was cancelled: the new one must come after it
            if row["state"] == InvitationState.cancelled.value:
                cancelled_sequence[row["session"]] = max(cancelled_sequence.get(row["session"], 0), row["sequence"])
        booths = await _booths([sid for sid in upcoming if sid not in invited])
        ready = [booth for booth in booths.values() if booth.partner_email]
        identities = await booth_identities([booth.session_id for booth in ready])
        for booth in sorted(ready, key=lambda b: (b.date, b.start, b.session_id)):
            identity = identities[booth.session_id]
            sequence = identity.sequence()
            if booth.session_id in cancelled_sequence:
                sequence = max(sequence, cancelled_sequence[booth.session_id] + 1)
            await _invite(booth, identity.uid, sequence)
        if ready:
            await record_event(
                actor,
                "invitations.sent",
                "plan",
                plan_id,
                _("{n} partners invited to booths already published").format(n=len(ready)),
                {"invited": {"before": None, "after": len(ready)}},
                scope=plan_scope(plan_id),
            )
    return len(ready)


# --- answers -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationView:
    """An invitation as the partner's answer page shows it."""

    id: int
    answer: str  # accept | decline: what the link asks to record
    token: str
    venue_name: str
    address: str
    date: dt.date
    start: dt.time
    end: dt.time
    response: str  # needs-action | accepted | declined

    @property
    def answered(self) -> bool:
        return self.response != InvitationResponse.needs_action.value


async def _checked(invitation_id: int, answer: str, token: str | None) -> dict[str, Any]:
    """The invitation behind an answer link. NotFound for an unknown invitation, answer or token (the same for
    all three: a link's existence is not revealed without its key); Conflict for a link of an earlier version of
    the booth, or a cancelled booth."""
    invitation = (
        await Invitation.select(
            *Invitation.all_columns(),
            Invitation.session.date,
            Invitation.session.start,
            Invitation.session.end,
            Invitation.session.version,
            Invitation.session.version.plan,
            Invitation.venue.name,
            Invitation.venue.address,
        )
        .where(Invitation.id == invitation_id)
        .first()
    )
    not_found = NotFound(_("This answer link is not valid. Please use the link in the latest email about the booth."))
    if invitation is None or answer not in ANSWERS or not token:
        raise not_found
    current = _token_matches(invitation, invitation["sequence"], answer, token)
    if not current and not any(
        _token_matches(invitation, earlier, answer, token) for earlier in range(invitation["sequence"])
    ):
        raise not_found
    if invitation["state"] == InvitationState.cancelled.value:
        raise Conflict(_("This booth is cancelled; there is nothing to answer."))
    if not current:
        raise Conflict(
            _(
                "The booth has changed since this email was sent. Please answer with the links in the "
                "latest email about it."
            )
        )
    return invitation


def _view(invitation: dict[str, Any], answer: str, token: str, response: str | None = None) -> InvitationView:
    return InvitationView(
        id=invitation["id"],
        answer=answer,
        token=token,
        venue_name=invitation["venue.name"],
        address=invitation["venue.address"],
        date=invitation["session.date"],
        start=invitation["session.start"],
        end=invitation["session.end"],
        response=response or invitation["response"],
    )


async def invitation_for_answer(invitation_id: int, answer: str, token: str | None) -> InvitationView:
    """The booth and current answer behind an answer link (for the page that asks the partner to confirm)."""
    return _view(await _checked(invitation_id, answer, token), answer, token or "")


async def answer_invitation(invitation_id: int, answer: str, token: str | None, note: str = "") -> InvitationView:
    """Record a partner's answer to the current sequence of an invitation, once: a second answer is refused
    (Conflict). Writes the audit log; a decline tells the contractor (the submitter and the leads) by email."""
    note = note.strip()[:MAX_NOTE]
    async with write_transaction():
        invitation = await _checked(invitation_id, answer, token)
        response = ANSWERS[answer].value
        recorded = (
            await Invitation.update(
                {
                    Invitation.response: response,
                    Invitation.responded_at: clock.now(),
                    Invitation.response_note: note,
                    Invitation.updated_at: clock.now(),
                }
            )
            .where(
                (Invitation.id == invitation_id)
                & (Invitation.sequence == invitation["sequence"])
                & (Invitation.state == InvitationState.sent.value)
                & (Invitation.response == InvitationResponse.needs_action.value)
            )
            .returning(Invitation.id)
        )
        if not recorded:
            raise Conflict(
                _("This invitation has already been answered. If your answer has changed, please contact the staff.")
            )
        booth_text = f"{invitation['venue.name']} {invitation['session.date'].isoformat()}"
        await record_event(
            None,
            f"invitation.{response}",
            "invitation",
            invitation_id,
            booth_text,
            {
                "response": {"before": invitation["response"], "after": response},
                "sequence": {"after": invitation["sequence"]},
            },
            scope=plan_scope(invitation["session.version.plan"]),
        )
        if response == InvitationResponse.declined.value:
            await _tell_staff_of_decline(invitation, note)
    return _view(invitation, answer, token or "", response)


async def _tell_staff_of_decline(invitation: dict[str, Any], note: str) -> None:
    """Queue a notice of a declined booth to the contractor (the version's submitter and the leads), each in their
    own language."""
    version = await get_version(invitation["session.version"])
    recipients = await contractor_emails(version)
    languages = {
        row["email"]: row["preferred_language"]
        for row in await StaffUser.select(StaffUser.email, StaffUser.preferred_language).where(
            StaffUser.email.is_in(recipients or ["-"])
        )
    }
    url = f"{get_settings().base_url}/staff/plans/{invitation['session.version.plan']}/invitations"
    for recipient in recipients:
        with using_locale(languages.get(recipient)):
            values = {
                "venue": invitation["venue.name"],
                "date": _day(invitation["session.date"]),
                "start": invitation["session.start"].strftime("%H:%M"),
                "end": invitation["session.end"].strftime("%H:%M"),
            }
            subject = _("[outreach] Declined by the venue: booth at {venue} on {date}").format(
                venue=invitation["venue.name"], date=invitation["session.date"].isoformat()
            )
            lines = [_("The partner of {venue} declined the booth on {date}, {start}–{end}.").format(**values)]
            if note:
                lines.append(_("Their note: {note}").format(note=note))
            lines += ["", _("The partners' answers for every booth of the plan: {url}").format(url=url)]
            await queue_email(recipient, subject, "\n".join(lines), kind=DECLINE_KIND)


# --- the staff's view ----------------------------------------------------------------------------------------------


async def plan_invitations(plan_id: int) -> dict[str, Any]:
    """Each published booth of a plan with its invitation (None where the venue has no partner email, or had none
    when the booth was published: ``can_invite`` then says the partner can be invited now) and the partner's answer,
    and the cancelled invitations of the plan, newest first."""
    now = clock.now()
    sessions = (
        await Session.select(
            Session.id,
            Session.date,
            Session.start,
            Session.end,
            Session.state,
            Session.venue.name,
            Session.venue.venue_id,
            Session.venue.partner_email,
            Session.venue.partner_name,
        )
        .where(
            (Session.version.plan == plan_id)
            & Session.state.is_in([SessionState.published.value, SessionState.held.value])
        )
        .order_by(Session.date)
        .order_by(Session.id)
    )
    current = {
        row["session"]: row
        for row in await Invitation.select().where(
            Invitation.session.is_in([s["id"] for s in sessions] or [-1])
            & (Invitation.state == InvitationState.sent.value)
        )
    }
    booths = [
        {
            **session,
            "invitation": current.get(session["id"]),
            "can_invite": session["id"] not in current
            and bool((session["venue.partner_email"] or "").strip())
            and session["state"] == SessionState.published.value
            and dt.datetime.combine(session["date"], session["start"], JST) > now,
        }
        for session in sessions
    ]
    cancelled = (
        await Invitation.select(
            *Invitation.all_columns(),
            Invitation.session.date,
            Invitation.session.start,
            Invitation.session.end,
            Invitation.venue.name,
        )
        .where((Invitation.session.version.plan == plan_id) & (Invitation.state == InvitationState.cancelled.value))
        .order_by(Invitation.updated_at, ascending=False)
    )
    counts = {state.value: 0 for state in InvitationResponse}
    for booth in booths:
        if booth["invitation"]:
            counts[booth["invitation"]["response"]] += 1
    counts["none"] = sum(1 for booth in booths if not booth["invitation"] and not booth["venue.partner_email"])
    counts["to_invite"] = sum(1 for booth in booths if booth["can_invite"])
    return {"booths": booths, "cancelled": cancelled, "counts": counts}
