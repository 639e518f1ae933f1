"""The waiting list's JSON API (DESIGN §5), as an outside client uses it: joining a full booth's list, reading the
entry, accepting an offer once, declining, leaving, and every refusal with its status."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from litestar.testing import AsyncTestClient

from booking.services import publish_version
from booking.tables import Booking, Slot, WaitlistEntry
from core import clock
from core.db import write_transaction
from core.events import PlanApproved
from core.settings import get_settings
from planner.tables import PlanVersion, Session, SessionState
from portal.api.schemas import BookingOut
from tests.booking.factories import publish_booth

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


def booking_body(slot_id: int, n: int) -> dict:
    return {"slot_id": slot_id, "name_kana": "ヨヤク タロウ", "phone": f"090{n:08d}", "party_size": 1}


def wait_body(session_id: int, n: int = 1, **values) -> dict:
    data = {"session_id": session_id, "name_kana": "マチ ハナコ", "email": f"wait{n}@example.jp", "party_size": 1}
    data.update(values)
    return data


async def full_booth(client: AsyncTestClient, capacity: int = 2) -> tuple[dict, int, list[dict]]:
    """A booth of one slot made full through the API; returns the booth, the slot and the bookings."""
    booth = await publish_booth(capacity=capacity, walk_in=1, start=dt.time(10), end=dt.time(10, 30))
    slot = booth["slots"][0]["id"]
    made = []
    for n in range(capacity):
        response = await client.post("/api/bookings", json=booking_body(slot, n))
        assert response.status_code == 201, response.text
        made.append(response.json())
    return booth, slot, made


async def booked(slot_id: int) -> int:
    return (await Slot.select(Slot.booked).where(Slot.id == slot_id).first())["booked"]


async def cancel(client: AsyncTestClient, booking: dict) -> None:
    response = await client.post(f"/api/bookings/{booking['code']}/cancel", params={"token": booking["token"]})
    assert response.status_code == 200, response.text


async def test_joining_a_full_booth_answers_201_with_the_entry_and_its_link(client):
    booth, slot, _made = await full_booth(client)
    response = await client.post(
        "/api/waitlist",
        json=wait_body(booth["session"], slot_ids=[slot], party_size=1),
        headers={"Idempotency-Key": "k"},
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    entry = response.json()
    assert entry["state"] == "waiting" and entry["session_id"] == booth["session"] and entry["slot_ids"] == [slot]
    assert entry["day"] == "2027-06-05" and entry["party_size"] == 1 and entry["name_kana"] == "マチ ハナコ"
    link = f"{get_settings().base_url}/waitlist/{entry['code']}?token={entry['token']}"
    assert entry["manage_url"] == link and entry["leave_url"] == link
    assert entry["offer_expires_at"] is None and entry["booking_code"] == ""
    again = await client.post(
        "/api/waitlist", json=wait_body(booth["session"], slot_ids=[slot]), headers={"Idempotency-Key": "k"}
    )
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["code"] == entry["code"] and again.json()["token"] == entry["token"]
    assert await WaitlistEntry.count() == 1
    shown = await client.get(f"/api/waitlist/{entry['code']}", params={"token": entry["token"]})
    assert shown.status_code == 200 and shown.json()["state"] == "waiting"
    assert shown.headers["cache-control"] == "no-store"


async def test_joining_is_refused_with_the_documented_statuses(client):
    booth, slot, _made = await full_booth(client)
    free = await publish_booth(dt.date(2027, 6, 12), capacity=2)
    room = await client.post("/api/waitlist", json=wait_body(free["session"]), headers={"Accept-Language": "en"})
    assert room.status_code == 409 and "room for your party" in room.json()["detail"]
    unknown = await client.post("/api/waitlist", json=wait_body(999999))
    assert unknown.status_code == 404
    fields = await client.post(
        "/api/waitlist", json=wait_body(booth["session"], name_kana="", email="bad"), headers={"Accept-Language": "en"}
    )
    assert fields.status_code == 422 and {"name_kana", "email"} <= set(fields.json()["errors"])
    other_time = await client.post("/api/waitlist", json=wait_body(booth["session"], slot_ids=[free["slots"][0]["id"]]))
    assert other_time.status_code == 422 and set(other_time.json()["errors"]) == {"slot_ids"}
    first = await client.post("/api/waitlist", json=wait_body(booth["session"]))
    assert first.status_code == 201
    twice = await client.post("/api/waitlist", json=wait_body(booth["session"]), headers={"Accept-Language": "en"})
    assert twice.status_code == 409 and "already on this waiting list" in twice.json()["detail"]
    large = await client.post("/api/waitlist", json=wait_body(booth["session"], name_kana="ア" * 5000))
    assert large.status_code == 413
    assert await WaitlistEntry.count() == 1


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("party_size", {"party_size": "2"}),
        ("party_size", {"party_size": 1.0}),
        ("session_id", {"session_id": "1"}),
        ("session_id", {"session_id": 2**63}),
        ("slot_ids", {"slot_ids": "1,2"}),
        ("slot_ids", {"slot_ids": ["1"]}),
        ("email", {"email": 12}),
        ("name_kana", {"name_kana": "ア" * 101}),
    ],
)
async def test_the_api_takes_the_documented_types_only(client, field, changes):
    booth, _slot, _made = await full_booth(client)
    response = await client.post("/api/waitlist", json=wait_body(booth["session"]) | changes)
    assert response.status_code == 422, response.text
    assert set(response.json()["errors"]) == {field}
    assert await WaitlistEntry.count() == 0


async def test_an_offer_is_accepted_once_201_then_200_with_the_same_booking(client):
    booth, slot, made = await full_booth(client)
    entry = (await client.post("/api/waitlist", json=wait_body(booth["session"], slot_ids=[slot]))).json()
    early = await client.post(
        f"/api/waitlist/{entry['code']}/accept", params={"token": entry["token"]}, headers={"Accept-Language": "en"}
    )
    assert early.status_code == 409 and "No place is offered to you yet" in early.json()["detail"]
    await cancel(client, made[0])
    shown = (await client.get(f"/api/waitlist/{entry['code']}", params={"token": entry["token"]})).json()
    assert shown["state"] == "offered" and shown["offer_slot_id"] == slot
    assert shown["offer_start"].startswith("2027-06-05T10:00:00+09:00")
    assert shown["offer_end"].startswith("2027-06-05T10:30:00+09:00")
    assert dt.datetime.fromisoformat(shown["offer_expires_at"]) == BEFORE + dt.timedelta(minutes=120)
    accepted = await client.post(f"/api/waitlist/{entry['code']}/accept", params={"token": entry["token"]})
    assert accepted.status_code == 201, accepted.text
    assert accepted.headers["cache-control"] == "no-store"
    booking = accepted.json()
    assert tuple(booking) == BookingOut.__struct_fields__  # the bookings API's own shape
    assert booking["state"] == "confirmed" and booking["slot_id"] == slot and booking["email"] == "wait1@example.jp"
    again = await client.post(f"/api/waitlist/{entry['code']}/accept", params={"token": entry["token"]})
    assert again.status_code == 200 and again.json()["code"] == booking["code"]
    assert again.json()["token"] == booking["token"]
    read = await client.get(f"/api/bookings/{booking['code']}", params={"token": booking["token"]})
    assert read.status_code == 200 and read.json()["state"] == "confirmed"
    after = (await client.get(f"/api/waitlist/{entry['code']}", params={"token": entry["token"]})).json()
    assert after["state"] == "booked" and after["booking_code"] == booking["code"]
    for after_booking in ("decline", "leave"):  # the booking is cancelled as a booking, not here (and it says so)
        refused = await client.post(
            f"/api/waitlist/{entry['code']}/{after_booking}",
            params={"token": entry["token"]},
            headers={"Accept-Language": "en"},
        )
        assert refused.status_code == 409, refused.text
        assert "cancel the booking" in refused.json()["detail"]
    assert await Booking.count().where(Booking.source == "waitlist") == 1 and await booked(slot) == 2


async def test_wrong_codes_and_tokens_are_404_on_every_route(client):
    booth, slot, _made = await full_booth(client)
    entry = (await client.post("/api/waitlist", json=wait_body(booth["session"]))).json()
    for method, path in (
        ("GET", f"/api/waitlist/{entry['code']}"),
        ("POST", f"/api/waitlist/{entry['code']}/accept"),
        ("POST", f"/api/waitlist/{entry['code']}/decline"),
        ("POST", f"/api/waitlist/{entry['code']}/leave"),
    ):
        for params in ({"token": "wrong"}, {}):
            response = await client.request(method, path, params=params)
            assert response.status_code == 404, (method, path, params, response.text)
        other_path = path.replace(entry["code"], "AAAAAAAAAAAAAAAA")
        other = await client.request(method, other_path, params={"token": entry["token"]})
        assert other.status_code == 404
    assert (await client.get(f"/api/waitlist/{entry['code']}", params={"token": entry["token"]})).json()[
        "state"
    ] == "waiting"


async def test_declining_passes_the_offer_on_and_an_expired_or_declined_offer_is_409(client):
    booth, slot, made = await full_booth(client)
    first = (await client.post("/api/waitlist", json=wait_body(booth["session"], 1, slot_ids=[slot]))).json()
    second = (await client.post("/api/waitlist", json=wait_body(booth["session"], 2))).json()
    third = (await client.post("/api/waitlist", json=wait_body(booth["session"], 3))).json()
    not_offered = await client.post(f"/api/waitlist/{first['code']}/decline", params={"token": first["token"]})
    assert not_offered.status_code == 409
    await cancel(client, made[0])
    declined = await client.post(
        f"/api/waitlist/{first['code']}/decline", params={"token": first["token"]}, headers={"Accept-Language": "en"}
    )
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    refused = await client.post(
        f"/api/waitlist/{first['code']}/accept", params={"token": first["token"]}, headers={"Accept-Language": "en"}
    )
    assert refused.status_code == 409 and "declined" in refused.json()["detail"]
    assert (await client.get(f"/api/waitlist/{second['code']}", params={"token": second["token"]})).json()[
        "state"
    ] == "offered"
    with clock.frozen(BEFORE + dt.timedelta(minutes=121)):
        late = await client.post(
            f"/api/waitlist/{second['code']}/accept",
            params={"token": second["token"]},
            headers={"Accept-Language": "en"},
        )
        assert late.status_code == 409 and "expired" in late.json()["detail"]
        shown = await client.get(f"/api/waitlist/{third['code']}", params={"token": third["token"]})
        assert shown.json()["state"] == "offered"
    assert await booked(slot) == 2


async def test_leaving_the_list_through_the_api(client):
    booth, slot, made = await full_booth(client)
    first = (await client.post("/api/waitlist", json=wait_body(booth["session"], 1))).json()
    second = (await client.post("/api/waitlist", json=wait_body(booth["session"], 2))).json()
    left = await client.post(f"/api/waitlist/{first['code']}/leave", params={"token": first["token"]})
    assert left.status_code == 200 and left.json()["state"] == "left"
    assert left.headers["cache-control"] == "no-store"
    again = await client.post(f"/api/waitlist/{first['code']}/leave", params={"token": first["token"]})
    assert again.status_code == 200 and again.json()["state"] == "left"  # harmless
    await cancel(client, made[0])
    assert (await client.get(f"/api/waitlist/{second['code']}", params={"token": second["token"]})).json()[
        "state"
    ] == "offered"
    assert (await client.get(f"/api/waitlist/{first['code']}", params={"token": first["token"]})).json()[
        "state"
    ] == "left"
    # leaving while offered gives the held place back (nobody else waits: it is free to book again)
    offered_left = await client.post(f"/api/waitlist/{second['code']}/leave", params={"token": second["token"]})
    assert offered_left.json()["state"] == "left" and await booked(slot) == 1
    refused = await client.post(f"/api/waitlist/{second['code']}/accept", params={"token": second["token"]})
    assert refused.status_code == 409


async def continue_booth(session_id: int) -> int:
    """A change to the approved plan continues the booth in a new session; returns the new session's id."""
    row = await Session.select().where(Session.id == session_id).first()
    plan = (await PlanVersion.select(PlanVersion.plan).where(PlanVersion.id == row["version"]).first())["plan"]
    version = (await PlanVersion.insert(PlanVersion(plan=plan, state="approved")).returning(PlanVersion.id))[0]["id"]
    copy = {k: v for k, v in row.items() if k not in ("id", "version")}
    new_id = (
        await Session.insert(
            Session(**{**copy, "version": version, "state": SessionState.planned.value, "origin": session_id})
        ).returning(Session.id)
    )[0]["id"]
    async with write_transaction():
        await publish_version(PlanApproved(version_id=version, actor_id=None))
    return new_id


async def test_a_booth_is_joined_by_any_id_it_had(client):
    """``session_id`` may be the booth's public id or its current session's: both join its one list."""
    booth, slot, _made = await full_booth(client)
    current = await continue_booth(booth["session"])
    by_current = await client.post("/api/waitlist", json=wait_body(current, 1, slot_ids=[slot]))
    assert by_current.status_code == 201, by_current.text
    assert by_current.json()["session_id"] == booth["session"]  # the public id
    by_public = await client.post("/api/waitlist", json=wait_body(booth["session"], 1))
    assert by_public.status_code == 409  # the same list: this contact already waits on it
    assert await WaitlistEntry.count() == 1


async def test_waitlist_requests_share_the_bookings_rate_limit():
    from portal.app import create_app

    app = create_app(dataclasses.replace(get_settings(), booking_rate_limit=3))
    booth = await publish_booth(capacity=1, walk_in=0, start=dt.time(10), end=dt.time(10, 30))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as limited:
        assert (await limited.post("/api/bookings", json=booking_body(booth["slots"][0]["id"], 1))).status_code == 201
        joined = [await limited.post("/api/waitlist", json=wait_body(booth["session"], n)) for n in range(4)]
        assert [r.status_code for r in joined] == [201, 201, 201, 429]
        entry = joined[0].json()
        shown = [
            await limited.get(f"/api/waitlist/{entry['code']}", params={"token": entry["token"]}) for _ in range(4)
        ]
        assert [r.status_code for r in shown] == [200, 200, 200, 429]
        limited_out = shown[-1]
        assert 1 <= int(limited_out.headers["retry-after"]) <= 60
        assert (await limited.get("/api/sessions")).status_code == 200


async def test_the_openapi_document_lists_every_status_of_the_waitlist(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    statuses = {
        ("/api/waitlist", "post"): {"201", "404", "409", "413", "422", "429"},
        ("/api/waitlist/{code}", "get"): {"200", "404", "429"},
        ("/api/waitlist/{code}/accept", "post"): {"200", "201", "404", "409", "429"},
        ("/api/waitlist/{code}/decline", "post"): {"200", "404", "409", "429"},
        ("/api/waitlist/{code}/leave", "post"): {"200", "404", "409", "429"},
    }
    for (path, method), expected in statuses.items():
        assert set(paths[path][method]["responses"]) == expected, (path, method)
    post = paths["/api/waitlist"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    schema = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    waitlist_in = next(value for name, value in schema.items() if name.endswith("WaitlistIn"))
    properties = waitlist_in["properties"]
    assert properties["name_kana"]["maxLength"] == 100 and properties["email"]["maxLength"] == 254
    assert properties["party_size"]["minimum"] == 1 and properties["session_id"]["maximum"] == 2**31 - 1
    assert set(waitlist_in["required"]) == {"session_id", "name_kana"}
    accepted = paths["/api/waitlist/{code}/accept"]["post"]["responses"]
    assert (
        accepted["201"]["content"]["application/json"]["schema"]
        == accepted["200"]["content"]["application/json"]["schema"]
    )


async def test_a_repeated_key_with_other_details_is_refused_and_shows_nothing_of_the_first_entry(client):
    """An Idempotency-Key replays only the request it was first sent with: someone else's request with the same key
    (a client that numbers its keys, say) must not get the first resident's entry, contact and link."""
    booth, _slot, _made = await full_booth(client)
    first = await client.post("/api/waitlist", json=wait_body(booth["session"], 1), headers={"Idempotency-Key": "7"})
    assert first.status_code == 201
    other = await client.post(
        "/api/waitlist",
        json=wait_body(booth["session"], 2, name_kana="タニン ジロウ"),
        headers={"Idempotency-Key": "7", "Accept-Language": "en"},
    )
    assert other.status_code == 422, other.text
    assert set(other.json()["errors"]) == {"idempotency_key"} and "waiting list entry" in other.json()["detail"]
    assert "wait1@example.jp" not in other.text and first.json()["token"] not in other.text
    replayed = await client.post("/api/waitlist", json=wait_body(booth["session"], 1), headers={"Idempotency-Key": "7"})
    assert replayed.status_code == 201 and replayed.json()["token"] == first.json()["token"]
    assert await WaitlistEntry.count() == 1


async def test_an_offer_at_a_booth_cancelled_meanwhile_books_nothing(client):
    booth, slot, made = await full_booth(client)
    entry = (await client.post("/api/waitlist", json=wait_body(booth["session"]))).json()
    await cancel(client, made[0])
    await Session.update({Session.state: SessionState.cancelled.value}).where(Session.id == booth["session"])
    refused = await client.post(
        f"/api/waitlist/{entry['code']}/accept", params={"token": entry["token"]}, headers={"Accept-Language": "en"}
    )
    assert refused.status_code == 409 and "not taking bookings" in refused.json()["detail"]
    assert await Booking.count().where(Booking.source == "waitlist") == 0


async def test_a_contact_at_the_booth_s_booking_limit_cannot_wait_for_more(client):
    """Such an entry could never accept its offer: it would hold the places until the offer expired, and the next
    resident would wait for nothing."""
    booth = await publish_booth(capacity=2, walk_in=1, start=dt.time(10), end=dt.time(11))
    first, second = (slot["id"] for slot in booth["slots"])
    mine = {"name_kana": "ヨヤク タロウ", "phone": "09011112222", "party_size": 1}
    bodies = ({"slot_id": first} | mine, {"slot_id": second} | mine, booking_body(first, 5), booking_body(second, 6))
    for body in bodies:
        assert (await client.post("/api/bookings", json=body)).status_code == 201
    refused = await client.post(
        "/api/waitlist",
        json={
            "session_id": booth["session"],
            "name_kana": "ヨヤク タロウ",
            "phone": "090-1111-2222",
            "slot_ids": [first],
        },
        headers={"Accept-Language": "en"},
    )
    assert refused.status_code == 409 and "already has 2 bookings at this booth" in refused.json()["detail"]
    assert await WaitlistEntry.count() == 0


async def test_an_entry_whose_contact_reached_the_booking_limit_since_joining_is_passed_over(client):
    """It joined with one booking at the booth, then booked another: an offer would be held for it in vain (its
    acceptance is refused), so the freed place goes to the next entry."""
    booth = await publish_booth(capacity=2, walk_in=1, start=dt.time(10), end=dt.time(11, 30))
    first, second, third = (slot["id"] for slot in booth["slots"])
    mine = {"name_kana": "ヨヤク タロウ", "phone": "09011112222", "party_size": 1}
    made = [(await client.post("/api/bookings", json=booking_body(first, n))).json() for n in (5, 6)]
    assert (await client.post("/api/bookings", json={"slot_id": second} | mine)).status_code == 201
    body = {"session_id": booth["session"], "name_kana": "ヨヤク タロウ", "phone": "09011112222", "slot_ids": [first]}
    passed_over = (await client.post("/api/waitlist", json=body)).json()
    next_one = (await client.post("/api/waitlist", json=wait_body(booth["session"], 2, slot_ids=[first]))).json()
    assert (await client.post("/api/bookings", json={"slot_id": third} | mine)).status_code == 201
    await cancel(client, made[0])
    states = [
        (await client.get(f"/api/waitlist/{entry['code']}", params={"token": entry["token"]})).json()["state"]
        for entry in (passed_over, next_one)
    ]
    assert states == ["waiting", "offered"]
