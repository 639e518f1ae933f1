"""The outbox as staff see it (送信キュー): queued, sent and failed messages, sending one again, retrying now.

A message shown on the console because no mail server is set (``shown``) was not sent, and the page says so; it can be
sent again once SMTP_URL is set. Staff open a message to read what it says: secret links (manage and answer tokens,
booking codes in links) are redacted and residents' addresses masked, and opening a resident's message is recorded in
the audit log like every view of booking data (DESIGN §3).

A sent or failed message is never changed: sending it again queues a copy, so the record of what went out (and what
did not) stays as it was. Residents' addresses are shown masked (h***@example.jp, DESIGN §7); staff and venue
partners' addresses are shown as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count

from core.audit import record_event
from core.db import write_transaction
from core.errors import InvalidTransition, NotFound
from core.i18n import gettext as _
from core.logs import redact
from core.outbox import SHOWN, mask_addresses, mask_email
from core.settings import get_settings
from core.tables import OutboxMessage
from core.users import Actor

STATUSES = ("queued", "sent", SHOWN, "failed")
RESENDABLE = ("sent", SHOWN, "failed")
RESIDENT_KIND_PREFIX = "booking."  # messages to residents about their bookings
# What a copy starts afresh with; every other column (recipient, subject, body, kind, a calendar part...) is copied.
FRESH_COLUMNS = ("id", "created_at", "status", "attempts", "next_attempt_at", "last_error", "sent_at")


def is_resident_message(kind: str) -> bool:
    """Whether a message of this kind goes to a resident (whose address staff see masked)."""
    return (kind or "").startswith(RESIDENT_KIND_PREFIX)


def shown_recipient(recipient: str, kind: str) -> str:
    """The recipient as the outbox page shows it."""
    return mask_email(recipient) if is_resident_message(kind) else recipient


def shown_error(error: str, kind: str) -> str:
    """The last error as the page shows it: a mail server's rejection often quotes the address; a resident's is
    masked there too."""
    return mask_addresses(error) if is_resident_message(kind) else error


def mail_server_configured() -> bool:
    """Whether messages go to a mail server (SMTP_URL) or are only shown on the console."""
    return bool(get_settings().smtp_url)


@dataclass(frozen=True)
class OutboxEntry:
    """One message as listed for staff (no body: it may hold a resident's link and code)."""

    id: int
    created_at: dt.datetime
    recipient: str  # masked for residents
    subject: str
    kind: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str
    sent_at: dt.datetime | None

    @property
    def can_resend(self) -> bool:
        return self.status in RESENDABLE

    @property
    def can_retry(self) -> bool:
        return self.status == "queued"


def _entry(row: dict[str, Any]) -> OutboxEntry:
    return OutboxEntry(
        id=row["id"],
        created_at=row["created_at"],
        recipient=shown_recipient(row["recipient"], row["kind"]),
        subject=row["subject"],
        kind=row["kind"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"] if row["status"] == "queued" else None,
        last_error=shown_error(row["last_error"] or "", row["kind"]),
        sent_at=row["sent_at"],
    )


async def list_messages(status: str | None = None, limit: int = 200) -> list[OutboxEntry]:
    """The newest messages, optionally only those in one status (queued, sent, failed)."""
    query = (
        OutboxMessage.select(
            OutboxMessage.id,
            OutboxMessage.created_at,
            OutboxMessage.recipient,
            OutboxMessage.subject,
            OutboxMessage.kind,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.next_attempt_at,
            OutboxMessage.last_error,
            OutboxMessage.sent_at,
        )
        .order_by(OutboxMessage.id, ascending=False)
        .limit(limit)
    )
    if status:
        query = query.where(OutboxMessage.status == status)
    return [_entry(row) for row in await query]


@dataclass(frozen=True)
class OutboxContent:
    """One message as staff read it: its list entry and its text with secrets redacted."""

    entry: OutboxEntry
    body: str
    has_calendar: bool
    calendar_method: str


def shown_body(body: str, kind: str) -> str:
    """A message's text as staff may read it: every link's token (manage, answer) and a booking code in a link
    redacted, and a resident's address masked."""
    text = "\n".join(redact(line) for line in body.splitlines())
    return mask_addresses(text) if is_resident_message(kind) else text


async def message_content(actor: Actor, message_id: int) -> OutboxContent:
    """One message with its text, for staff; a resident's message is personal data, so opening it is audited."""
    row = await _message(message_id)
    if is_resident_message(row["kind"]):
        async with write_transaction():
            await record_event(actor, "outbox.viewed", "outbox_message", message_id, row["kind"])
    return OutboxContent(
        entry=_entry(row),
        body=shown_body(row["body"], row["kind"]),
        has_calendar=bool(row["calendar"]),
        calendar_method=row["calendar_method"] or "",
    )


async def status_counts() -> dict[str, int]:
    """How many messages are in each status (every status present, zero when none)."""
    rows = await OutboxMessage.select(OutboxMessage.status, Count(alias="n")).group_by(OutboxMessage.status)
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({row["status"]: int(row["n"]) for row in rows})
    return counts


async def _message(message_id: int) -> dict[str, Any]:
    row = await OutboxMessage.select().where(OutboxMessage.id == message_id).first()
    if row is None:
        raise NotFound(_("That message was not found."))
    return row


async def resend_message(actor: Actor, message_id: int) -> int:
    """Queue a copy of a sent or failed message, to go out at the next run of the sender; the original is left as
    it is. Audited; returns the copy's id."""
    async with write_transaction():
        row = await _message(message_id)
        if row["status"] not in RESENDABLE:
            raise InvalidTransition(_("This message is still queued: use “Retry now” instead of sending it again."))
        copy = OutboxMessage(**{key: value for key, value in row.items() if key not in FRESH_COLUMNS})
        new_id: int = (await OutboxMessage.insert(copy).returning(OutboxMessage.id))[0]["id"]
        await record_event(
            actor,
            "outbox.resent",
            "outbox_message",
            new_id,
            f"{row['kind']} #{message_id}",
            {"resent_from": {"before": None, "after": message_id}},
        )
    return new_id


async def retry_now(actor: Actor, message_id: int) -> None:
    """Make a queued message due now instead of at the end of its back-off (e.g. once the mail server is back)."""
    async with write_transaction():
        row = await _message(message_id)
        due = (
            await OutboxMessage.update({OutboxMessage.next_attempt_at: dt.datetime.now(dt.UTC)})
            .where((OutboxMessage.id == message_id) & (OutboxMessage.status == "queued"))
            .returning(OutboxMessage.id)
        )
        if not due:
            raise InvalidTransition(_("Only a queued message can be retried; send a sent or failed one again."))
        await record_event(actor, "outbox.retried", "outbox_message", message_id, row["kind"])
