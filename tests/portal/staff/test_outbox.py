"""The outbox page: contractor leads and admins (only) list queued, sent and failed messages with residents'
addresses masked, send one again (a new queued copy; the original untouched) and retry a queued one now."""

from __future__ import annotations

import datetime as dt

import pytest
from bs4 import BeautifulSoup

from core.tables import OutboxMessage, Role
from tests.conftest import post_form


async def message(status: str, **values) -> int:
    defaults = dict(
        recipient="partner@example.jp",
        subject="【outreach】会場のお知らせ",
        body="本文",
        kind="venue.partner",
        status=status,
    )
    defaults.update(values)
    return (await OutboxMessage.insert(OutboxMessage(**defaults)).returning(OutboxMessage.id))[0]["id"]


def rows(response) -> dict[int, BeautifulSoup]:
    page = BeautifulSoup(response.text, "html.parser")
    return {int(tr["data-id"]): tr for tr in page.select("table.outbox tbody tr[data-id]")}


@pytest.mark.parametrize(
    "role, allowed",
    [(Role.contractor_staff, False), (Role.city_reviewer, False), (Role.contractor_lead, True), (Role.admin, True)],
)
async def test_only_leads_and_admins_see_the_outbox(client, signed_in, role, allowed):
    await signed_in(role)
    failed = await message("failed")
    response = await client.get("/staff/outbox")
    assert response.status_code == (200 if allowed else 403)
    venues = BeautifulSoup((await client.get("/staff/venues")).text, "html.parser")
    assert (venues.select_one(".staff-nav a[href='/staff/outbox']") is not None) is allowed
    if not allowed:
        resend = await client.post(f"/staff/outbox/{failed}/resend", follow_redirects=False)
        assert resend.status_code == 403 and await OutboxMessage.count() == 1


async def test_the_list_masks_residents_and_filters_by_status(client, signed_in):
    await signed_in(Role.contractor_lead)
    resident = await message(
        "sent",
        recipient="taro@example.jp",
        kind="booking.confirmed",
        sent_at=dt.datetime(2027, 6, 1, tzinfo=dt.UTC),
        attempts=1,
    )
    partner = await message("failed", last_error="Connection refused", attempts=20)
    queued = await message("queued", recipient="lead@example.jp", kind="plan.submitted")
    listed = rows(await client.get("/staff/outbox"))
    assert list(listed) == [queued, partner, resident]
    assert listed[resident].select_one(".recipient").get_text(strip=True) == "t***@example.jp"
    assert "taro@" not in (await client.get("/staff/outbox")).text
    assert listed[partner].select_one(".recipient").get_text(strip=True) == "partner@example.jp"
    assert "Connection refused" in listed[partner].get_text()
    resend, retry = "form[action$='/resend']", "form[action$='/retry']"
    assert listed[partner].select_one(resend) and listed[resident].select_one(resend)
    assert listed[queued].select_one(retry) and not listed[queued].select_one(resend)
    assert list(rows(await client.get("/staff/outbox?status=failed"))) == [partner]
    assert list(rows(await client.get("/staff/outbox?status=nonsense"))) == [queued, partner, resident]


async def test_resend_adds_a_queued_copy_and_keeps_the_sent_original(client, signed_in):
    await signed_in(Role.admin)
    original = await message("sent", sent_at=dt.datetime(2027, 6, 1, tzinfo=dt.UTC), attempts=1)
    before = await OutboxMessage.select().where(OutboxMessage.id == original).first()
    response = await post_form(
        client, "/staff/outbox", f"/staff/outbox/{original}/resend", {"status": "sent"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff/outbox?status=sent&done=resent"
    assert await OutboxMessage.select().where(OutboxMessage.id == original).first() == before
    (copy,) = await OutboxMessage.select().where(OutboxMessage.id != original)
    assert (copy["status"], copy["subject"], copy["recipient"]) == ("queued", before["subject"], before["recipient"])
    page = await client.get(response.headers["location"])
    assert BeautifulSoup(page.text, "html.parser").find(role="status") is not None


async def test_retry_now_makes_a_queued_message_due(client, signed_in):
    await signed_in(Role.contractor_lead)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    queued = await message("queued", attempts=4, next_attempt_at=later)
    response = await post_form(client, "/staff/outbox", f"/staff/outbox/{queued}/retry", {})
    assert response.status_code == 200
    row = await OutboxMessage.select().where(OutboxMessage.id == queued).first()
    assert row["next_attempt_at"] <= dt.datetime.now(dt.UTC) and row["status"] == "queued"
    sent = await message("sent")
    conflict = await post_form(client, "/staff/outbox", f"/staff/outbox/{sent}/retry", {})
    assert conflict.status_code == 409


async def test_the_kind_of_each_email_is_shown_in_words(client, signed_in):
    await signed_in(Role.contractor_lead)
    review = await message("queued", kind="plan.review")
    partner = await message("queued", kind="venue.partner")
    listed = rows(await client.get("/staff/outbox"))
    assert "実施計画の審査" in listed[review].get_text() and "plan.review" not in listed[review].get_text()
    assert "会場担当者への案内" in listed[partner].get_text() and "venue.partner" not in listed[partner].get_text()


async def test_the_page_tells_that_nothing_was_sent_without_a_mail_server(client, signed_in):
    await signed_in(Role.contractor_lead)
    shown = await message(
        "shown", sent_at=dt.datetime(2027, 6, 1, tzinfo=dt.UTC), attempts=1, body="会場のご担当者様へ"
    )
    response = await client.get("/staff/outbox")
    page = BeautifulSoup(response.text, "html.parser")
    assert "SMTP_URL" in page.select_one("#no-mail-server").get_text()
    row = rows(response)[shown]
    assert row.select_one(".status").get_text(strip=True) == "コンソールに表示（未送信）"
    assert "送信済み" not in row.get_text()
    assert row.select_one("form[action$='/resend']") is not None  # the action that follows: send it for real
    link = row.select_one(".subject a")["href"]
    detail = BeautifulSoup((await client.get(link)).text, "html.parser")
    assert detail.select_one("#message-body").get_text() == "会場のご担当者様へ"
    assert "送信されていません" in detail.select_one("#not-sent").get_text()
    assert detail.select_one(".status").get_text(strip=True) == "コンソールに表示（未送信）"


async def test_a_residents_message_is_shown_masked_and_its_opening_audited(client, signed_in):
    from core.tables import AuditEvent

    actor = await signed_in(Role.admin)
    body = "ヤマダ 様\nhttps://example.jp/bookings/7KQ2M9XD4TRBW8HN?token=s3cretT0ken"
    resident = await message("sent", recipient="taro@example.jp", kind="booking.confirmed", body=body)
    response = await client.get(f"/staff/outbox/{resident}")
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one(".recipient").get_text(strip=True) == "t***@example.jp"
    assert "s3cretT0ken" not in response.text and "taro@" not in response.text
    assert "ヤマダ 様" in page.select_one("#message-body").get_text()
    (event,) = await AuditEvent.select().where(AuditEvent.action == "outbox.viewed")
    assert event["actor_name"] == actor.username


async def test_staff_who_may_not_see_the_outbox_cannot_open_a_message(client, signed_in):
    await signed_in(Role.contractor_staff)
    shown = await message("shown")
    assert (await client.get(f"/staff/outbox/{shown}")).status_code == 403
