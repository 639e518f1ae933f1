"""In Chromium on a 360 px phone, in each residents' language: reserve a time at the counter for two people (a My
Number typed by mistake is refused and the field marked), see the reservation with its QR code, move it and cancel
it; axe-core finds no WCAG 2.1 A/AA violation, no page is wider than the screen and every target is 44 px or more."""

from __future__ import annotations

import json

import pytest

from counter.tables import PickupReservation
from tests.counter.pickup_factories import office_with_slots
from tests.e2e.test_accessibility import violations


@pytest.mark.parametrize("language", ["ja", "en", "ja-easy", "zh-hans", "ko", "vi"])
async def test_a_resident_reserves_moves_and_cancels_a_pickup_on_a_small_phone(page, live_server, language):
    await office_with_slots(None)  # the portal runs on the real clock: today in Japan
    await page.set_viewport_size({"width": 360, "height": 740})
    await page.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    found: dict[str, list] = {}
    overflow: dict[str, int] = {}
    small: dict[str, list] = {}

    async def check(name: str, targets: str = "") -> None:
        found[name] = await violations(page)
        width = await page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            overflow[name] = width
        if targets:
            sizes = await page.eval_on_selector_all(
                targets,
                """nodes => nodes.map(n => {
                const r = n.getBoundingClientRect();
                return [n.outerHTML.slice(0, 60), Math.round(r.width), Math.round(r.height)]; })""",
            )
            assert sizes, f"{name}: nothing matches {targets}"
            if too_small := [s for s in sizes if s[1] < 44 or s[2] < 44]:
                small[name] = too_small

    await page.goto(live_server + "/pickups")
    await page.select_option("#party", "2")
    await page.click("form[action='/pickups'] button[type=submit]")
    await page.wait_for_selector(".day-choices a")
    await check("days", "form[action='/pickups'] button[type=submit], .day-choices a")
    await page.click(".day-choices a >> nth=0")
    await page.wait_for_selector("input[name=slot]")
    await check("times", "label.slot-choice, form.booking-form button[type=submit], form.booking-form input[type=text]")
    await page.click("label.slot-choice >> nth=0")
    await page.fill("#notice_0", "1234 5678 9012")  # a My Number by mistake
    await page.fill("#notice_1", "１１１１-２２２２-３３")
    await page.fill("#phone", "090-1234-5678")
    await page.click("form.booking-form button[type=submit]")
    await page.wait_for_selector("#notice_0-error")
    assert await page.get_attribute("#notice_0", "aria-invalid") == "true"
    await check("form (errors)", "#form-errors a")
    await page.fill("#notice_0", "0123-4567-89")
    await page.click("label.slot-choice >> nth=0")
    await page.click("form.booking-form button[type=submit]")
    await page.wait_for_url("**/pickups/*new=1")
    assert await page.locator(".qr svg").count() == 1
    await check("reservation", ".actions .button, form[action*=cancel] button[type=submit], .day-choices a")
    code = page.url.split("/pickups/")[1].split("?")[0]
    row = await PickupReservation.select().where(PickupReservation.code == code).first()
    assert row["notice_numbers"] == "0123456789 1111222233" and row["phone"] == "09012345678"

    await page.click(".day-choices a >> nth=0")
    await page.click("form[action*=change] label.slot-choice >> nth=0")
    await page.click("form[action*=change] button[type=submit]")
    await page.wait_for_url("**/pickups/*changed=1")
    await check("moved")
    await page.click("form[action*=cancel] button[type=submit]")
    await page.wait_for_selector("[role=status]")
    await check("cancelled")
    assert (await PickupReservation.select().where(PickupReservation.code == code).first())["state"] == "cancelled"

    failures = {name: v for name, v in found.items() if v}
    assert failures == {}, json.dumps(failures, ensure_ascii=False, indent=1)
    assert overflow == {}, overflow
    assert small == {}, json.dumps(small, ensure_ascii=False, indent=1)
    assert page.outside == []  # type: ignore[attr-defined]
