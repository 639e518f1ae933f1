"""Pickup reservations under load, behind the real portal (`outreach serve`): 300 simultaneous reservations on a time
of 20 places make exactly 20, and 300 repeats of one Idempotency-Key make one — on SQLite (one worker) and on
PostgreSQL with several worker processes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from core.db import is_sqlite
from counter.pickup_slots import pickup_times
from counter.tables import PickupReservation, PickupSlot
from tests.booking.conftest import POSTGRES_WORKERS, serve_portal
from tests.booking.test_rush import assert_clean_server_log
from tests.counter.pickup_factories import office_with_slots
from tests.support import servers

ATTEMPTS = 300
PLACES = 20


@pytest.fixture(scope="module")
def portal(database) -> Iterator[servers.Server]:
    workers = 1 if is_sqlite() else POSTGRES_WORKERS
    with serve_portal(workers, BOOKING_RATE_LIMIT="100000", DB_POOL="1") as server:
        yield server


async def a_time_of(places: int) -> int:
    """A time that takes reservations now (the server runs on the real clock), with ``places`` places."""
    office = await office_with_slots(None)  # today in Japan
    [time, *_] = await pickup_times(office["office"], office["services"]["pickup"])
    await PickupSlot.update({PickupSlot.capacity: places}).where(PickupSlot.id == time.id)
    return time.id


async def rush(url: str, bodies: list[dict], keys: list[str]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=len(bodies))
    go = asyncio.Event()
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:

        async def attempt(body: dict, key: str) -> httpx.Response:
            await go.wait()
            return await client.post("/api/pickups", json=body, headers={"Idempotency-Key": key})

        tasks = [asyncio.create_task(attempt(b, k)) for b, k in zip(bodies, keys, strict=True)]
        await asyncio.sleep(0)
        go.set()
        return await asyncio.gather(*tasks)


async def test_300_simultaneous_reservations_on_20_places_make_exactly_20(portal):
    slot = await a_time_of(PLACES)
    bodies = [
        {"slot_id": slot, "notice_numbers": [f"{n:010d}"], "phone": f"090{n:08d}", "language": "ja"}
        for n in range(ATTEMPTS)
    ]
    responses = await rush(portal.url, bodies, [f"rush-{n}" for n in range(ATTEMPTS)])
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: PLACES, 409: ATTEMPTS - PLACES}, (portal.workers, statuses)
    assert all("alternatives" in r.json() for r in responses if r.status_code == 409)
    codes = {r.json()["code"] for r in responses if r.status_code == 201}
    assert len(codes) == PLACES
    assert (await PickupSlot.select(PickupSlot.booked).where(PickupSlot.id == slot).first())["booked"] == PLACES
    stored = await PickupReservation.select(PickupReservation.code).where(PickupReservation.slot == slot)
    assert {row["code"] for row in stored} == codes
    assert_clean_server_log(portal.output())


async def test_300_repeats_of_one_idempotency_key_make_one_reservation(portal):
    slot = await a_time_of(PLACES)
    body = {"slot_id": slot, "notice_numbers": ["0123456789", "1111222233"], "email": "hanako@example.jp"}
    responses = await rush(portal.url, [body] * ATTEMPTS, ["one-tap"] * ATTEMPTS)
    assert Counter(r.status_code for r in responses) == {201: ATTEMPTS}, [r.text for r in responses[:3]]
    assert len({r.json()["code"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == ATTEMPTS - 1
    assert (await PickupSlot.select(PickupSlot.booked).where(PickupSlot.id == slot).first())["booked"] == 2
    assert await PickupReservation.count() == 1
    assert_clean_server_log(portal.output())
