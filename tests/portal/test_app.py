"""``create_app(settings)``: the portal runs on the settings it is given, and so do the domain services its pages
call (they read ``get_settings()``, which the app's settings become)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from litestar.testing import AsyncTestClient

from core import clock
from core.settings import get_settings
from portal.app import create_app
from tests.booking.factories import publish_booth
from tests.conftest import soup

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


async def test_an_app_built_on_custom_settings_shows_them_and_its_services_agree():
    custom = dataclasses.replace(
        get_settings(),
        base_url="https://booths.example.jp",
        data_credit="会場データ: 架空市オープンデータ（CC BY 4.0）",
        max_party_size=3,
    )
    assert custom.base_url != get_settings().base_url
    booth = await publish_booth(capacity=4)
    session = booth["session"]
    async with AsyncTestClient(app=create_app(custom), base_url="http://testserver.local") as client:
        assert get_settings() is custom
        # the pages' template: the footer's credit
        form = soup(await client.get(f"/booths/{session}/book"))
        assert form.select_one("footer").get_text(strip=True) == custom.data_credit
        # a handler: the party sizes the form offers, and the booth's address in the API
        assert [o["value"] for o in form.select("select#party_size option")] == ["1", "2", "3"]
        listed = (await client.get(f"/api/sessions/{session}")).json()
        assert listed["url"] == f"https://booths.example.jp/booths/{session}"
        # domain services the API calls: the booking's limits and its manage link
        slot = booth["slots"][0]["id"]
        booking = {"slot_id": slot, "name_kana": "カナザワ ハナコ", "phone": "090-1111-2222"}
        too_many = await client.post("/api/bookings", json={**booking, "party_size": 4})
        assert too_many.status_code == 422 and "3" in too_many.json()["errors"]["party_size"]
        made = await client.post("/api/bookings", json={**booking, "party_size": 3})
        assert made.status_code == 201, made.text
        assert made.json()["manage_url"].startswith("https://booths.example.jp/bookings/")


async def test_an_app_built_without_settings_runs_on_the_environments(client):
    from core.settings import environment_settings

    assert get_settings() is environment_settings()
    footer = soup(await client.get("/bookings/find")).select_one("footer").get_text(strip=True)
    assert "地理院タイル" in footer and get_settings().data_credit is None


async def test_the_residents_side_refuses_large_bodies_before_reading_them(client):
    from booking.tables import Booking
    from tests.conftest import post_form

    booth = await publish_booth()
    slot = booth["slots"][0]["id"]
    huge = {"slot_id": slot, "name_kana": "ア" * 3_200_000, "phone": "090-1111-2222"}  # 9.4 MB of UTF-8
    response = await client.post("/api/bookings", json=huge)
    assert response.status_code == 413
    assert "大きすぎ" in response.json()["detail"]
    form = await post_form(
        client,
        f"/booths/{booth['session']}/book",
        f"/booths/{booth['session']}/book",
        {"slot": str(slot), "party_size": "1", "name_kana": "ア" * 20_000, "phone": "09011112222"},
    )
    assert form.status_code == 413
    assert "大きすぎ" in soup(form).find(role="alert").get_text()
    assert await Booking.count() == 0


async def test_a_booking_at_its_longest_fits_the_limit(client):
    booth = await publish_booth()
    longest = {
        "slot_id": booth["slots"][0]["id"],
        "name_kana": "\u30a2" * 60,
        "phone": "090-1111-2222",
        "email": "a" * 60 + "@" + "b" * 60 + ".example.jp",
        "source": "x" * 200,
        "needs": {"wheelchair": True, "large_print": True, "interpreter": "other"},
        "readiness": {"photo_id": True, "notification_card": True, "not_moving": True, "guardian": True},
    }
    response = await client.post("/api/bookings", json=longest)
    assert response.status_code == 201, response.text


async def test_the_back_office_still_takes_larger_forms(client, signed_in):
    from core.tables import Role
    from tests.conftest import post_form

    await signed_in(Role.contractor_lead)
    response = await post_form(
        client, "/staff/venues", "/staff/venues/v/NOPE/edit", {"notes": "x" * 50_000}, follow_redirects=False
    )
    assert response.status_code != 413


async def test_the_api_document_is_served_without_anything_from_a_cdn(client):
    for path in ("/schema", "/schema/openapi.json"):
        response = await client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/") and "<script" not in response.text
        assert "/api/bookings" in response.json()["paths"]
    for viewer in ("/schema/redoc", "/schema/swagger", "/schema/elements"):
        assert (await client.get(viewer)).status_code == 404


def test_every_catalog_is_read_when_the_app_is_made_not_by_its_first_request():
    from core.i18n import LOCALES, translations

    translations.cache_clear()
    create_app(get_settings())
    assert translations.cache_info().currsize == len(LOCALES)  # no request waits to read and compile a catalog
