"""The pickup waiting-list API (/api/pickups/waitlist): join a full time, the offer a cancellation makes, accept it
into an ordinary reservation (once), and the refusals (a time with room, a My Number)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
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
    made = await office_with_slots(NOW.date())
    await PickupSlot.update({PickupSlot.capacity: 1}).where(PickupSlot.day == MONDAY)
    made["slots"] = [row["id"] for row in await slots_of(made["services"]["pickup"], MONDAY)]
    return made


def wait_body(office: dict, *numbers: str, **values) -> dict:
    data = {
        "service_id": office["services"]["pickup"],
        "slot_ids": office["slots"][:1],
        "notice_numbers": list(numbers or ["2000000001"]),
        "email": "wait@example.jp",
    }
    data.update(values)
    return data


async def test_waiting_for_a_full_time_then_accepting_the_offer_its_cancellation_makes(client, office):
    first = office["slots"][0]
    held = await client.post(
        "/api/pickups", json={"slot_id": first, "notice_numbers": ["1000000001"], "phone": "09011112222"}
    )
    assert held.status_code == 201, held.text
    refused = await client.post("/api/pickups/waitlist", json=wait_body(office, "1234-5678-9012"))
    assert refused.status_code == 422 and "マイナンバー" in refused.json()["errors"]["notice_numbers.0"]
    with_room = await client.post("/api/pickups/waitlist", json=wait_body(office, slot_ids=office["slots"][1:2]))
    assert with_room.status_code == 409

    joined = await client.post("/api/pickups/waitlist", json=wait_body(office), headers={"Idempotency-Key": "w1"})
    assert joined.status_code == 201, joined.text
    entry = joined.json()
    assert entry["state"] == "waiting" and entry["day"] == "2027-07-12" and entry["party_size"] == 1
    assert entry["link"].endswith(f"/pickups/waitlist/{entry['code']}?token={entry['token']}")
    again = await client.post("/api/pickups/waitlist", json=wait_body(office), headers={"Idempotency-Key": "w1"})
    assert again.status_code == 201 and again.json()["code"] == entry["code"]
    assert again.headers["Idempotent-Replayed"] == "true"

    token = {"token": entry["token"]}
    assert (await client.post(f"/api/pickups/waitlist/{entry['code']}/accept", params=token)).status_code == 409
    made = held.json()
    assert (await client.post(f"/api/pickups/{made['code']}/cancel", params={"token": made["token"]})).is_success
    offered = (await client.get(f"/api/pickups/waitlist/{entry['code']}", params=token)).json()
    assert offered["state"] == "offered" and offered["offered_slot"] == first
    accepted = await client.post(f"/api/pickups/waitlist/{entry['code']}/accept", params=token)
    assert accepted.status_code == 200, accepted.text
    reservation = accepted.json()
    assert reservation["slot_id"] == first and reservation["notice_numbers"] == ["2000000001"]
    assert reservation["state"] == "confirmed" and reservation["manage_url"]
    twice = await client.post(f"/api/pickups/waitlist/{entry['code']}/accept", params=token)
    assert twice.json()["code"] == reservation["code"]
    assert (await client.get(f"/api/pickups/waitlist/{entry['code']}", params={"token": "x"})).status_code == 404
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert {"/api/pickups/waitlist", "/api/pickups/waitlist/{code}/accept"} <= set(paths)


async def test_leaving_the_list(client, office):
    await client.post(
        "/api/pickups", json={"slot_id": office["slots"][0], "notice_numbers": ["1000000001"], "phone": "09011112222"}
    )
    entry = (await client.post("/api/pickups/waitlist", json=wait_body(office))).json()
    left = await client.post(f"/api/pickups/waitlist/{entry['code']}/leave", params={"token": entry["token"]})
    assert left.status_code == 200 and left.json()["state"] == "left"
