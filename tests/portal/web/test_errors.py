"""Error pages: translated explanations for every status, and a "go back" link that is a plain link."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from core.i18n import using_locale
from core.tables import Role
from portal.web.errors import http_error_message


@pytest.mark.parametrize("status", [400, 405, 413, 429, 500, 503, 418])
def test_every_status_is_explained_in_both_languages(status: int) -> None:
    with using_locale("ja"):
        japanese = http_error_message(status)
    with using_locale("en"):
        english = http_error_message(status)
    assert japanese and english and japanese != english
    assert "Method Not Allowed" not in english and "Too Many Requests" not in english


async def test_a_wrong_method_gets_a_translated_page(client, signed_in):
    await signed_in(Role.contractor_staff)
    response = await client.get("/staff/logout")
    assert response.status_code == 405
    alert = BeautifulSoup(response.text, "html.parser").find(role="alert").get_text(strip=True)
    assert alert == http_error_message(405) and "Method" not in alert


async def test_go_back_leads_to_the_page_the_visitor_came_from(client, signed_in):
    await signed_in(Role.contractor_staff)
    came_from = await client.get(
        "/staff/venues/v/NOPE", headers={"referer": "http://testserver.local/staff/venues?kind=library"}
    )
    back = BeautifulSoup(came_from.text, "html.parser").find("a", string=lambda text: text and "戻る" in text)
    assert back["href"] == "/staff/venues?kind=library"
    elsewhere = await client.get("/staff/venues/v/NOPE", headers={"referer": "https://evil.example/staff/audit"})
    back = BeautifulSoup(elsewhere.text, "html.parser").find("a", string=lambda text: text and "戻る" in text)
    assert back["href"] == "/staff/"


async def test_go_back_for_a_signed_out_visitor_leads_home(client):
    response = await client.get("/staff/logout")
    back = BeautifulSoup(response.text, "html.parser").find("a", string=lambda text: text and "戻る" in text)
    assert back["href"] == "/"


async def test_an_unexpected_error_gets_a_translated_page(app):
    from litestar import get
    from litestar.testing import AsyncTestClient

    @get("/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("database exploded")

    app.register(boom)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    alert = BeautifulSoup(response.text, "html.parser").find(role="alert").get_text(strip=True)
    assert alert == http_error_message(500) and "exploded" not in response.text
