"""The outbox: emails are queued in the transaction of the change that causes them and sent afterwards, retried
with back-off while the mail server is down, never lost and never sent twice. Without SMTP_URL they are shown on
the console instead (development)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from core.logs import redact
from core.settings import get_settings
from core.tables import OutboxMessage

log = logging.getLogger("outreach.outbox")
MAX_BACKOFF = dt.timedelta(hours=1)
SENDER = "outreach@localhost"


async def queue_email(recipient: str, subject: str, body: str, kind: str = "") -> None:
    """Queue one email (call inside the transaction of the change that causes it)."""
    await OutboxMessage.insert(OutboxMessage(recipient=recipient, subject=subject, body=body, kind=kind))


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
    now = dt.datetime.now(dt.timezone.utc)
    due = await OutboxMessage.select().where(
        (OutboxMessage.status == "queued") & (OutboxMessage.next_attempt_at <= now)).order_by(
        OutboxMessage.id).limit(limit)
    sent = 0
    for row in due:
        claim = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)  # hide it from other senders meanwhile
        claimed = await OutboxMessage.update({OutboxMessage.next_attempt_at: claim}).where(
            (OutboxMessage.id == row["id"]) & (OutboxMessage.status == "queued")
            & (OutboxMessage.next_attempt_at == row["next_attempt_at"])).returning(OutboxMessage.id)
        if not claimed:
            continue
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = settings.mail_from, row["recipient"], row["subject"]
        message.set_content(row["body"])
        try:
            if settings.smtp_url:
                await asyncio.to_thread(_send_smtp, settings.smtp_url, message)
            else:
                log.info("outbox message %s (%s) to %s (no SMTP_URL; shown here):\n%s\n\n%s", row["id"], row["kind"],
                         mask_email(row["recipient"]), row["subject"], redact(row["body"]))
        except (OSError, smtplib.SMTPException) as exc:
            attempts = row["attempts"] + 1
            delay = min(MAX_BACKOFF, dt.timedelta(seconds=5 * 2 ** min(attempts, 10)))
            await OutboxMessage.update({
                OutboxMessage.attempts: attempts, OutboxMessage.last_error: str(exc)[:500],
                OutboxMessage.next_attempt_at: dt.datetime.now(dt.timezone.utc) + delay,
            }).where(OutboxMessage.id == row["id"])
            log.warning("outbox message %s not sent (attempt %s): %s", row["id"], attempts, exc)
            continue
        await OutboxMessage.update({OutboxMessage.status: "sent", OutboxMessage.attempts: row["attempts"] + 1,
                                    OutboxMessage.sent_at: dt.datetime.now(dt.timezone.utc)}).where(
            OutboxMessage.id == row["id"])
        sent += 1
    return sent


async def run_sender(interval: float = 5.0) -> None:
    """Send due messages forever (the portal runs this in the background)."""
    while True:
        try:
            await send_pending()
        except Exception:  # noqa: BLE001 - the sender must survive a database hiccup and try again
            log.exception("outbox sender failed; retrying")
        await asyncio.sleep(interval)
