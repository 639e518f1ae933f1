"""Sign-in, sessions, CSRF and the role checks on every back-office route."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from core.tables import Role, StaffUser
from tests.conftest import PASSWORD, csrf_token, sign_in

# (method, path, form data) of every back-office route; {venue} is replaced by a real venue ID.
READ_ROUTES = ["/staff/venues", "/staff/venues/map", "/staff/venues/map.html", "/staff/venues/export.csv",
               "/staff/venues/{venue}"]
EDIT_ROUTES = [
    ("GET", "/staff/venues/{venue}/edit"),
    ("POST", "/staff/venues/{venue}/deactivate"),
    ("POST", "/staff/venues/{venue}/blackouts"),
    ("GET", "/staff/venues/import"),
    ("POST", "/staff/venues/import"),
]
AUDIT_ROUTES = ["/staff/audit", "/staff/audit/export.csv"]
ADMIN_ROUTES = ["/staff/users"]


@pytest.fixture
async def venue():
    from tests.venues.factories import make_venue

    return await make_venue()


async def test_sign_in_sets_a_secure_session_cookie_and_sign_out_ends_it(client, make_user):
    actor = await make_user(Role.contractor_staff)
    response = await sign_in(client, actor.username)
    assert response.status_code == 303
    cookie = response.headers.get("set-cookie", "")
    assert "outreach_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert (await client.get("/staff/venues")).status_code == 200
    page = await client.get("/staff/venues")
    await client.post("/staff/logout", data={"_csrf_token": csrf_token(page.text)})
    assert (await client.get("/staff/venues", follow_redirects=False)).status_code == 303


async def test_wrong_password_is_refused_with_a_message(client, make_user):
    actor = await make_user(Role.admin)
    response = await sign_in(client, actor.username, "wrong-password")
    assert response.status_code == 400
    alert = BeautifulSoup(response.text, "html.parser").find(role="alert")
    assert alert is not None and alert.get_text(strip=True)
    assert (await client.get("/staff/venues", follow_redirects=False)).status_code == 303


async def test_password_is_stored_with_a_slow_hash(make_user):
    actor = await make_user(Role.admin)
    row = await StaffUser.select(StaffUser.password_hash).where(StaffUser.id == actor.id).first()
    assert row["password_hash"].startswith("$argon2id$") and PASSWORD not in row["password_hash"]


async def test_deactivated_account_loses_access_at_once(client, make_user):
    actor = await make_user(Role.contractor_lead)
    await sign_in(client, actor.username)
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == actor.id)
    assert (await client.get("/staff/venues", follow_redirects=False)).status_code == 303


async def test_signed_out_visitors_are_sent_to_sign_in(client, venue):
    token = csrf_token((await client.get("/staff/login")).text)
    routes = [("GET", path) for path in READ_ROUTES + AUDIT_ROUTES + ADMIN_ROUTES] + EDIT_ROUTES
    for method, path in routes:
        url = path.format(venue=venue["venue_id"])
        if method == "GET":
            response = await client.get(url, follow_redirects=False)
        else:
            response = await client.post(url, data={"_csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/staff/login?next=")


async def test_form_without_csrf_token_is_refused(client, make_user, venue):
    actor = await make_user(Role.admin)
    await sign_in(client, actor.username)
    response = await client.post(f"/staff/venues/{venue['venue_id']}/deactivate")
    assert response.status_code == 403
    assert (await client.get(f"/staff/venues/{venue['venue_id']}")).status_code == 200


async def test_sign_in_form_itself_needs_the_csrf_token(client, make_user):
    actor = await make_user(Role.admin)
    response = await client.post("/staff/login", data={"username": actor.username, "password": PASSWORD})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("role", "can_edit", "can_audit", "can_admin"),
    [
        (Role.contractor_staff, True, False, False),
        (Role.contractor_lead, True, True, False),
        (Role.city_reviewer, False, True, False),
        (Role.admin, True, True, True),
    ],
)
async def test_each_role_gets_403_exactly_where_it_should(client, make_user, venue, role, can_edit, can_audit,
                                                           can_admin):
    actor = await make_user(role)
    await sign_in(client, actor.username)
    token = csrf_token((await client.get("/staff/venues")).text)
    for path in READ_ROUTES:
        assert (await client.get(path.format(venue=venue["venue_id"]))).status_code == 200, path
    for method, path in EDIT_ROUTES:
        url = path.format(venue=venue["venue_id"])
        if method == "GET":
            response = await client.get(url)
        else:
            response = await client.post(url, data={"_csrf_token": token}, follow_redirects=False)
        if can_edit:
            assert response.status_code != 403, (method, path)
        else:
            assert response.status_code == 403, (method, path)
    for path in AUDIT_ROUTES:
        assert (await client.get(path)).status_code == (200 if can_audit else 403), path
    for path in ADMIN_ROUTES:
        assert (await client.get(path)).status_code == (200 if can_admin else 403), path
    denied = await client.post("/staff/users", data={"_csrf_token": token, "username": "x", "role": "admin",
                                                      "password": "long-enough-pw"})
    assert denied.status_code == (303 if can_admin else 403) or (can_admin and denied.status_code == 200)


async def test_forbidden_page_explains_in_the_users_language(client, make_user):
    actor = await make_user(Role.city_reviewer)
    await sign_in(client, actor.username)
    ja = await client.get("/staff/users")
    client.cookies.set("lang", "en")
    en = await client.get("/staff/users")
    assert ja.status_code == en.status_code == 403
    ja_text = BeautifulSoup(ja.text, "html.parser").find(role="alert").get_text(strip=True)
    en_text = BeautifulSoup(en.text, "html.parser").find(role="alert").get_text(strip=True)
    assert ja_text != en_text and "role" in en_text.lower()
    assert BeautifulSoup(ja.text, "html.parser").html["lang"] == "ja"
    assert BeautifulSoup(en.text, "html.parser").html["lang"] == "en"


async def test_admin_creates_an_account_that_can_sign_in(client, make_user, app):
    from litestar.testing import AsyncTestClient

    admin = await make_user(Role.admin)
    await sign_in(client, admin.username)
    token = csrf_token((await client.get("/staff/users")).text)
    short = await client.post("/staff/users", data={"_csrf_token": token, "username": "newbie", "role": "city_reviewer",
                                                    "password": "short"})
    assert short.status_code == 422
    error = BeautifulSoup(short.text, "html.parser").find(id="u-password-error")
    assert error is not None
    created = await client.post("/staff/users", data={"_csrf_token": token, "username": "newbie",
                                                      "role": "city_reviewer", "password": "a-long-password"})
    assert created.status_code == 200 and "newbie" in created.text
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other:
        assert (await sign_in(other, "newbie", "a-long-password")).status_code == 303


async def test_sign_in_does_not_redirect_to_another_site(client, make_user):
    actor = await make_user(Role.admin)
    page = await client.get("/staff/login?next=//evil.example/")
    response = await client.post("/staff/login", data={"username": actor.username, "password": PASSWORD,
                                                       "_csrf_token": csrf_token(page.text),
                                                       "next": "//evil.example/"}, follow_redirects=False)
    assert response.headers["location"] == "/staff/venues"


async def test_security_headers_allow_no_third_party_script(client):
    response = await client.get("/staff/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "http" not in csp.split("script-src", 1)[1].split(";")[0]
    assert response.headers["x-content-type-options"] == "nosniff"
