"""The public JSON API of DESIGN §5, as an outside client uses it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from litestar.testing import AsyncTestClient

from booking.tables import Booking, Slot
from core import clock
from core.settings import get_settings
from tests.booking.factories import publish_booth

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


def body(slot_id: int, **values) -> dict:
    data = {"slot_id": slot_id, "name_kana": "カナザワ ハナコ", "phone": "090-1111-2222", "party_size": 1}
    data.update(values)
    return data


async def test_sessions_are_listed_nearest_first_with_distance_and_remaining(client):
    far = await publish_booth(dt.date(2027, 6, 5), lat=36.60, lon=136.70, name="遠い公民館")
    near = await publish_booth(dt.date(2027, 6, 12), lat=36.561, lon=136.652, name="近い公民館")
    await publish_booth(dt.date(2027, 6, 19), state="planned")  # not published: not listed
    response = await client.get("/api/sessions", params={"near": "36.5613,136.6562"})
    assert response.status_code == 200
    sessions = response.json()
    assert [s["id"] for s in sessions] == [near["session"], far["session"]]
    assert sessions[0]["distance_km"] < 1 < sessions[1]["distance_km"]
    assert sessions[0]["venue"]["name"] == "近い公民館" and sessions[0]["remaining"] == 14 * 4
    by_date = (await client.get("/api/sessions", params={"from": "2027-06-06", "limit": 5})).json()
    assert [s["id"] for s in by_date] == [near["session"]]
    assert (await client.get("/api/sessions", params={"near": "north"})).status_code == 422


async def test_a_session_has_its_slots(client):
    booth = await publish_booth(capacity=4)
    response = await client.get(f"/api/sessions/{booth['session']}")
    slots = response.json()["slots"]
    assert len(slots) == 14 and slots[0]["start"].startswith("2027-06-05T10:00:00+09:00")
    assert slots[0]["capacity"] == 4 and slots[0]["remaining"] == 4
    assert (await client.get("/api/sessions/999999")).status_code == 404


async def test_booking_through_the_api_with_an_idempotency_key(client):
    booth = await publish_booth(capacity=2)
    slot = booth["slots"][0]["id"]
    response = await client.post("/api/bookings", json=body(slot, party_size=2), headers={"Idempotency-Key": "abc"})
    assert response.status_code == 201, response.text
    booking = response.json()
    again = await client.post("/api/bookings", json=body(slot, party_size=2), headers={"Idempotency-Key": "abc"})
    assert again.status_code == 201 and again.json()["code"] == booking["code"]
    assert await Booking.count() == 1
    full = await client.post("/api/bookings", json=body(slot, phone="09033334444"))
    assert full.status_code == 409
    assert full.json()["alternatives"][0]["id"] == booth["slots"][1]["id"]
    shown = await client.get(f"/api/bookings/{booking['code']}", params={"token": booking["token"]})
    assert shown.status_code == 200 and shown.json()["party_size"] == 2
    assert (await client.get(f"/api/bookings/{booking['code']}", params={"token": "x"})).status_code == 404
    cancelled = await client.post(f"/api/bookings/{booking['code']}/cancel", params={"token": booking["token"]})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert (await Slot.select(Slot.booked).where(Slot.id == slot).first())["booked"] == 0


async def test_refusals_speak_chinese_korean_vietnamese_and_plain_japanese(client):
    booth = await publish_booth()
    slot = booth["slots"][0]["id"]
    expected = {
        "zh-CN,zh;q=0.9": "电话号码",
        "ko-KR": "전화번호",
        "vi-VN,vi;q=0.9,en;q=0.5": "số điện thoại",
    }
    for accept, words in expected.items():
        response = await client.post(
            "/api/bookings", json=body(slot, phone="", email=""), headers={"Accept-Language": accept}
        )
        assert response.status_code == 422 and words in response.json()["errors"]["contact"], accept
    await client.get("/lang/ja-easy")  # やさしい日本語 only by choice; the API's plain text has furigana in brackets
    easy = await client.post("/api/bookings", json=body(slot, phone="", email=""))
    assert "電話（でんわ）" in easy.json()["errors"]["contact"] and "<ruby>" not in easy.text
    assert await Booking.count() == 0


async def test_bad_bookings_get_field_errors_in_the_callers_language(client):
    booth = await publish_booth()
    slot = booth["slots"][0]["id"]
    response = await client.post(
        "/api/bookings", json=body(slot, name_kana="", phone=None, email="bad"), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"name_kana", "email"} and "katakana" in errors["name_kana"]
    japanese = await client.post(
        "/api/bookings", json=body(slot, phone="", email=""), headers={"Accept-Language": "ja"}
    )
    assert japanese.status_code == 422 and "電話" in japanese.json()["errors"]["contact"]
    wrong_type = await client.post("/api/bookings", json={"slot_id": "one"})
    assert wrong_type.status_code == 422 and wrong_type.json()["errors"]
    assert await Booking.count() == 0


async def test_booking_requests_are_rate_limited():
    from portal.app import create_app

    app = create_app(dataclasses.replace(get_settings(), booking_rate_limit=3))
    booth = await publish_booth()
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as limited:
        responses = [
            await limited.post("/api/bookings", json=body(booth["slots"][n]["id"], phone=f"0900000000{n}"))
            for n in range(4)
        ]
        assert [r.status_code for r in responses] == [201, 201, 201, 429]
        assert 1 <= int(responses[-1].headers["retry-after"]) <= 60
        assert "1分ほど待って" in responses[-1].json()["detail"]  # the Japanese default
        assert (await limited.get("/api/sessions")).status_code == 200  # reading the list is not limited


async def test_the_openapi_description_names_the_contract(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert {
        "/api/sessions",
        "/api/sessions/{session_id}",
        "/api/bookings",
        "/api/bookings/{code}",
        "/api/bookings/{code}/cancel",
    } <= set(schema["paths"])
    post = schema["paths"]["/api/bookings"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("party_size", {"party_size": "2"}),
        ("slot_id", {"slot_id": "SLOT"}),
        ("party_size", {"party_size": 1.0}),
        ("needs.wheelchair", {"needs": {"wheelchair": "true"}}),
        ("phone", {"phone": 9011112222}),
    ],
)
async def test_the_api_takes_the_documented_types_only(client, field, changes):
    booth = await publish_booth()
    data = body(booth["slots"][0]["id"]) | changes
    if data["slot_id"] == "SLOT":
        data["slot_id"] = str(booth["slots"][0]["id"])
    response = await client.post("/api/bookings", json=data, headers={"Accept-Language": "en"})
    assert response.status_code == 422, response.text
    assert set(response.json()["errors"]) == {field}
    assert await Booking.count() == 0


async def test_numbers_past_what_the_database_holds_are_field_errors(client):
    booth = await publish_booth()
    response = await client.post("/api/bookings", json=body(2**63))
    assert response.status_code == 422 and set(response.json()["errors"]) == {"slot_id"}
    booked = (await client.post("/api/bookings", json=body(booth["slots"][0]["id"]))).json()
    moved = await client.post(
        f"/api/bookings/{booked['code']}/move", params={"token": booked["token"]}, json={"slot_id": 2**63}
    )
    assert moved.status_code == 422 and set(moved.json()["errors"]) == {"slot_id"}


@pytest.mark.parametrize("nested", ['{"a":' * 1200 + "1" + "}" * 1200, "[" * 3000 + "]" * 3000])  # within 8 KB
async def test_a_body_nested_thousands_deep_is_a_422(client, nested):
    booth = await publish_booth()
    raw = f'{{"slot_id": {booth["slots"][0]["id"]}, "name_kana": "カナ", "phone": "0901111222", "needs": {nested}}}'
    response = await client.post("/api/bookings", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "body" in response.json()["errors"]
    assert await Booking.count() == 0


async def test_bookings_are_never_stored_by_browsers_or_proxies(client):
    booth = await publish_booth()
    made = await client.post("/api/bookings", json=body(booth["slots"][0]["id"]))
    assert made.headers["cache-control"] == "no-store"
    shown = await client.get(f"/api/bookings/{made.json()['code']}", params={"token": made.json()["token"]})
    assert shown.headers["cache-control"] == "no-store"
    refused = await client.post("/api/bookings", json=body(booth["slots"][0]["id"], phone="abc"))
    assert refused.status_code == 422


async def test_the_openapi_document_lists_every_status_and_constraint(client):
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    statuses = {
        ("/api/bookings", "post"): {"201", "404", "409", "413", "422", "429"},
        ("/api/bookings/{code}", "get"): {"200", "404", "429"},
        ("/api/bookings/{code}/cancel", "post"): {"200", "404", "409", "429"},
        ("/api/bookings/{code}/move", "post"): {"200", "404", "409", "413", "422", "429"},
        ("/api/sessions", "get"): {"200", "422"},
        ("/api/sessions/{session_id}", "get"): {"200", "404"},
        ("/healthz", "get"): {"200", "503"},
    }
    for (path, method), expected in statuses.items():
        assert set(paths[path][method]["responses"]) == expected, (path, method)
    components = schema["components"]["schemas"]
    booking_in = next(value for name, value in components.items() if name.endswith("BookingIn"))
    properties = booking_in["properties"]
    assert properties["slot_id"]["minimum"] == 1 and properties["slot_id"]["maximum"] == 2**31 - 1
    assert properties["name_kana"]["maxLength"] == 100
    assert properties["party_size"]["minimum"] == 1
    assert properties["phone"]["maxLength"] == 30 and properties["email"]["maxLength"] == 254
    conflict = paths["/api/bookings"]["post"]["responses"]["409"]["content"]["application/json"]["schema"]
    assert conflict


async def test_a_party_of_six_books_and_a_refusal_says_why_with_times_that_fit(client):
    """Issue 15 item 2, through the API: 4 bookable + 2 walk-in places a slot; a family of 6 has a whole slot."""
    booth = await publish_booth(capacity=4, walk_in=2)
    first, second = booth["slots"][0]["id"], booth["slots"][1]["id"]
    session = (await client.get(f"/api/sessions/{booth['session']}")).json()
    assert session["largest_party"] == 6 and session["slots"][0]["room"] == 6
    made = await client.post("/api/bookings", json=body(first, party_size=6), headers={"Idempotency-Key": "fam"})
    assert made.status_code == 201, made.text
    assert made.json()["party_size"] == 6
    assert (await Slot.select(Slot.booked).where(Slot.id == first).first())["booked"] == 6
    await client.post("/api/bookings", json=body(second, party_size=2, phone="09055556666"))
    refused = await client.post("/api/bookings", json=body(second, party_size=5, phone="09033334444"))
    assert refused.status_code == 409
    answer = refused.json()
    assert "2人まで" in answer["detail"] and "5人" in answer["detail"]
    assert answer["alternatives"] and all(a["room"] >= 5 for a in answer["alternatives"])
    assert answer["alternatives"][0]["id"] == booth["slots"][2]["id"]


async def test_a_past_booth_takes_no_booking_through_the_api(client):
    booth = await publish_booth(dt.date(2027, 5, 30))
    refused = await client.post("/api/bookings", json=body(booth["slots"][0]["id"]))
    assert refused.status_code == 409 and "終了しました" in refused.json()["detail"]
    assert await Booking.count() == 0
