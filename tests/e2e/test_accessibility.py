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
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]]


@pytest.mark.parametrize("language", ["ja", "en"])
async def test_back_office_pages_have_no_accessibility_violations(page, live_server, language, tmp_path):
    await import_facility_list(None, parse_facility_list((DATA / "commercial_venues.csv").read_bytes()))
    await create_user("a11y-admin", PASSWORD, Role.admin)
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
    await page.wait_for_url("**/staff/venues")

    for path in ["/staff/venues", "/staff/venues/v/COM-001", "/staff/venues/v/COM-001/edit", "/staff/venues/map",
                 "/staff/venues/import", "/staff/audit", "/staff/users", "/staff/venues/v/NOPE"]:
        await page.goto(live_server + path)
        found[path] = await violations(page)

    await page.goto(live_server + "/staff/venues/v/COM-001/edit")
    await page.fill("#v-lat", "3656")
    await page.click("form.form button[type=submit]")
    found["edit (errors)"] = await violations(page)

    csv_path = tmp_path / "upload.csv"
    csv_path.write_bytes((DATA / "commercial_venues.csv").read_bytes() + "X9,壊れ,,,,,,,,,,,,,,,,,999,999\n".encode())
    await page.goto(live_server + "/staff/venues/import")
    await page.set_input_files("#file", str(csv_path))
    await page.click("form.form button[type=submit]")
    await page.wait_for_selector("#import-summary")
    found["import preview"] = await violations(page)

    failures = {path: v for path, v in found.items() if v}
    assert failures == {}, json.dumps(failures, ensure_ascii=False, indent=1)
