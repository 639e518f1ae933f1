"""The outbox's sending: a refused or unbuildable message is marked failed with its reason, leaves no address in
the log or in last_error, and never holds up the other messages of its batch."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import logging
from collections.abc import Iterator

import pytest

from core import outbox
from core.outbox import queue_email, send_pending
from core.settings import get_settings
from core.tables import OutboxMessage
from tests.support.servers import MailServer

REFUSED = "taro.yamada@example.jp"


@pytest.fixture
def refusing_smtp(monkeypatch) -> Iterator[MailServer]:
    """A real SMTP server that refuses REFUSED as an unknown mailbox (550 5.1.1, quoting the address)."""
    server = MailServer(refuse=[REFUSED])
    server.start()
    configured = dataclasses.replace(get_settings(), smtp_url=f"smtp://127.0.0.1:{server.port}")
    monkeypatch.setattr(outbox, "get_settings", lambda: configured)
    yield server
    server.stop()


def logged(caplog) -> str:
    """What the portal logged (the test's own SMTP server, aiosmtpd's "mail.log", logs every recipient it sees)."""
    return "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("mail."))


async def rows() -> dict[str, dict]:
    return {row["recipient"]: row for row in await OutboxMessage.select().order_by(OutboxMessage.id)}


async def test_a_refused_address_is_masked_in_the_log_and_last_error(refusing_smtp, caplog):
    await queue_email(REFUSED, "ご予約の確認", "本文", kind="booking.confirmed")
    await queue_email("hanako@example.jp", "ご予約の確認", "本文", kind="booking.confirmed")

    with caplog.at_level(logging.INFO):
        assert await send_pending() == 1

    assert "taro.yamada" not in logged(caplog)
    by_recipient = await rows()
    refused = by_recipient[REFUSED]
    assert "taro.yamada" not in refused["last_error"]
    assert "550" in refused["last_error"] and "t***@example.jp" in refused["last_error"]
    assert refused["status"] == "failed" and refused["attempts"] == 1  # refused for good: no retries for 11 hours
    assert f"outbox message {refused['id']}" in logged(caplog) and "550" in logged(caplog)
    assert by_recipient["hanako@example.jp"]["status"] == "sent"
    assert [recipients for recipients, _raw in refusing_smtp.inbox.messages] == [["hanako@example.jp"]]


async def test_a_line_break_in_a_subject_no_longer_breaks_the_message(smtp):
    """A venue name with CR/LF went into an invitation's subject: the email library refused it, outside the retry
    handling, so the message stuck in the outbox and the rest of its batch waited."""
    await queue_email("partner@example.jp", "[outreach] Booth at 広坂\r\n会館\nBcc: x@evil.example on 6/1", "本文")
    await queue_email("other@example.jp", "[outreach] Booth at 三馬公民館", "本文")

    assert await send_pending() == 2

    first = email.message_from_bytes(smtp.inbox.messages[0][1], policy=email.policy.default)
    assert first["Subject"] == "[outreach] Booth at 広坂 会館 Bcc: x@evil.example on 6/1"
    assert first["Bcc"] is None
    assert {row["status"] for row in (await rows()).values()} == {"sent"}


async def test_a_message_that_cannot_be_built_fails_with_its_reason_and_the_others_go(smtp, caplog):
    await queue_email("broken@example.jp\r\nBcc: x@evil.example", "件名", "本文", kind="venue.partner")
    await queue_email("partner@example.jp", "件名", "本文", kind="venue.partner")

    with caplog.at_level(logging.WARNING):
        assert await send_pending() == 1

    broken = next(row for row in (await rows()).values() if row["recipient"].startswith("broken"))
    assert broken["status"] == "failed" and broken["last_error"].startswith("ValueError")
    assert "broken@" not in logged(caplog) and "Traceback" not in caplog.text
    assert [recipients for recipients, _raw in smtp.inbox.messages] == [["partner@example.jp"]]
    assert await send_pending() == 0  # failed for good: not tried again every 5 minutes
