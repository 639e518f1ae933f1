"""Sign-in, sessions, CSRF and the role checks on every back-office route."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import threading

import httpx
import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from core.tables import Role, StaffUser
from core.users import set_password
from tests.conftest import PASSWORD, csrf_token, sign_in
from venues.tables import BlackoutDate

# Every back-office route; {venue}, {blackout} and {token} are replaced by a real venue, one of its blackout dates
# and an upload of the signed-in user.  EDIT_ROUTES give the status a role that may edit gets for a form that
# carries only the CSRF token (422: the form is incomplete; 303: done, back to the page).
READ_ROUTES = [
    "/staff/venues",
    "/staff/venues/map",
    "/staff/venues/map.html",
    "/staff/venues/export.csv",
    "/staff/venues/v/{venue}",
]
EDIT_ROUTES = [
    ("GET", "/staff/venues/v/{venue}/edit", 200),
    ("POST", "/staff/venues/v/{venue}/edit", 422),
    ("POST", "/staff/venues/v/{venue}/blackouts", 422),
    ("POST", "/staff/venues/v/{venue}/blackouts/{blackout}/delete", 303),
    ("POST", "/staff/venues/v/{venue}/deactivate", 303),
    ("POST", "/staff/venues/v/{venue}/activate", 303),
    ("GET", "/staff/venues/import", 200),
    ("POST", "/staff/venues/import", 422),
    ("POST", "/staff/venues/import/{token}", 200),
]
AUDIT_ROUTES = ["/staff/audit", "/staff/audit/export.csv"]
ADMIN_ROUTES = ["/staff/users"]
OPEN_ROUTES = {"/staff/login", "/staff/logout"}  # the only /staff routes a signed-out visitor may use
UNUSED_TOKEN = "t" * 32


@pytest.fixture
async def venue():
    from tests.venues.factories import make_venue

    row = await make_venue()
    await BlackoutDate.insert(BlackoutDate(venue=row["id"], date=dt.date(2027, 5, 3)))
    return row


async def blackout_id(venue: dict) -> int:
    return (await BlackoutDate.select(BlackoutDate.id).where(BlackoutDate.venue == venue["id"]).first())["id"]


def session_cookies(client: AsyncTestClient) -> dict[str, str]:
    """The session cookie(s) the client holds (a large session is split into several)."""
    return {name: value for name, value in client.cookies.items() if name.startswith("outreach_session")}


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


async def replay(app, cookies: dict[str, str]) -> int:
    """The status of /staff/venues for a fresh browser that presents saved session cookies."""
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other:
        for name, value in cookies.items():
            other.cookies.set(name, value)
        return (await other.get("/staff/venues", follow_redirects=False)).status_code


async def test_a_saved_session_cookie_no_longer_works_after_sign_out(client, make_user, app):
    actor = await make_user(Role.contractor_staff)
    await sign_in(client, actor.username)
    saved = session_cookies(client)
    assert saved and await replay(app, saved) == 200  # the copy works while the session lives
    page = await client.get("/staff/venues")
    await client.post("/staff/logout", data={"_csrf_token": csrf_token(page.text)})
    assert await replay(app, saved) == 303


async def test_sign_out_ends_the_sessions_on_every_device(client, make_user, app):
    actor = await make_user(Role.contractor_lead)
    await sign_in(client, actor.username)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as phone:
        await sign_in(phone, actor.username)
        assert (await phone.get("/staff/venues", follow_redirects=False)).status_code == 200
        page = await client.get("/staff/venues")
        button = BeautifulSoup(page.text, "html.parser").select_one(".staff-nav__signout button")
        assert button.get("title")  # the button says that it signs out everywhere
        await client.post("/staff/logout", data={"_csrf_token": csrf_token(page.text)})
        assert (await phone.get("/staff/venues", follow_redirects=False)).status_code == 303
    assert (await sign_in(client, actor.username)).status_code == 303  # signing in again works


async def test_a_new_password_ends_the_sessions_signed_in_with_the_old_one(client, make_user, app):
    actor = await make_user(Role.admin)
    await sign_in(client, actor.username)
    saved = session_cookies(client)
    await set_password(actor.username, "a-brand-new-password")
    assert (await client.get("/staff/venues", follow_redirects=False)).status_code == 303
    assert await replay(app, saved) == 303
    assert (await sign_in(client, actor.username, "a-brand-new-password")).status_code == 303


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
    routes = [("GET", path) for path in READ_ROUTES + AUDIT_ROUTES + ADMIN_ROUTES]
    routes += [(method, path) for method, path, _status in EDIT_ROUTES]
    blackout = await blackout_id(venue)
    for method, path in routes:
        url = path.format(venue=venue["venue_id"], blackout=blackout, token=UNUSED_TOKEN)
        if method == "GET":
            response = await client.get(url, follow_redirects=False)
        else:
            response = await client.post(url, data={"_csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/staff/login?next=")


async def test_form_without_csrf_token_is_refused(client, make_user, venue):
    actor = await make_user(Role.admin)
    await sign_in(client, actor.username)
    response = await client.post(f"/staff/venues/v/{venue['venue_id']}/deactivate")
    assert response.status_code == 403
    assert (await client.get(f"/staff/venues/v/{venue['venue_id']}")).status_code == 200


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
async def test_each_role_gets_403_exactly_where_it_should(
    client, make_user, venue, var_dir, role, can_edit, can_audit, can_admin
):
    from portal.staff.imports import save_upload

    actor = await make_user(role)
    await sign_in(client, actor.username)
    token = csrf_token((await client.get("/staff/venues")).text)
    upload = save_upload(var_dir, b"ID,\xe5\x90\x8d\xe7\xa7\xb0,lat,lon\nU1,x,36.5,136.6\n", "upload.csv", actor)
    for path in READ_ROUTES:
        assert (await client.get(path.format(venue=venue["venue_id"]))).status_code == 200, path
    blackout = await blackout_id(venue)
    for method, path, status in EDIT_ROUTES:
        url = path.format(venue=venue["venue_id"], blackout=blackout, token=upload)
        if method == "GET":
            response = await client.get(url)
        else:
            response = await client.post(url, data={"_csrf_token": token}, follow_redirects=False)
        assert response.status_code == (status if can_edit else 403), (method, path)
    for path in AUDIT_ROUTES:
        assert (await client.get(path)).status_code == (200 if can_audit else 403), path
    for path in ADMIN_ROUTES:
        assert (await client.get(path)).status_code == (200 if can_admin else 403), path
    created = await client.post(
        "/staff/users",
        data={"_csrf_token": token, "username": "x", "role": "admin", "password": "long-enough-pw"},
        follow_redirects=False,
    )
    assert created.status_code == (303 if can_admin else 403)


def fill_path(path: str) -> str:
    """A route path with every parameter filled in (``{venue_id:str}`` → ``xxxx...``, ``{n:int}`` → ``1``)."""
    return re.sub(r"\{(\w+):(\w+)\}", lambda m: "1" if m.group(2) == "int" else UNUSED_TOKEN, path)


async def test_no_back_office_route_answers_a_signed_out_visitor(client, app):
    """Walks every /staff route of the app, so a new route without a guard fails here."""
    token = csrf_token((await client.get("/staff/login")).text)
    paths = sorted({route.path for route in app.routes if route.path.startswith("/staff")} - OPEN_ROUTES)
    assert "/staff/venues/import/{token:str}" in paths and len(paths) > 10
    for path in paths:
        url = fill_path(path)
        for response in (
            await client.get(url, follow_redirects=False),
            await client.post(url, data={"_csrf_token": token}, follow_redirects=False),
        ):
            assert not 200 <= response.status_code < 300, (response.request.method, path, response.status_code)
            assert response.status_code < 500, (response.request.method, path, response.status_code)


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
    short = await client.post(
        "/staff/users", data={"_csrf_token": token, "username": "newbie", "role": "city_reviewer", "password": "short"}
    )
    assert short.status_code == 422
    error = BeautifulSoup(short.text, "html.parser").find(id="u-password-error")
    assert error is not None
    created = await client.post(
        "/staff/users",
        data={"_csrf_token": token, "username": "newbie", "role": "city_reviewer", "password": "a-long-password"},
    )
    assert created.status_code == 200 and "newbie" in created.text
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other:
        assert (await sign_in(other, "newbie", "a-long-password")).status_code == 303


async def test_sign_in_does_not_redirect_to_another_site(client, make_user):
    actor = await make_user(Role.admin)
    page = await client.get("/staff/login?next=//evil.example/")
    response = await client.post(
        "/staff/login",
        data={
            "username": actor.username,
            "password": PASSWORD,
            "_csrf_token": csrf_token(page.text),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/staff/"  # the home, never the other site


async def test_security_headers_allow_no_third_party_script(client):
    response = await client.get("/staff/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "http" not in csp.split("script-src", 1)[1].split(";")[0]
    assert response.headers["x-content-type-options"] == "nosniff"


def on_the_loop(app, address: str = "192.0.2.1") -> httpx.AsyncClient:
    """A client that runs the app on the test's own event loop (the test client runs it on a loop of its own, one
    request at a time), as one client address, so that requests can be in flight together."""
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


async def sign_in_on_the_loop(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_token((await client.get("/staff/login")).text)
    return await client.post(
        "/staff/login",
        data={"username": username, "password": password, "_csrf_token": token, "next": "/staff/venues"},
    )


async def test_password_checks_leave_the_server_free_for_other_requests(app, make_user, monkeypatch):
    """Several sign-ins are in flight, their password checks held until the test lets them go: a cheap request is
    answered meanwhile, and no more checks run at once than the limit."""
    from core import users

    await make_user(Role.contractor_staff, "busy")
    gate = threading.Event()
    order: list[str] = []
    lock = threading.Lock()
    running = most = 0

    def held_check(password_hash: str, password: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        released = gate.wait(timeout=5)
        with lock:
            running -= 1
        order.append("check done" if released else "check blocked the server")
        return False

    monkeypatch.setattr(users, "verify_password", held_check)
    async with on_the_loop(app) as client:
        tokens = [csrf_token((await client.get("/staff/login")).text) for _ in range(4)]
        attempts = [
            asyncio.create_task(
                client.post("/staff/login", data={"username": "busy", "password": "wrong-guess", "_csrf_token": t})
            )
            for t in tokens
        ]
        for _ in range(500):  # until the first checks have started (each await lets the sign-ins run on)
            if running >= users.PASSWORD_HASHES_AT_ONCE or order:
                break
            await asyncio.sleep(0.01)
        health = await client.get("/healthz")
        order.append("health answered")
        gate.set()
        answers = await asyncio.gather(*attempts)
    assert health.status_code == 200
    assert order[0] == "health answered" and order.count("check done") == 4
    assert [answer.status_code for answer in answers] == [400] * 4
    assert most == users.PASSWORD_HASHES_AT_ONCE


async def test_an_account_is_refused_after_failures_from_many_addresses(app, make_user):
    from portal.web.throttle import SIGN_IN_FAILURES_PER_ACCOUNT

    target = await make_user(Role.admin, "target")
    await make_user(Role.admin, "bystander")
    for n in range(SIGN_IN_FAILURES_PER_ACCOUNT.amount):
        async with on_the_loop(app, f"198.51.100.{n + 1}") as attacker:
            assert (await sign_in_on_the_loop(attacker, target.username, f"guess-{n}")).status_code == 400
    async with on_the_loop(app, "203.0.113.7") as office:
        refused = await sign_in_on_the_loop(office, target.username)  # the right password, a fresh address
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        alert = BeautifulSoup(refused.text, "html.parser").find(role="alert").get_text(strip=True)
        assert "失敗" in alert and "分" in alert
        assert (await office.get("/staff/venues", follow_redirects=False)).status_code == 303
        assert (await sign_in_on_the_loop(office, "bystander")).status_code == 303  # the others still sign in


async def test_a_successful_sign_in_forgets_earlier_failures(app, make_user):
    from portal.web.throttle import SIGN_IN_FAILURES_PER_ACCOUNT

    actor = await make_user(Role.contractor_lead, "forgetful")
    async with on_the_loop(app) as client:
        for n in range(SIGN_IN_FAILURES_PER_ACCOUNT.amount - 1):
            assert (await sign_in_on_the_loop(client, actor.username, f"guess-{n}")).status_code == 400
        assert (await sign_in_on_the_loop(client, actor.username)).status_code == 303
        assert (await sign_in_on_the_loop(client, actor.username, "one-more-typo")).status_code == 400
        assert (await sign_in_on_the_loop(client, actor.username)).status_code == 303
