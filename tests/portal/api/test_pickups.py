"""The pickup reservation API (/api/pickups), as an outside client (a phone app, the city's site) uses it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from litestar.testing import AsyncTestClient

from core import clock
from core.settings import get_settings
from counter.tables import PickupSlot
from tests.counter.pickup_factories import office_with_slots, slots_of

NOW = dt.datetime(2027, 7, 9, 15, 0, tzinfo=clock.JST)  # a Friday afternoon
MONDAY = dt.date(2027, 7, 12)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(NOW):
        yield


@pytest.fixture
async def office():
    return await office_with_slots(NOW.date())


def body(slot_id: int, *numbers: str, **values) -> dict:
    data = {"slot_id": slot_id, "notice_numbers": list(numbers or ["0123456789"]), "phone": "090-1111-2222"}
    data.update(values)
    return data


async def test_offices_and_the_times_a_party_can_reserve(client, office):
    offices = (await client.get("/api/pickups/offices", headers={"Accept-Language": "en"})).json()
    assert [o["name"] for o in offices] == ["金沢市役所"]
    assert [s["service"] for s in offices[0]["services"]] == ["pickup", "certificate"]
    assert offices[0]["services"][0]["name"] == "Card pickup"
    pickup = office["services"]["pickup"]
    times = (await client.get("/api/pickups/times", params={"office": office["office"], "service": pickup})).json()
    assert times[0]["start"].startswith("2027-07-12T09:00:00+09:00") and times[0]["remaining"] == 4
    first = times[0]["id"]
    await PickupSlot.update({PickupSlot.booked: 3}).where(PickupSlot.id == first)
    for_two = await client.get("/api/pickups/times", params={"office": office["office"], "service": pickup, "party": 2})
    assert first not in [t["id"] for t in for_two.json()]
    assert (await client.get("/api/pickups/times", params={"office": "x", "service": pickup})).status_code == 422


async def test_reserving_with_an_idempotency_key_then_reading_changing_and_cancelling(client, office):
    slot, later = [row["id"] for row in (await slots_of(office["services"]["pickup"], MONDAY))[:2]]
    response = await client.post(
        "/api/pickups", json=body(slot, "0123-4567-89", "1111222233"), headers={"Idempotency-Key": "k1"}
    )
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["party_size"] == 2 and made["notice_numbers"] == ["0123456789", "1111222233"]
    assert made["manage_url"].endswith(f"/pickups/{made['code']}?token={made['token']}")
    again = await client.post(
        "/api/pickups", json=body(slot, "0123-4567-89", "1111222233"), headers={"Idempotency-Key": "k1"}
    )
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["code"] == made["code"]
    assert response.headers["cache-control"] == "no-store"
    code, token = made["code"], made["token"]
    assert (await client.get(f"/api/pickups/{code}", params={"token": token})).json()["slot_id"] == slot
    assert (await client.get(f"/api/pickups/{code}", params={"token": "nope"})).status_code == 404
    changed = await client.post(f"/api/pickups/{code}/change", params={"token": token}, json={"slot_id": later})
    assert changed.status_code == 200 and changed.json()["slot_id"] == later
    cancelled = await client.post(f"/api/pickups/{code}/cancel", params={"token": token})
    assert cancelled.json()["state"] == "cancelled"
    assert [
        r["booked"] for r in await PickupSlot.select(PickupSlot.booked).where(PickupSlot.id.is_in([slot, later]))
    ] == [
        0,
        0,
    ]


async def test_field_errors_come_in_the_residents_language(client, office):
    slot = (await slots_of(office["services"]["pickup"], MONDAY))[0]["id"]
    response = await client.post(
        "/api/pickups", json=body(slot, "123456789012", phone=""), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "My Number" in errors["notice_numbers.0"] and "contact" in errors
    in_japanese = await client.post("/api/pickups", json=body(slot, "123456789012"), headers={"Accept-Language": "ja"})
    assert "マイナンバー" in in_japanese.json()["errors"]["notice_numbers.0"]
    wrong_type = await client.post("/api/pickups", json={**body(slot), "notice_numbers": "0123456789"})
    assert wrong_type.status_code == 422


async def test_a_full_time_is_a_409_with_the_next_times_that_have_room(client, office):
    slot = (await slots_of(office["services"]["pickup"], MONDAY))[0]["id"]
    numbers = ["1000000001", "1000000002", "1000000003", "1000000004"]
    assert (await client.post("/api/pickups", json=body(slot, *numbers))).status_code == 201
    full = await client.post("/api/pickups", json=body(slot, "2000000001", phone="080-1234-5678"))
    assert full.status_code == 409
    assert full.json()["alternatives"][0]["start"].startswith("2027-07-12T09:30:00+09:00")
    assert (await client.post("/api/pickups", json=body(999999))).status_code == 404


async def test_reservations_are_rate_limited_but_the_lists_of_times_are_not(office):
    from portal.app import create_app

    app = create_app(dataclasses.replace(get_settings(), booking_rate_limit=3))
    slots = [row["id"] for row in await slots_of(office["services"]["pickup"], MONDAY)]
    query = {"office": office["office"], "service": office["services"]["pickup"]}
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as limited:
        for _ in range(5):
            assert (await limited.get("/api/pickups/times", params=query)).status_code == 200
        responses = [
            await limited.post("/api/pickups", json=body(slots[n], f"300000000{n}", phone=f"0900000000{n}"))
            for n in range(4)
        ]
        assert [r.status_code for r in responses] == [201, 201, 201, 429]


async def test_the_openapi_document_lists_the_pickup_operations(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert set(paths["/api/pickups"]["post"]["responses"]) == {"201", "404", "409", "413", "422", "429"}
    assert {"/api/pickups/offices", "/api/pickups/times", "/api/pickups/{code}/cancel"} <= set(paths)
