"""In Chromium: an admin deactivates a leaver after a confirmation; the leaver's open browser is refused at its next
request and cannot sign in again."""

from __future__ import annotations

from core.tables import Role
from core.users import create_user
from tests.conftest import PASSWORD


async def sign_in(page, live_server, username):
    await page.goto(live_server + "/staff/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("form.form button[type=submit]")
    await page.wait_for_url("**/staff/")


async def test_a_deactivated_leaver_is_refused_at_the_next_request(browser, live_server):
    await create_user("e2e-admin", PASSWORD, Role.admin)
    await create_user("e2e-leaver", PASSWORD, Role.contractor_staff, display_name="退職 予定")
    admin = await (await browser.new_context(locale="ja-JP")).new_page()
    leaver = await (await browser.new_context(locale="ja-JP")).new_page()
    await sign_in(leaver, live_server, "e2e-leaver")
    await sign_in(admin, live_server, "e2e-admin")

    await admin.goto(live_server + "/staff/users")
    await admin.get_by_role("link", name="e2e-leaver").click()
    await admin.get_by_role("link", name="このアカウントを無効化").click()
    await admin.wait_for_selector("text=退職 予定（e2e-leaver）を無効化しますか？")
    await leaver.goto(live_server + "/staff/venues")  # still in before the admin confirms
    assert "/staff/venues" in leaver.url
    await admin.get_by_role("button", name="無効にする", exact=True).click()
    await admin.wait_for_selector("[role=status]")
    assert await admin.locator("#account-status").inner_text() == "無効"

    await leaver.reload()
    assert "/staff/login" in leaver.url
    await leaver.fill("#username", "e2e-leaver")
    await leaver.fill("#password", PASSWORD)
    await leaver.click("form.form button[type=submit]")
    await leaver.wait_for_selector("#login-error")
    assert "/staff/login" in leaver.url

    await admin.goto(live_server + "/staff/users")
    row = admin.locator("tbody tr", has_text="e2e-leaver")
    assert await row.locator(".account-status").inner_text() == "無効"
