"""The outbox: emails are queued in the transaction of the change that causes them and sent afterwards, retried
with back-off while the mail server is down, never lost and never sent twice. Without SMTP_URL they are shown on
the console instead (development) and marked ``shown`` (コンソールに表示・未送信), never ``sent``: nobody received them,
and staff can send them again once a mail server is set.

A message that can never go out as it is (it cannot be built, or the mail server refuses it for good with a 5xx
reply to its recipient or content) is marked failed at once with its reason, and the others of its batch go on;
staff see it on /staff/outbox. What a failure leaves in the log and in ``last_error`` carries ids and SMTP codes,
with every email address masked (DESIGN §7)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import smtplib
from email.errors import MessageError
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

from core import clock
from core.jobs import Registry, default_registry
from core.logs import redact
from core.settings import get_settings
from core.tables import OutboxMessage

log = logging.getLogger("outreach.outbox")
MAX_BACKOFF = dt.timedelta(hours=1)
MAX_ATTEMPTS = 20  # then "failed" (about 11 hours of back-off): staff see it on /staff/outbox and send it again
SENDER = "outreach@localhost"
SENT, SHOWN = "sent", "shown"  # delivered to the mail server | only written to the console (no SMTP_URL)


CALENDAR_METHODS = ("REQUEST", "CANCEL", "PUBLISH")


async def queue_email(
    recipient: str, subject: str, body: str, kind: str = "", calendar: str = "", method: str = ""
) -> None:
    """Queue one email (call inside the transaction of the change that causes it); ``calendar`` is an optional
    iCalendar object (an iTIP invitation) sent with its ``method`` beside the text."""
    if calendar and method.upper() not in CALENDAR_METHODS:
        raise ValueError(f"unknown iTIP method {method!r}")
    await OutboxMessage.insert(
        OutboxMessage(
            created_at=clock.now(),
            recipient=recipient,
            subject=subject,
            body=body,
            kind=kind,
            calendar=calendar,
            calendar_method=method.upper() if calendar else "",
        )
    )


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_EMAIL = re.compile(r"[^\s<>@\"',;:()\[\]{}]+@[^\s<>@\"',;:()\[\]{}]+")
# What cannot succeed on a later attempt either: a message that cannot be built or encoded.
UNBUILDABLE = (ValueError, TypeError, UnicodeError, MessageError)


def header_text(value: str) -> str:
    """A header value on one line: line breaks and other control characters (from a venue name, say) become a
    space; the email library refuses a header with a line break, and it could add headers of its own."""
    return _CONTROL.sub(" ", value).strip()


def build_message(row: dict[str, Any], sender: str) -> EmailMessage:
    """The email of an outbox row. With a calendar part it is laid out as Google Calendar sends invitations, which
    Outlook, Google and Apple all read: multipart/mixed of (multipart/alternative of text/plain and
    text/calendar; method=...) and the same object as the attachment invite.ics."""
    message = EmailMessage()
    message["From"], message["To"] = sender, row["recipient"]
    message["Subject"] = header_text(row["subject"])
    message.set_content(row["body"])
    if row.get("calendar"):
        method = row["calendar_method"] or "PUBLISH"
        data = row["calendar"].encode()  # as bytes (base64): the CRLF line ends RFC 5545 requires stay as they are
        message.add_alternative(
            data, maintype="text", subtype="calendar", params={"method": method, "charset": "UTF-8"}
        )
        message.add_attachment(data, maintype="application", subtype="ics", filename="invite.ics")
    return message


def _send_smtp(url: str, message: EmailMessage) -> None:
    parts = urlsplit(url)
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    smtp_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with smtp_class(parts.hostname or "localhost", port, timeout=10) as smtp:
        if parts.scheme == "smtp+starttls":
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(message)


def mask_email(address: str) -> str:
    """An address as the console shows it (DESIGN §7: logs carry no emails): h***@example.jp."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_addresses(text: str) -> str:
    """``text`` with every email address in it masked (a mail server's reply often quotes the recipient)."""
    return _EMAIL.sub(lambda match: mask_email(match.group(0)), text)


def _reply(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {mask_addresses(' '.join(text.split()))}"


def failure_codes(exc: BaseException) -> str:
    """What the log says of a failed send: the kind of failure and the SMTP codes, no text of the server's."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _reply in exc.recipients.values()})
        return f"recipient refused ({', '.join(str(code) for code in codes)})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} ({exc.smtp_code})"
    return type(exc).__name__


def failure_reason(exc: BaseException) -> str:
    """What ``last_error`` keeps of a failed send for staff: the SMTP codes and the server's words, with every
    address masked."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = sorted({_reply(code, reply) for code, reply in exc.recipients.values()})
        return "recipient refused: " + "; ".join(replies)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {_reply(exc.smtp_code, exc.smtp_error)}"
    return f"{type(exc).__name__}: {mask_addresses(str(exc))}"


def is_permanent(exc: BaseException) -> bool:
    """Whether sending the same message again cannot succeed: every recipient refused with a 5xx reply, the
    content refused with one, or the message cannot be encoded. A refused sender or sign-in is the server's
    set-up, not this message's, and is retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _reply in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    return isinstance(exc, UNBUILDABLE)


async def _failed_attempt(row: dict[str, Any], exc: BaseException, *, permanent: bool) -> None:
    """Record a failed attempt: back off and try again later, or, for good, mark the message failed."""
    attempts = row["attempts"] + 1
    failed = permanent or attempts >= MAX_ATTEMPTS
    delay = dt.timedelta(0) if failed else min(MAX_BACKOFF, dt.timedelta(seconds=5 * 2 ** min(attempts, 10)))
    await OutboxMessage.update(
        {
            OutboxMessage.attempts: attempts,
            OutboxMessage.last_error: failure_reason(exc)[:500],
            OutboxMessage.next_attempt_at: dt.datetime.now(dt.UTC) + delay,
            OutboxMessage.status: "failed" if failed else "queued",
        }
    ).where(OutboxMessage.id == row["id"])
    if permanent:
        log.warning("outbox message %s (%s) failed for good: %s", row["id"], row["kind"], failure_codes(exc))
    else:
        log.warning(
            "outbox message %s (%s) not sent (attempt %s of %s): %s",
            row["id"],
            row["kind"],
            attempts,
            MAX_ATTEMPTS,
            failure_codes(exc),
        )


async def send_pending(limit: int = 50) -> int:
    """Send the messages that are due; returns how many were handled (sent, or shown on the console when no
    SMTP_URL is set). Safe to run from several processes: a message is claimed by a conditional update before it
    is sent."""
    settings = get_settings()
    now = dt.datetime.now(dt.UTC)
    due = (
        await OutboxMessage.select()
        .where((OutboxMessage.status == "queued") & (OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    sent = 0
    for row in due:
        claim = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)  # hide it from other senders meanwhile
        claimed = (
            await OutboxMessage.update({OutboxMessage.next_attempt_at: claim})
            .where(
                (OutboxMessage.id == row["id"])
                & (OutboxMessage.status == "queued")
                & (OutboxMessage.next_attempt_at == row["next_attempt_at"])
            )
            .returning(OutboxMessage.id)
        )
        if not claimed:
            continue
        try:
            message = build_message(row, settings.mail_from)
        except UNBUILDABLE as exc:
            await _failed_attempt(row, exc, permanent=True)
            continue
        try:
            if settings.smtp_url:
                await asyncio.to_thread(_send_smtp, settings.smtp_url, message)
            else:
                log.info(
                    "outbox message %s (%s) to %s (no SMTP_URL; shown here):\n%s\n\n%s%s",
                    row["id"],
                    row["kind"],
                    mask_email(row["recipient"]),
                    message["Subject"],
                    redact(row["body"]),
                    f"\n\n[invite.ics, METHOD:{row['calendar_method']}]" if row.get("calendar") else "",
                )
        except Exception as exc:  # noqa: BLE001 - one message's failure never holds up the rest of its batch
            await _failed_attempt(row, exc, permanent=is_permanent(exc))
            continue
        await OutboxMessage.update(
            {
                OutboxMessage.status: SENT if settings.smtp_url else SHOWN,
                OutboxMessage.attempts: row["attempts"] + 1,
                OutboxMessage.sent_at: dt.datetime.now(dt.UTC),
            }
        ).where(OutboxMessage.id == row["id"])
        sent += 1
    return sent


def register_jobs(interval_seconds: float, registry: Registry = default_registry) -> None:
    """Send the queued emails every ``interval_seconds`` (OUTBOX_SEND_INTERVAL) in the background; 0 leaves it to
    ``outreach outbox send`` (cron). Called by ``wiring.register``."""
    if interval_seconds > 0:
        registry.register_periodic("outbox.send", max(1, round(interval_seconds)), send_pending)
