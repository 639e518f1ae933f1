"""A rush right after publicity: 300 simultaneous attempts on a slot of capacity 20 give exactly 20 bookings,
on SQLite (one worker) and on PostgreSQL with several worker processes; 300 simultaneous repeats of one
Idempotency-Key give one booking."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from booking.tables import Booking, Slot
from tests.booking.factories import publish_booth

ATTEMPTS = 300
CAPACITY = 20


async def rush(url: str, bodies: list[dict], headers: list[dict]) -> list[httpx.Response]:
    """POST every body at once (one connection each), released together."""
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=len(bodies))
    go = asyncio.Event()
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        async def attempt(body: dict, header: dict) -> httpx.Response:
            await go.wait()
            return await client.post("/api/bookings", json=body, headers=header)

        tasks = [asyncio.create_task(attempt(b, h)) for b, h in zip(bodies, headers, strict=True)]
        await asyncio.sleep(0)
        go.set()
        return await asyncio.gather(*tasks)


async def slot_state(slot_id: int) -> tuple[int, int]:
    booked = (await Slot.select(Slot.booked).where(Slot.id == slot_id).first())["booked"]
    return booked, await Booking.count().where(Booking.slot == slot_id)


def assert_clean_server_log(output: str) -> None:
    for trouble in ("Traceback", "database is locked", "unhandled error", "too many clients"):
        assert trouble not in output, output[-4000:]


async def test_300_simultaneous_attempts_on_20_places_give_exactly_20_bookings(busy_portal):
    booth = await publish_booth(capacity=CAPACITY)
    slot = booth["slots"][0]["id"]
    bodies = [{"slot_id": slot, "name_kana": "カナザワ タロウ", "phone": f"090{n:08d}", "party_size": 1}
              for n in range(ATTEMPTS)]
    responses = await rush(busy_portal.url, bodies, [{"Idempotency-Key": f"rush-{n}"} for n in range(ATTEMPTS)])

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: CAPACITY, 409: ATTEMPTS - CAPACITY}, (busy_portal.workers, statuses)
    full = [r.json() for r in responses if r.status_code == 409]
    assert all("alternatives" in body for body in full)  # every refusal is "slot full", with the next free slots
    codes = {r.json()["code"] for r in responses if r.status_code == 201}
    assert len(codes) == CAPACITY
    assert await slot_state(slot) == (CAPACITY, CAPACITY)
    assert set(await Booking.select(Booking.code).where(Booking.slot == slot).output(as_list=True)) == codes
    assert_clean_server_log(busy_portal.output())


async def test_300_simultaneous_repeats_of_one_idempotency_key_give_one_booking(busy_portal):
    booth = await publish_booth(capacity=CAPACITY)
    slot = booth["slots"][0]["id"]
    body = {"slot_id": slot, "name_kana": "カナザワ ハナコ", "phone": "090-1111-2222", "party_size": 1}
    responses = await rush(busy_portal.url, [body] * ATTEMPTS, [{"Idempotency-Key": "one-tap"}] * ATTEMPTS)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: ATTEMPTS}, (busy_portal.workers, statuses, [r.text for r in responses
                                                                         if r.status_code != 201][:3])
    assert len({r.json()["code"] for r in responses}) == 1
    assert sum(1 for r in responses if r.headers.get("Idempotent-Replayed") == "true") == ATTEMPTS - 1
    assert await slot_state(slot) == (1, 1)
    assert_clean_server_log(busy_portal.output())
