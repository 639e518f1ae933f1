"""In Chromium on a 360 px phone, in Japanese and in English: a full pickup day offers 「空きが出たら知らせる」, the
resident joins its waiting list (a My Number typed by mistake is refused and the field marked), a cancellation offers
them the freed time and they accept it into a reservation; axe-core finds no WCAG 2.1 A/AA violation, no page is
wider than the screen and every target is 44 px or more."""

from __future__ import annotations

import json

import pytest

from booking.tables import WaitlistEntry
from counter.pickup_slots import pickup_times
from counter.pickups import PickupRequest, cancel_reservation, reserve
from counter.tables import PickupReservation, PickupSlot
from tests.counter.pickup_factories import office_with_slots
from tests.e2e.test_accessibility import violations


async def full_day(office: dict) -> tuple[int, object]:
    """The first day that takes reservations, made full for one person: its first time holds one reservation (to be
    cancelled), the others are taken. Returns that time and the reservation."""
    service = office["services"]["pickup"]
    first = (await pickup_times(office["office"], service, 1))[0]
    day = (await PickupSlot.select(PickupSlot.day).where(PickupSlot.id == first.id).first())["day"]
    of_day = (PickupSlot.service == service) & (PickupSlot.day == day)
    await PickupSlot.update({PickupSlot.capacity: 1}).where(of_day)
    held = (await reserve(PickupRequest(first.id, ("1000000001",), phone="09011112222")))[0]
    await PickupSlot.update({PickupSlot.booked: 1}).where(of_day)
    return first.id, held


@pytest.mark.parametrize("language", ["ja", "en"])
async def test_a_resident_waits_for_a_full_day_and_accepts_the_offer_on_a_small_phone(page, live_server, language):
    office = await office_with_slots(None)  # the portal runs on the real clock: today in Japan
    slot, held = await full_day(office)
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
    await page.wait_for_selector("#waitlist a")
    await check("pickups", "#waitlist a")
    await page.click("#waitlist a >> nth=0")
    await page.wait_for_selector("input[name=slots]")
    await check("form", "label.slot-choice, form.booking-form button[type=submit]")
    await page.click("label.slot-choice >> nth=0")
    await page.fill("#notice_0", "1234 5678 9012")  # a My Number by mistake
    await page.fill("#email", "wait@example.jp")
    await page.click("form.booking-form button[type=submit]")
    await page.wait_for_selector("#notice_0-error")
    assert await page.get_attribute("#notice_0", "aria-invalid") == "true"
    await check("form (errors)", "#form-errors a")
    await page.fill("#notice_0", "2000-0000-02")
    await page.click("form.booking-form button[type=submit]")
    await page.wait_for_url("**/pickups/waitlist/*new=1")
    await check("entry", "#leave")
    assert await WaitlistEntry.count() == 1

    await cancel_reservation(held.code, held.manage_token)  # the freed time is offered to the entry
    await page.reload()
    await page.wait_for_selector("#accept")
    await check("offer", "#accept, #decline, #leave")
    await page.click("#accept")
    await page.wait_for_url("**/pickups/*new=1")
    await check("reservation")
    code = page.url.split("/pickups/")[1].split("?")[0]
    row = await PickupReservation.select().where(PickupReservation.code == code).first()
    assert row["slot"] == slot and row["notice_numbers"] == "2000000002" and row["state"] == "confirmed"

    failures = {name: v for name, v in found.items() if v}
    assert failures == {}, json.dumps(failures, ensure_ascii=False, indent=1)
    assert overflow == {}, overflow
    assert small == {}, json.dumps(small, ensure_ascii=False, indent=1)
    assert page.outside == []  # type: ignore[attr-defined]
