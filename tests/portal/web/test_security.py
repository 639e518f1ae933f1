"""Every answer of the portal carries the same security headers and Content-Security-Policy, the ones the framework
makes itself included (unknown paths, wrong methods, refused CSRF tokens, rate limits, bodies too large)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from litestar.testing import AsyncTestClient

from core import clock
from core.settings import get_settings
from portal.app import BODY_LIMIT
from portal.web.security import security_headers
from tests.booking.factories import publish_booth

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


def ours() -> dict[str, str]:
    """The headers of the settings the test's app is built with."""
    return {name.lower(): value for name, value in security_headers(get_settings()).items()}


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


def assert_protected(response, what: str) -> None:
    expected = ours()
    found = {name: response.headers.get(name) for name in expected}
    assert found == expected, f"{what} ({response.status_code}) lacks security headers"
    assert len(response.headers.get_list("content-security-policy")) == 1, what


def test_the_headers_are_the_ones_the_design_asks_for():
    headers = ours()
    assert set(headers) == {
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
        "x-frame-options",
        "permissions-policy",
    }
    policy = headers["content-security-policy"]
    assert "script-src 'self';" in policy and "object-src 'none'" in policy and "frame-ancestors 'self'" in policy
    secure = security_headers(dataclasses.replace(get_settings(), secure_cookies=True))
    assert secure["Strict-Transport-Security"] == "max-age=31536000"


async def test_pages_the_api_and_static_files_carry_the_headers(client):
    booth = await publish_booth()
    for path in ("/", f"/booths/{booth['session']}", "/staff/login", "/healthz", "/static/css/site.css"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert_protected(response, path)
    first, again = await client.get("/api/sessions"), await client.get("/api/sessions")  # the handler, then the cache
    assert first.status_code == again.status_code == 200
    assert_protected(first, "the booth list")
    assert_protected(again, "the booth list answered again")
    assert_protected(await client.get(f"/api/sessions/{booth['session']}"), "one booth")


async def test_answers_the_framework_makes_carry_the_headers_too(client):
    cases = {
        "unknown path": await client.get("/no-such-page"),
        "unknown API path": await client.get("/api/no-such-thing"),
        "wrong method": await client.post("/api/sessions"),
        "form without its CSRF token": await client.post("/staff/login", data={"username": "a", "password": "b"}),
        "query out of range": await client.get("/api/sessions", params={"limit": 0}),
        "id out of range": await client.get("/api/sessions/99999999999999999999"),
        "body too large": await client.post(
            "/api/bookings", content=b"{" + b" " * (BODY_LIMIT + 1) + b"}", headers={"Content-Type": "application/json"}
        ),
    }
    assert {what: r.status_code for what, r in cases.items()} == {
        "unknown path": 404,
        "unknown API path": 404,
        "wrong method": 405,
        "form without its CSRF token": 403,
        "query out of range": 422,
        "id out of range": 404,
        "body too large": 413,
    }
    for what, response in cases.items():
        assert_protected(response, what)


async def test_a_rate_limited_answer_carries_the_headers():
    from portal.app import create_app

    app = create_app(dataclasses.replace(get_settings(), booking_rate_limit=1))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as limited:
        await limited.get("/api/bookings/NOPE?token=x")
        refused = await limited.get("/api/bookings/NOPE?token=x")
    assert refused.status_code == 429
    assert_protected(refused, "429")


async def test_the_map_frame_keeps_its_own_policy_and_gets_the_others(client, signed_in):
    from core.tables import Role

    await signed_in(Role.city_reviewer)
    frame = await client.get("/staff/venues/map.html")
    assert frame.status_code == 200
    assert len(frame.headers.get_list("content-security-policy")) == 1
    assert "script-src 'self' 'unsafe-inline'" in frame.headers["content-security-policy"]
    for name, value in ours().items():
        if name != "content-security-policy":
            assert frame.headers[name] == value
