"""The outbox: emails are queued in the transaction of the change that causes them and sent afterwards, retried
with back-off while the mail server is down, never lost and never sent twice. Without SMTP_URL they are shown on
the console instead (development)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import smtplib
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


def build_message(row: dict[str, Any], sender: str) -> EmailMessage:
    """The email of an outbox row. With a calendar part it is laid out as Google Calendar sends invitations, which
    Outlook, Google and Apple all read: multipart/mixed of (multipart/alternative of text/plain and
    text/calendar; method=...) and the same object as the attachment invite.ics."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, row["recipient"], row["subject"]
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


async def send_pending(limit: int = 50) -> int:
    """Send the messages that are due; returns how many were sent. Safe to run from several processes: a message
    is claimed by a conditional update before it is sent."""
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
        message = build_message(row, settings.mail_from)
        try:
            if settings.smtp_url:
                await asyncio.to_thread(_send_smtp, settings.smtp_url, message)
            else:
                log.info(
                    "outbox message %s (%s) to %s (no SMTP_URL; shown here):\n%s\n\n%s%s",
                    row["id"],
                    row["kind"],
                    mask_email(row["recipient"]),
                    row["subject"],
                    redact(row["body"]),
                    f"\n\n[invite.ics, METHOD:{row['calendar_method']}]" if row.get("calendar") else "",
                )
        except (OSError, smtplib.SMTPException) as exc:
            attempts = row["attempts"] + 1
            delay = min(MAX_BACKOFF, dt.timedelta(seconds=5 * 2 ** min(attempts, 10)))
            await OutboxMessage.update(
                {
                    OutboxMessage.attempts: attempts,
                    OutboxMessage.last_error: str(exc)[:500],
                    OutboxMessage.next_attempt_at: dt.datetime.now(dt.UTC) + delay,
                    OutboxMessage.status: "failed" if attempts >= MAX_ATTEMPTS else "queued",
                }
            ).where(OutboxMessage.id == row["id"])
            log.warning("outbox message %s not sent (attempt %s of %s): %s", row["id"], attempts, MAX_ATTEMPTS, exc)
            continue
        await OutboxMessage.update(
            {
                OutboxMessage.status: "sent",
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
