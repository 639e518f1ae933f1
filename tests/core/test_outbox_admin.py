"""The outbox as staff see it: listing with residents' addresses masked, sending again as a new queued copy (the
original untouched, audited), retrying a queued message now, and a message marked failed after MAX_ATTEMPTS."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from core import outbox, outbox_admin
from core.errors import InvalidTransition, NotFound
from core.outbox import MAX_ATTEMPTS, queue_email, send_pending
from core.settings import get_settings
from core.tables import AuditEvent, OutboxMessage, Role
from tests.support import servers


async def message(status: str = "queued", **values) -> dict:
    defaults = dict(recipient="partner@example.jp", subject="件名", body="本文", kind="venue.partner", status=status)
    defaults.update(values)
    if status == "sent":
        defaults.setdefault("sent_at", dt.datetime(2027, 6, 1, tzinfo=dt.UTC))
        defaults.setdefault("attempts", 1)
    row = (await OutboxMessage.insert(OutboxMessage(**defaults)).returning(OutboxMessage.id))[0]
    return await OutboxMessage.select().where(OutboxMessage.id == row["id"]).first()


@pytest.fixture
def mail_server_down(monkeypatch):
    closed = servers.free_port()  # nothing listens there
    configured = dataclasses.replace(get_settings(), smtp_url=f"smtp://127.0.0.1:{closed}")
    monkeypatch.setattr(outbox, "get_settings", lambda: configured)


async def test_the_list_masks_residents_addresses_and_filters_by_status():
    await message("sent", recipient="taro@example.jp", kind="booking.confirmed")
    await message(
        "failed",
        recipient="partner@example.jp",
        kind="venue.partner",
        last_error="550 <partner@example.jp> mailbox unavailable",
    )
    await message(
        "failed",
        recipient="hanako@example.jp",
        kind="booking.reminder",
        last_error="550 <hanako@example.jp> mailbox unavailable",
    )
    await message("queued", recipient="lead@example.jp", kind="plan.submitted")
    entries = await outbox_admin.list_messages()
    assert [e.recipient for e in entries] == [
        "lead@example.jp",
        "h***@example.jp",
        "partner@example.jp",
        "t***@example.jp",
    ]  # newest first
    assert "hanako" not in entries[1].last_error and "h***@example.jp" in entries[1].last_error
    assert "partner@example.jp" in entries[2].last_error
    assert [e.status for e in await outbox_admin.list_messages("failed")] == ["failed", "failed"]
    assert await outbox_admin.status_counts() == {"queued": 1, "sent": 1, "shown": 0, "failed": 2}
    assert [(e.can_resend, e.can_retry) for e in entries] == [
        (False, True),
        (True, False),
        (True, False),
        (True, False),
    ]
    assert entries[0].next_attempt_at is not None and entries[1].next_attempt_at is None


@pytest.mark.parametrize("status", ["sent", "failed"])
async def test_resending_queues_a_copy_and_leaves_the_original_as_it_was(make_user, status):
    actor = await make_user(Role.admin)
    original = await message(status, attempts=MAX_ATTEMPTS if status == "failed" else 1, last_error="boom")
    new_id = await outbox_admin.resend_message(actor, original["id"])
    assert new_id != original["id"]
    assert await OutboxMessage.select().where(OutboxMessage.id == original["id"]).first() == original
    copy = await OutboxMessage.select().where(OutboxMessage.id == new_id).first()
    assert {k: copy[k] for k in ("recipient", "subject", "body", "kind")} == {
        k: original[k] for k in ("recipient", "subject", "body", "kind")
    }
    assert (copy["status"], copy["attempts"], copy["last_error"], copy["sent_at"]) == ("queued", 0, "", None)
    (event,) = await AuditEvent.select().where(AuditEvent.action == "outbox.resent")
    assert (event["actor_name"], event["object_id"]) == (actor.username, str(new_id))
    assert str(original["id"]) in event["summary"]


async def test_a_queued_message_is_retried_now_not_resent(make_user):
    actor = await make_user(Role.contractor_lead)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    queued = await message("queued", attempts=3, next_attempt_at=later)
    with pytest.raises(InvalidTransition):
        await outbox_admin.resend_message(actor, queued["id"])
    assert await send_pending() == 0  # backing off
    await outbox_admin.retry_now(actor, queued["id"])
    assert await send_pending() == 1  # no SMTP_URL in tests: shown on the console, not sent
    assert await OutboxMessage.count().where(OutboxMessage.status == "shown") == 1
    assert await OutboxMessage.count() == 1
    assert await AuditEvent.count().where(AuditEvent.action == "outbox.retried") == 1
    sent = await message("sent")
    with pytest.raises(InvalidTransition):
        await outbox_admin.retry_now(actor, sent["id"])
    with pytest.raises(NotFound):
        await outbox_admin.resend_message(actor, 999_999)


async def test_a_message_is_marked_failed_after_the_last_attempt(mail_server_down):
    await queue_email("partner@example.jp", "件名", "本文", kind="venue.partner")
    assert await send_pending() == 0
    row = await OutboxMessage.select().first()
    assert (row["status"], row["attempts"]) == ("queued", 1) and row["last_error"]
    await OutboxMessage.update(
        {OutboxMessage.attempts: MAX_ATTEMPTS - 1, OutboxMessage.next_attempt_at: dt.datetime.now(dt.UTC)}
    ).where(OutboxMessage.id == row["id"])
    assert await send_pending() == 0
    row = await OutboxMessage.select().first()
    assert (row["status"], row["attempts"]) == ("failed", MAX_ATTEMPTS)
    await OutboxMessage.update({OutboxMessage.next_attempt_at: dt.datetime.now(dt.UTC)}).where(
        OutboxMessage.id == row["id"]
    )
    assert await send_pending() == 0  # a failed message is not tried again by itself
    assert (await OutboxMessage.select().first())["attempts"] == MAX_ATTEMPTS


async def test_without_a_mail_server_a_message_is_shown_not_sent_and_can_be_sent_again(make_user, smtp, monkeypatch):
    """Every message said 「送信済み」 though no mail server was set and nobody received anything."""
    actor = await make_user(Role.contractor_lead)
    monkeypatch.setattr(outbox, "get_settings", lambda: dataclasses.replace(get_settings(), smtp_url=None))
    await queue_email("partner@example.jp", "件名", "本文", kind="venue.partner")
    assert await send_pending() == 1
    (entry,) = await outbox_admin.list_messages()
    assert entry.status == "shown" and entry.can_resend
    assert await outbox_admin.status_counts() == {"queued": 0, "sent": 0, "shown": 1, "failed": 0}
    assert smtp.inbox.messages == []

    monkeypatch.setattr(
        outbox, "get_settings", lambda: dataclasses.replace(get_settings(), smtp_url=f"smtp://127.0.0.1:{smtp.port}")
    )
    await outbox_admin.resend_message(actor, entry.id)
    assert await send_pending() == 1
    assert [recipients for recipients, _raw in smtp.inbox.messages] == [["partner@example.jp"]]
    assert [e.status for e in await outbox_admin.list_messages()] == ["sent", "shown"]


async def test_reading_a_residents_message_hides_its_secrets_and_is_audited(make_user):
    actor = await make_user(Role.contractor_lead)
    body = (
        "ヤマダ タロウ 様\nご予約を受け付けました。\n"
        "View, change or cancel your booking here:\nhttps://example.jp/bookings/7KQ2M9XD4TRBW8HN?token=s3cretT0ken\n"
        "連絡先: taro@example.jp"
    )
    resident = await message("sent", recipient="taro@example.jp", kind="booking.confirmed", body=body)
    content = await outbox_admin.message_content(actor, resident["id"])
    assert "ご予約を受け付けました。" in content.body
    assert "s3cretT0ken" not in content.body and "7KQ2M9XD4TRBW8HN" not in content.body
    assert "taro@" not in content.body and "t***@example.jp" in content.body
    assert content.entry.recipient == "t***@example.jp"
    (event,) = await AuditEvent.select().where(AuditEvent.action == "outbox.viewed")
    assert (event["actor_name"], event["object_id"]) == (actor.username, str(resident["id"]))

    partner = await message("sent", body="会場のご担当者様\nhttps://example.jp/invitations/3/accept?token=abc123")
    content = await outbox_admin.message_content(actor, partner["id"])
    assert "abc123" not in content.body and "会場のご担当者様" in content.body
    assert await AuditEvent.count().where(AuditEvent.action == "outbox.viewed") == 1  # no personal data: not audited
