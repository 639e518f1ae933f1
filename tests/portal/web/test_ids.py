"""A number in a path that no row can have is "not found" (portal/web/ids.py), never a database error."""

from __future__ import annotations

import pytest

from core.tables import Role
from tests.conftest import soup

TOO_BIG = [str(2**63), str(2**64), str(2**31)]  # 2**31: past PostgreSQL's 32-bit ids already


@pytest.mark.parametrize("number", TOO_BIG)
async def test_the_api_answers_404_in_json(client, number):
    response = await client.get(f"/api/sessions/{number}")
    assert response.status_code == 404
    assert response.json()["detail"] == "お探しのページはありません。"


@pytest.mark.parametrize("path", ["/booths/{n}", "/booths/{n}/book", "/sessions/{n}/flyer.png"])
async def test_residents_get_the_not_found_page_in_their_language(client, path):
    response = await client.get(path.format(n=2**63), headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "does not exist" in soup(response).find(role="alert").get_text()


@pytest.mark.parametrize(
    "path", ["/staff/plans/{n}", "/staff/checkin/{n}", "/staff/flyers/jobs/{n}", "/staff/retention/{n}/report.pdf"]
)
async def test_staff_pages_answer_404(client, signed_in, path):
    await signed_in(Role.admin)
    response = await client.get(path.format(n=2**63))
    assert response.status_code == 404


async def test_an_id_in_range_still_reaches_its_page(client):
    assert (await client.get("/api/sessions/2147483647")).status_code == 404  # the handler's own "no such booth"
    assert (await client.get("/api/sessions/2147483647")).json()["detail"] != "お探しのページはありません。"


async def test_ids_in_query_parameters_past_the_database_are_a_400(client, signed_in):
    from booking.bookings import BookingRequest, create_booking
    from core import clock
    from tests.booking.factories import publish_booth

    with clock.frozen(clock.now().replace(year=2027, month=6, day=1)):
        booth = await publish_booth()
        details, _ = await create_booking(
            BookingRequest(slot_id=booth["slots"][0]["id"], name_kana="カナザワ ハナコ", phone="090-1111-2222")
        )
        manage = f"/bookings/{details.code}?token={details.manage_token}"
        assert (await client.get(manage + f"&booth={2**63}")).status_code == 400
        assert (await client.get(f"/booths/{booth['session']}/book?slot={2**63}")).status_code == 400
        assert (await client.get(manage + f"&booth={booth['session']}")).status_code == 200
    await signed_in(Role.admin)
    assert (await client.get(f"/staff/audit?plan={2**63}")).status_code == 400
