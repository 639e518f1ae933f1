"""The venue pages in Chromium: hostile venue text runs no script on the map, and on a phone the venue list
starts on the first screen with its filters folded away."""

from __future__ import annotations

from core.tables import Role
from core.users import create_user
from tests.conftest import PASSWORD
from tests.portal.documents.test_maps import HOSTILE_NAME
from tests.venues.factories import make_venue


async def sign_in(page, live_server: str, username: str) -> None:
    await create_user(username, PASSWORD, Role.contractor_staff)
    await page.goto(live_server + "/staff/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("form.form button[type=submit]")
    await page.wait_for_url("**/staff/")


async def test_a_hostile_venue_name_runs_no_script_on_the_map(page, live_server):
    await make_venue(name=HOSTILE_NAME, address="金沢市${alert(2)}1-1", url="javascript:alert(3)")
    dialogs: list[str] = []

    async def refuse(dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", refuse)
    await sign_in(page, live_server, "e2e-map")
    await page.goto(live_server + "/staff/venues/map")
    frame = page.frame_locator("iframe.map-frame")
    marker = frame.locator("path.venue-marker").first
    await marker.wait_for(state="attached", timeout=15000)
    await marker.dispatch_event("click")
    popup = frame.locator(".leaflet-popup-content strong")
    await popup.wait_for(timeout=5000)
    assert await popup.inner_text() == HOSTILE_NAME
    await frame.locator(".leaflet-popup-content a").click()  # the popup's link opens the venue page
    await page.wait_for_url("**/staff/venues/v/**")
    assert await page.locator("h1").inner_text() == HOSTILE_NAME
    assert await page.locator("dl.facts a[href^='javascript']").count() == 0
    assert dialogs == []


async def test_on_a_phone_the_list_starts_on_the_first_screen(page, live_server, browser):
    for n in range(5):
        await make_venue(name=f"一覧の公民館{n}")
    await sign_in(page, live_server, "e2e-phone")
    await page.goto(live_server + "/staff/venues")
    first = page.locator("table.data-table tbody tr").first
    box = await first.bounding_box()
    assert box is not None and box["y"] < 844, box  # the viewport is 390 x 844
    assert not await page.locator("#f-kind").is_visible()
    await page.locator("details.filter-panel > summary").click()
    await page.select_option("#f-kind", "library")
    await page.locator("form.filters button[type=submit]").click()
    await page.wait_for_url("**kind=library**")
    assert await page.locator("#f-kind").is_visible()  # a filter in use stays in view

    wide = await browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        tab = await wide.new_page()
        await tab.goto(live_server + "/staff/login")
        await tab.fill("#username", "e2e-phone")
        await tab.fill("#password", PASSWORD)
        await tab.click("form.form button[type=submit]")
        await tab.wait_for_url("**/staff/")
        await tab.goto(live_server + "/staff/venues")
        assert await tab.locator("#f-kind").is_visible()  # wide screens show the filters without a click
        assert not await tab.locator("details.filter-panel > summary").is_visible()
        await tab.select_option("#f-kind", "community_hall")
        await tab.locator("form.filters button[type=submit]").click()
        await tab.wait_for_url("**kind=community_hall**")
    finally:
        await wide.close()
