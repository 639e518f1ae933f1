"""The waiting list end to end, as residents live it (issue 20): through the JSON API, with the offers and
confirmations received by a real SMTP server (aiosmtpd), offers that run out passed on by the periodic task, and 50
simultaneous accepts of one offer on the real portal (`outreach serve`, several workers on PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import re
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from booking import jobs
from booking.codes import display_code
from booking.tables import Booking, Slot, WaitlistEntry
from core import clock, outbox
from core.db import is_sqlite
from core.jobs import Registry, Worker
from core.settings import get_settings
from tests.booking.conftest import POSTGRES_WORKERS, serve_portal
from tests.booking.factories import publish_booth
from tests.support import servers

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)
RACE = 50


def mail_text(content: bytes) -> tuple[str, str]:
    message = email.message_from_bytes(content, policy=email.policy.default)
    return str(message["Subject"]), message.get_body(("plain",)).get_content()


def link_in(body: str, code: str) -> tuple[str, str]:
    """The entry's link in an email (its host is BASE_URL): its path and its token."""
    found = re.search(rf"{re.escape(get_settings().base_url)}(/waitlist/{code}\?token=[A-Za-z0-9_-]+)", body)
    assert found, body
    link = urlsplit(found.group(1))
    return link.path, link.query.removeprefix("token=")


def booking_body(slot_id: int, n: int) -> dict:
    return {"slot_id": slot_id, "name_kana": "ヨヤク タロウ", "phone": f"090{n:08d}", "party_size": 1}


def wait_body(session_id: int, n: int, **values) -> dict:
    return {"session_id": session_id, "name_kana": "マチ ハナコ", "email": f"wait{n}@example.jp"} | values


async def booked(slot_id: int) -> int:
    return (await Slot.select(Slot.booked).where(Slot.id == slot_id).first())["booked"]


async def fill_and_wait(client, n_waiting: int = 1) -> tuple[dict, int, list[dict], list[dict]]:
    """A booth's one slot filled through the API, and residents on its waiting list through the API."""
    booth = await publish_booth(capacity=2, walk_in=1, start=dt.time(10), end=dt.time(10, 30))
    slot = booth["slots"][0]["id"]
    made = []
    for n in range(2):
        response = await client.post("/api/bookings", json=booking_body(slot, n))
        assert response.status_code == 201, response.text
        made.append(response.json())
    assert (await client.post("/api/bookings", json=booking_body(slot, 9))).status_code == 409  # full
    waiting = []
    for n in range(1, n_waiting + 1):
        response = await client.post(
            "/api/waitlist", json=wait_body(booth["session"], n, slot_ids=[slot]), headers={"Idempotency-Key": f"w{n}"}
        )
        assert response.status_code == 201, response.text
        waiting.append(response.json())
    return booth, slot, made, waiting


async def test_a_freed_place_is_offered_by_email_and_accepted_with_the_emails_link(client, smtp):
    with clock.frozen(BEFORE):
        _booth, slot, made, (entry,) = await fill_and_wait(client)
        assert await outbox.send_pending() == 1  # "you are on the list", with the entry's link
        (to, content) = smtp.inbox.messages[-1]
        assert to == ["wait1@example.jp"] and entry["manage_url"] in mail_text(content)[1]

        cancelled = await client.post(f"/api/bookings/{made[0]['code']}/cancel", params={"token": made[0]["token"]})
        assert cancelled.status_code == 200
        assert await booked(slot) == 2  # the freed place is held for the offer
        assert await outbox.send_pending() == 1
        (to, content) = smtp.inbox.messages[-1]
        subject, body = mail_text(content)
        assert to == ["wait1@example.jp"] and "2027/06/01 11:00" in subject  # accept by (in Japan's time)
        path, token = link_in(body, entry["code"])
        assert token != entry["token"]  # the offer has its own link

        shown = await client.get(f"/api{path}", params={"token": token})
        assert shown.status_code == 200 and shown.json()["state"] == "offered"
        accepted = await client.post(f"/api{path}/accept", params={"token": token})
        assert accepted.status_code == 201, accepted.text
        booking = accepted.json()
        assert booking["slot_id"] == slot and booking["state"] == "confirmed" and booking["email"] == "wait1@example.jp"

        row = await Booking.select(Booking.state, Booking.source, Booking.slot).where(Booking.code == booking["code"])
        assert row == [{"state": "confirmed", "source": "waitlist", "slot": slot}]
        assert await booked(slot) == 2
        read = await client.get(f"/api/bookings/{booking['code']}", params={"token": booking["token"]})
        assert read.status_code == 200 and read.json()["code"] == booking["code"]
        # the entry's other link (from joining) finds the same booking, without its manage token
        other = await client.post(f"/api/waitlist/{entry['code']}/accept", params={"token": entry["token"]})
        assert other.status_code == 200 and other.json()["code"] == booking["code"] and other.json()["token"] == ""
        assert other.json()["manage_url"].endswith(f"/bookings/find?code={booking['code']}")

        assert await outbox.send_pending() == 1  # the booking's confirmation
        (to, content) = smtp.inbox.messages[-1]
        subject, body = mail_text(content)
        assert to == ["wait1@example.jp"] and display_code(booking["code"]) in subject
        assert booking["manage_url"] in body
        assert [to for to, _content in smtp.inbox.messages] == [["wait1@example.jp"]] * 3


def booking_registry() -> Registry:
    registry = Registry()
    jobs.register(get_settings(), registry)
    return registry


async def test_an_offer_not_taken_in_time_goes_to_the_next_entry_by_the_periodic_task(client, smtp):
    with clock.frozen(BEFORE):
        _booth, slot, made, (first, second) = await fill_and_wait(client, n_waiting=2)
        await client.post(f"/api/bookings/{made[0]['code']}/cancel", params={"token": made[0]["token"]})
        assert await outbox.send_pending() == 3  # two "on the list" and the first one's offer
        assert [to for to, _ in smtp.inbox.messages][-1] == ["wait1@example.jp"]
    registry = booking_registry()
    with clock.frozen(BEFORE + dt.timedelta(minutes=119)):  # still held
        await Worker(registry).run_once()
    assert await WaitlistEntry.count().where(WaitlistEntry.state == "offered") == 1
    with clock.frozen(BEFORE + dt.timedelta(minutes=121)):
        await asyncio.gather(*(Worker(registry).run_once() for _ in range(3)))  # racing runners: once
        first_now = await client.get(f"/api/waitlist/{first['code']}", params={"token": first["token"]})
        assert first_now.json()["state"] == "expired"
        second_now = (await client.get(f"/api/waitlist/{second['code']}", params={"token": second["token"]})).json()
        assert second_now["state"] == "offered" and second_now["offer_slot_id"] == slot
        assert await booked(slot) == 2  # passed on, still held
        assert await outbox.send_pending() == 1
        (to, content) = smtp.inbox.messages[-1]
        assert to == ["wait2@example.jp"]
        path, token = link_in(mail_text(content)[1], second["code"])
        late = await client.post(f"/api/waitlist/{first['code']}/accept", params={"token": first["token"]})
        assert late.status_code == 409
        accepted = await client.post(f"/api{path}/accept", params={"token": token})
        assert accepted.status_code == 201 and accepted.json()["email"] == "wait2@example.jp"
    assert await Booking.count().where(Booking.source == "waitlist") == 1


async def test_leaving_the_list_through_the_api_takes_the_resident_out_of_the_offers(client, smtp):
    with clock.frozen(BEFORE):
        _booth, slot, made, (first, second) = await fill_and_wait(client, n_waiting=2)
        assert await outbox.send_pending() == 2
        left = await client.post(f"/api/waitlist/{first['code']}/leave", params={"token": first["token"]})
        assert left.status_code == 200 and left.json()["state"] == "left"
        await client.post(f"/api/bookings/{made[0]['code']}/cancel", params={"token": made[0]["token"]})
        assert await outbox.send_pending() == 1
        assert smtp.inbox.messages[-1][0] == ["wait2@example.jp"]  # the offer skipped the one who left
        assert (await client.get(f"/api/waitlist/{first['code']}", params={"token": first["token"]})).json()[
            "state"
        ] == "left"
        assert await booked(slot) == 2


@pytest.fixture(scope="module")
def busy_portal(database) -> Iterator[servers.Server]:
    """The real portal, one worker on SQLite and several on PostgreSQL, with the rate limit out of the way."""
    workers = 1 if is_sqlite() else POSTGRES_WORKERS
    with serve_portal(workers, BOOKING_RATE_LIMIT="100000", DB_POOL="1") as portal:
        yield portal


async def test_fifty_simultaneous_accepts_of_one_offer_book_once_on_the_real_portal(busy_portal):
    """Real time here: the served portal's clock is not the test's."""
    async with httpx.AsyncClient(base_url=busy_portal.url, timeout=120) as client:
        _booth, slot, made, (entry,) = await fill_and_wait(client)
        await client.post(f"/api/bookings/{made[0]['code']}/cancel", params={"token": made[0]["token"]})
        offered = (await client.get(f"/api/waitlist/{entry['code']}", params={"token": entry["token"]})).json()
        assert offered["state"] == "offered"

    limits = httpx.Limits(max_connections=RACE, max_keepalive_connections=RACE)
    go = asyncio.Event()
    async with httpx.AsyncClient(base_url=busy_portal.url, limits=limits, timeout=120) as client:

        async def attempt() -> httpx.Response:
            await go.wait()
            return await client.post(f"/api/waitlist/{entry['code']}/accept", params={"token": entry["token"]})

        tasks = [asyncio.create_task(attempt()) for _ in range(RACE)]
        await asyncio.sleep(0)
        go.set()
        responses = await asyncio.gather(*tasks)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 200: RACE - 1}, (busy_portal.workers, statuses, [r.text for r in responses][:3])
    assert len({r.json()["code"] for r in responses}) == 1
    assert len({r.json()["token"] for r in responses}) == 1  # the same manage link for every answer
    assert await Booking.count().where(Booking.source == "waitlist") == 1
    assert await booked(slot) == 2  # the held place became the booking: nothing taken twice
    output = busy_portal.output()
    for trouble in ("Traceback", "database is locked", "unhandled error", "too many clients"):
        assert trouble not in output, output[-4000:]
    assert "/api/waitlist/[code]/accept?token=[redacted]" in output  # the access log, redacted
    assert entry["token"] not in output and entry["code"] not in output


async def test_simultaneous_joins_write_one_entry_per_key_and_per_contact_on_the_real_portal(busy_portal):
    """30 joins at once with one Idempotency-Key give one entry (every answer is it, with the same link); 30 at once
    with one email and no key give one entry and 29 refusals (joins of one list take turns on PostgreSQL too)."""
    limits = httpx.Limits(max_connections=30, max_keepalive_connections=30)
    async with httpx.AsyncClient(base_url=busy_portal.url, limits=limits, timeout=120) as client:
        booth, _slot, _made, _waiting = await fill_and_wait(client, n_waiting=0)

        async def together(body: dict, headers: dict) -> list[httpx.Response]:
            go = asyncio.Event()

            async def join() -> httpx.Response:
                await go.wait()
                return await client.post("/api/waitlist", json=body, headers=headers)

            tasks = [asyncio.create_task(join()) for _ in range(30)]
            await asyncio.sleep(0)
            go.set()
            return await asyncio.gather(*tasks)

        keyed = await together(wait_body(booth["session"], 1), {"Idempotency-Key": "one-tap"})
        assert Counter(r.status_code for r in keyed) == {201: 30}, [r.text for r in keyed][:3]
        assert len({(r.json()["code"], r.json()["token"]) for r in keyed}) == 1
        unkeyed = await together(wait_body(booth["session"], 2), {})
        assert Counter(r.status_code for r in unkeyed) == {201: 1, 409: 29}
    assert await WaitlistEntry.count() == 2
    assert "Traceback" not in busy_portal.output()
