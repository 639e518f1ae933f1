"""The audit log and staff account pages: who created an account, translated names, a CSV safe for Excel; an admin
deactivates, reactivates, resets passwords and changes roles, every user changes their own password."""

from __future__ import annotations

import csv
import io

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from core.audit import record_event
from core.tables import AuditEvent, Role
from tests.conftest import PASSWORD, csrf_token, post_form, sign_in


async def test_an_admin_creating_an_account_is_in_the_audit_log(client, signed_in):
    admin = await signed_in(Role.admin)
    response = await post_form(
        client,
        "/staff/users",
        "/staff/users",
        {"username": "newbie", "role": "city_reviewer", "password": "a-long-password"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    event = (
        await AuditEvent.select()
        .where((AuditEvent.action == "user.created") & (AuditEvent.summary == "newbie"))
        .first()
    )
    assert (event["actor_id"], event["actor_name"], event["object_type"]) == (admin.id, admin.username, "staff_user")
    row = next(
        tr
        for tr in BeautifulSoup((await client.get("/staff/audit")).text, "html.parser").select("tbody tr")
        if "newbie" in tr.get_text()
    )
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[2].startswith("職員アカウントを作成") and cells[3].startswith("職員アカウント")
    assert "user.created" not in row.get_text() and "staff_user" not in row.get_text()


async def test_unknown_actions_are_shown_as_recorded(client, signed_in):
    await signed_in(Role.contractor_lead)
    await record_event(None, "venue.teleported", "venue", "V1", "", {"warp_factor": {"before": 1, "after": 9}})
    page = BeautifulSoup((await client.get("/staff/audit")).text, "html.parser")
    row = next(tr for tr in page.select("tbody tr") if "V1" in tr.get_text())
    assert "venue.teleported" in row.get_text() and "warp_factor" in row.get_text()


async def test_audit_export_writes_formulas_as_text(client, signed_in):
    await signed_in(Role.city_reviewer)
    await record_event(
        None,
        "venue.updated",
        "venue",
        '=HYPERLINK("http://evil.example")',
        "+81-76-220-2111",
        {"name": {"before": "a", "after": "@SUM(A1)"}},
    )
    response = await client.get("/staff/audit/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    header = rows[0]
    assert header[0] == "occurred_at"
    (event,) = [dict(zip(header, row, strict=True)) for row in rows[1:] if "venue.updated" in row]
    assert event["object_id"] == '\'=HYPERLINK("http://evil.example")' and event["summary"] == "'+81-76-220-2111"
    assert event["changes"].startswith("{") and "@SUM(A1)" in event["changes"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


async def other_browser(app, username: str, password: str = PASSWORD):
    """A second browser, signed in as ``username``."""
    browser = AsyncTestClient(app=app, base_url="http://testserver.local")
    await browser.__aenter__()
    assert (await sign_in(browser, username, password)).status_code == 303
    return browser


async def test_an_admin_deactivates_a_leaver_whose_next_request_is_refused(client, signed_in, make_user, app):
    admin = await signed_in(Role.admin)
    leaver = await make_user(Role.contractor_staff, "leaver")
    browser = await other_browser(app, leaver.username)
    try:
        assert (await browser.get("/staff/venues", follow_redirects=False)).status_code == 200
        confirm = await client.get(f"/staff/users/{leaver.id}/deactivate")
        form = BeautifulSoup(confirm.text, "html.parser").select_one(
            f"form[action='/staff/users/{leaver.id}/deactivate']"
        )
        assert confirm.status_code == 200 and form is not None and "leaver" in confirm.text
        assert (await client.get(f"/staff/users/{leaver.id}")).status_code == 200  # nothing happened yet
        assert (await browser.get("/staff/venues", follow_redirects=False)).status_code == 200
        done = await client.post(f"/staff/users/{leaver.id}/deactivate", data={"_csrf_token": csrf_token(confirm.text)})
        assert done.status_code == 200 and "無効化しました" in done.text
        refused = await browser.get("/staff/venues", follow_redirects=False)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/staff/login")
        assert (await sign_in(browser, leaver.username)).status_code == 400
    finally:
        await browser.__aexit__(None, None, None)
    listing = BeautifulSoup((await client.get("/staff/users")).text, "html.parser")
    status = {
        row["data-username"]: row.select_one(".account-status").get_text(strip=True)
        for row in listing.select("tbody tr")
    }
    assert status == {admin.username: "有効", "leaver": "無効"}
    event = await AuditEvent.select().where(AuditEvent.action == "user.deactivated").first()
    assert (event["actor_id"], event["object_id"]) == (admin.id, str(leaver.id))


async def test_deactivation_needs_the_csrf_token_and_an_admin(client, signed_in, make_user):
    await signed_in(Role.contractor_lead)
    other = await make_user(Role.contractor_staff)
    token = csrf_token((await client.get("/staff/venues")).text)
    for path in (f"/staff/users/{other.id}", f"/staff/users/{other.id}/deactivate"):
        assert (await client.get(path)).status_code == 403
    for action in ("deactivate", "reactivate", "role", "password"):
        response = await client.post(f"/staff/users/{other.id}/{action}", data={"_csrf_token": token, "role": "admin"})
        assert response.status_code == 403, action
    assert (await client.post(f"/staff/users/{other.id}/deactivate")).status_code == 403  # no token


async def test_the_last_administrator_is_kept_with_a_message(client, signed_in):
    admin = await signed_in(Role.admin)
    response = await post_form(client, f"/staff/users/{admin.id}/deactivate", f"/staff/users/{admin.id}/deactivate", {})
    assert response.status_code == 409
    assert "唯一の有効なシステム管理者" in BeautifulSoup(response.text, "html.parser").find(role="alert").get_text()
    assert (await client.get("/staff/venues", follow_redirects=False)).status_code == 200
    assert (await client.get("/staff/users/999999")).status_code == 404
    assert (await client.get(f"/staff/users/{2**70}")).status_code == 404


async def test_an_admin_resets_a_password_and_changes_a_role(client, signed_in, make_user, app):
    await signed_in(Role.admin)
    user = await make_user(Role.contractor_staff, "sato")
    browser = await other_browser(app, user.username)
    try:
        page = f"/staff/users/{user.id}"
        weak = await post_form(client, page, f"{page}/password", {"password": "password1234"})
        assert weak.status_code == 422
        assert "推測" in BeautifulSoup(weak.text, "html.parser").find(id="a-password-error").get_text()
        assert (await browser.get("/staff/venues", follow_redirects=False)).status_code == 200
        reset = await post_form(client, page, f"{page}/password", {"password": "a-brand-new-password"})
        assert reset.status_code == 200
        assert (await browser.get("/staff/venues", follow_redirects=False)).status_code == 303
        assert (await sign_in(browser, "sato")).status_code == 400
        assert (await sign_in(browser, "sato", "a-brand-new-password")).status_code == 303
        assert (await browser.get("/staff/checkin", follow_redirects=False)).status_code == 200
        changed = await post_form(client, page, f"{page}/role", {"role": "city_reviewer"})
        assert changed.status_code == 200
        assert (await browser.get("/staff/venues", follow_redirects=False)).status_code == 303
        assert (await sign_in(browser, "sato", "a-brand-new-password")).status_code == 303
        assert (await browser.get("/staff/checkin", follow_redirects=False)).status_code == 403
    finally:
        await browser.__aexit__(None, None, None)
    actions = [row["action"] for row in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)]
    assert actions[-2:] == ["user.password_reset", "user.role_changed"]


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_changes_its_own_password(client, make_user, app, role):
    user = await make_user(role)
    assert (await sign_in(client, user.username)).status_code == 303
    phone = await other_browser(app, user.username)
    try:
        form = await client.get("/staff/password")
        assert form.status_code == 200
        link = BeautifulSoup(form.text, "html.parser").select_one("a[href='/staff/password']")
        assert link is not None  # every page's navigation leads here
        wrong = await post_form(
            client,
            "/staff/password",
            "/staff/password",
            {
                "current_password": "not-my-password",
                "password": "a-brand-new-password",
                "password_again": "a-brand-new-password",
            },
        )
        assert wrong.status_code == 422
        assert (
            "現在のパスワード"
            in BeautifulSoup(wrong.text, "html.parser").find(id="p-current_password-error").get_text()
        )
        weak = await post_form(
            client,
            "/staff/password",
            "/staff/password",
            {
                "current_password": PASSWORD,
                "password": user.username + "-2027",
                "password_again": user.username + "-2027",
            },
        )
        assert weak.status_code == 422 and BeautifulSoup(weak.text, "html.parser").find(id="p-password-error")
        done = await post_form(
            client,
            "/staff/password",
            "/staff/password",
            {
                "current_password": PASSWORD,
                "password": "a-brand-new-password",
                "password_again": "a-brand-new-password",
            },
        )
        assert done.status_code == 200 and BeautifulSoup(done.text, "html.parser").find(role="status")
        assert (await client.get("/staff/venues", follow_redirects=False)).status_code == 200  # this browser stays
        assert (await phone.get("/staff/venues", follow_redirects=False)).status_code == 303  # the others are out
        assert (await sign_in(phone, user.username)).status_code == 400
        assert (await sign_in(phone, user.username, "a-brand-new-password")).status_code == 303
    finally:
        await phone.__aexit__(None, None, None)
