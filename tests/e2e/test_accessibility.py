"""axe-core (served from the repository, not a CDN) finds no WCAG 2.1 A/AA violation on any back-office page,
in Japanese and in English, on a phone-sized screen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.tables import Role
from core.users import create_user
from tests.conftest import DATA, PASSWORD
from venues.facility_list import parse_facility_list
from venues.services import import_facility_list

AXE = Path(__file__).parent / "assets" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


async def violations(page) -> list[dict]:
    # Evaluated through the DevTools protocol: an inline <script> tag would be refused by the pages' CSP.
    await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]
    ]


@pytest.mark.parametrize("language", ["ja", "en"])
async def test_back_office_pages_have_no_accessibility_violations(page, live_server, language, tmp_path):
    await import_facility_list(None, parse_facility_list((DATA / "commercial_venues.csv").read_bytes()))
    admin = await create_user("a11y-admin", PASSWORD, Role.admin)
    await page.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    found: dict[str, list] = {}

    await page.goto(live_server + "/")
    found["/"] = await violations(page)
    await page.goto(live_server + "/staff/login")
    found["/staff/login"] = await violations(page)
    await page.fill("#username", "a11y-admin")
    await page.fill("#password", "wrong-password")
    await page.click("form.form button[type=submit]")
    found["/staff/login (error)"] = await violations(page)
    await page.fill("#password", PASSWORD)
    await page.click("form.form button[type=submit]")
    await page.wait_for_url("**/staff/")

    for path in [
        "/staff/",
        "/staff/venues",
        "/staff/venues/v/COM-001",
        "/staff/venues/v/COM-001/edit",
        "/staff/venues/map",
        "/staff/venues/import",
        "/staff/audit",
        "/staff/users",
        f"/staff/users/{admin.id}",
        f"/staff/users/{admin.id}/deactivate",
        "/staff/password",
        "/staff/venues/v/NOPE",
    ]:
        await page.goto(live_server + path)
        found[path] = await violations(page)

    await page.goto(live_server + "/staff/venues/v/COM-001/edit")
    await page.fill("#v-lat", "3656")
    await page.click("form.form button[type=submit]")
    found["edit (errors)"] = await violations(page)

    await page.goto(live_server + "/staff/password")
    await page.fill("#p-current_password", "wrong-password")
    await page.click("form.form button[type=submit]")
    found["/staff/password (errors)"] = await violations(page)

    csv_path = tmp_path / "upload.csv"
    csv_path.write_bytes((DATA / "commercial_venues.csv").read_bytes() + "X9,壊れ,,,,,,,,,,,,,,,,,999,999\n".encode())
    await page.goto(live_server + "/staff/venues/import")
    await page.set_input_files("#file", str(csv_path))
    await page.click("form.form button[type=submit]")
    await page.wait_for_selector("#import-summary")
    found["import preview"] = await violations(page)

    failures = {path: v for path, v in found.items() if v}
    assert failures == {}, json.dumps(failures, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("language", ["ja", "en"])
async def test_plan_pages_have_no_accessibility_violations(page, live_server, language):
    import datetime as dt

    from planner import services
    from planner.model import Parameters
    from planner.tables import DemandPoint, PlanVersion
    from tests.venues.factories import make_venue

    for n in range(3):
        await make_venue(
            venue_id=f"A{n}",
            name=f"第{n}公民館",
            lat=36.5 + 0.03 * n,
            lon=136.6,
            open_days="月火水木金土日",
            open_from="09:00",
            open_until="17:00",
        )
    await DemandPoint.insert(*[DemandPoint(name=f"町{n}", lat=36.5 + 0.03 * n, lon=136.601) for n in range(3)])
    admin = await create_user("a11y-plans", PASSWORD, Role.contractor_lead)
    version_id = await services.create_plan(
        admin,
        "計画",
        Parameters(start=dt.date(2027, 6, 1), end=dt.date(2027, 6, 30), weekday_per_month=2, holiday_per_month=1),
    )
    await services.run_solve(version_id)
    plan_id = (await PlanVersion.select(PlanVersion.plan).where(PlanVersion.id == version_id).first())["plan"]
    session = (await services.sessions_of(version_id))[0]
    await page.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    await page.goto(live_server + "/staff/login")
    await page.fill("#username", "a11y-plans")
    await page.fill("#password", PASSWORD)
    await page.click("form.form button[type=submit]")
    await page.wait_for_url("**/staff/")
    found = {}
    for path in [
        "/staff/plans",
        "/staff/plans/new",
        f"/staff/plans/{plan_id}",
        f"/staff/plans/{plan_id}/map",
        f"/staff/sessions/{session.id}",
    ]:
        await page.goto(live_server + path)
        found[path] = await violations(page)
    await page.goto(live_server + f"/staff/sessions/{session.id}")
    await page.fill("#move-date", "2027-12-30")
    await page.get_by_role("button", name="移動" if language == "ja" else "Move", exact=True).click()
    found["refused edit"] = await violations(page)
    assert await page.locator("[role=alert]").count() == 1
    await page.get_by_role("button", name="この回を削除" if language == "ja" else "Remove this session").click()
    await page.wait_for_selector("#confirm-form")
    found["confirmation"] = await violations(page)
    failures = {path: v for path, v in found.items() if v}
    assert failures == {}, json.dumps(failures, ensure_ascii=False, indent=1)
