"""In Chromium: create a plan, watch the planner's progress, and see the plan appear as calendar and table."""

from __future__ import annotations

from core.tables import Role
from core.users import create_user
from planner.tables import DemandPoint
from tests.conftest import PASSWORD
from tests.venues.factories import make_venue


async def test_create_a_plan_and_see_it_solved(page, live_server):
    for n in range(4):
        await make_venue(
            venue_id=f"P{n}",
            name=f"テスト{n}公民館",
            lat=36.50 + 0.03 * n,
            lon=136.60,
            open_days="月火水木金土日",
            open_from="09:00",
            open_until="17:00",
        )
    await DemandPoint.insert(*[DemandPoint(name=f"町{n}", lat=36.50 + 0.03 * n, lon=136.601) for n in range(4)])
    await create_user("e2e-lead", PASSWORD, Role.contractor_lead)

    await page.goto(live_server + "/staff/login")
    await page.fill("#username", "e2e-lead")
    await page.fill("#password", PASSWORD)
    await page.click("form.form button[type=submit]")
    await page.get_by_role("link", name="実施計画", exact=True).click()
    await page.get_by_role("link", name="新しい計画").click()
    await page.get_by_label("開始日").fill("2027-06-01")
    await page.get_by_label("終了日").fill("2027-06-30")
    await page.get_by_label("月あたりの平日の回数").fill("2")
    await page.get_by_label("月あたりの休日の回数（土日祝）").fill("2")
    await page.get_by_role("button", name="作成して計算する").click()
    # The page polls the solver's progress and reloads itself when the plan is ready.
    await page.wait_for_selector("#plan-status", timeout=60000)
    assert await page.locator("#plan-status").inner_text() == "最適（証明済み）"
    assert await page.locator("table.sessions tbody tr").count() == 4
    assert await page.locator(".month-calendar td.is-holiday a.cal-session").count() == 2
    assert page.outside == []
