"""Integration under load: booking.bookings and the booking rate limit behind the real portal (`outreach serve`).

A rush right after publicity: 300 simultaneous attempts on a slot of capacity 20 give exactly 20 bookings,
on SQLite (one worker) and on PostgreSQL with several worker processes; 300 simultaneous repeats of one
Idempotency-Key give one booking; a rush from one address stops at its rate limit, counted across the workers."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from booking.tables import Booking, Slot
from core.db import is_sqlite
from tests.booking.conftest import POSTGRES_WORKERS, serve_portal
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
    bodies = [
        {"slot_id": slot, "name_kana": "カナザワ タロウ", "phone": f"090{n:08d}", "party_size": 1}
        for n in range(ATTEMPTS)
    ]
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
    assert statuses == {201: ATTEMPTS}, (
        busy_portal.workers,
        statuses,
        [r.text for r in responses if r.status_code != 201][:3],
    )
    assert len({r.json()["code"] for r in responses}) == 1
    assert sum(1 for r in responses if r.headers.get("Idempotent-Replayed") == "true") == ATTEMPTS - 1
    assert await slot_state(slot) == (1, 1)
    assert_clean_server_log(busy_portal.output())


async def test_a_rush_from_one_address_stops_at_the_rate_limit_counted_across_workers(redis_url):
    """With REDIS_URL every worker counts in the same place, atomically: of 120 simultaneous bookings from one
    address with a limit of 25 a minute, exactly 25 are let through, the rest get 429 with Retry-After."""
    limit, attempts = 25, 120
    booth = await publish_booth(capacity=500)
    slot = booth["slots"][0]["id"]
    bodies = [
        {"slot_id": slot, "name_kana": "カナザワ タロウ", "phone": f"090{n:08d}", "party_size": 1}
        for n in range(attempts)
    ]
    workers = 1 if is_sqlite() else POSTGRES_WORKERS
    with serve_portal(workers, BOOKING_RATE_LIMIT=str(limit), DB_POOL="1", REDIS_URL=redis_url) as portal:
        responses = await rush(portal.url, bodies, [{"Idempotency-Key": f"limited-{n}"} for n in range(attempts)])
        after = await rush(portal.url, bodies[:1], [{"Idempotency-Key": "limited-after"}])
        output = portal.output()

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: limit, 429: attempts - limit}, (workers, statuses)
    refused = [r for r in responses if r.status_code == 429]
    assert all(1 <= int(r.headers["retry-after"]) <= 60 for r in refused)
    assert after[0].status_code == 429  # still limited: the count lives in Redis, not in a worker
    assert await slot_state(slot) == (limit, limit)
    assert_clean_server_log(output)


async def test_bookings_keep_flowing_while_the_booth_list_is_read_again(database):
    """Every booking needs its booth's details. With the public booth list read again for every request
    (PUBLIC_CACHE_SECONDS=0), residents reading the list at the same time, and more simultaneous bookings than a
    worker has pooled connections, every request still completes. (Bookings once waited for the list inside their
    transaction while a reader waited for a connection to read it: the worker stalled for good.)"""
    attempts, readers = 60, 30
    booth = await publish_booth(capacity=500)
    slot = booth["slots"][0]["id"]
    limits = httpx.Limits(max_connections=attempts + readers, max_keepalive_connections=attempts + readers)
    with serve_portal(1, BOOKING_RATE_LIMIT="100000", DB_POOL="1", PUBLIC_CACHE_SECONDS="0") as portal:
        async with httpx.AsyncClient(base_url=portal.url, limits=limits, timeout=20) as client:
            go = asyncio.Event()

            async def book(n: int) -> int:
                await go.wait()
                body = {"slot_id": slot, "name_kana": "カナザワ タロウ", "phone": f"080{n:08d}", "party_size": 1}
                return (
                    await client.post("/api/bookings", json=body, headers={"Idempotency-Key": f"flowing-{n}"})
                ).status_code

            async def read() -> int:
                await go.wait()
                return (await client.get("/api/sessions")).status_code

            tasks = [asyncio.create_task(book(n)) for n in range(attempts)]
            tasks += [asyncio.create_task(read()) for _ in range(readers)]
            await asyncio.sleep(0)
            go.set()
            statuses = await asyncio.wait_for(asyncio.gather(*tasks), timeout=40)
        output = portal.output()
    assert Counter(statuses) == {201: attempts, 200: readers}
    assert await slot_state(slot) == (attempts, attempts)
    assert_clean_server_log(output)
