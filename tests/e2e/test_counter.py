"""In Chromium, on a 360 px phone-sized tablet: reception taps a service twice and one ticket is issued, shown with
a QR code that an independent decoder reads as the ticket's page; a window calls it, finishes it, and is told that
nobody waits. axe-core finds no WCAG 2.1 A/AA violation on the three pages, and none scrolls sideways.

The portal runs in another process on the real clock, so the office is opened all day today; on 12/29-1/3 the
counter is closed whatever its days say, and the test is skipped."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from core import calendar, clock
from core.tables import Role
from core.users import create_user
from counter import offices
from counter.tables import ServiceKind, Ticket, TicketState
from tests.conftest import PASSWORD
from tests.counter.factories import make_office
from tests.e2e.test_accessibility import violations


async def test_reception_issues_one_ticket_per_double_tap_and_a_window_calls_it(page, live_server):
    office = await make_office(kinds=(ServiceKind.pickup, ServiceKind.certificate))
    today = clock.today()
    if calendar.is_year_end_closure(today):
        pytest.skip("12/29-1/3: the counter is closed")
    await offices.set_office_day(None, office.id, today, True, "00:00", "23:59")
    await create_user("counter-staff", PASSWORD, Role.contractor_staff)
    await page.set_viewport_size({"width": 360, "height": 740})
    await page.goto(live_server + "/staff/login")
    await page.fill("#username", "counter-staff")
    await page.fill("#password", PASSWORD)
    await page.click("form.form button[type=submit]")
    await page.wait_for_url("**/staff/")

    await page.goto(f"{live_server}/staff/counter/{office.id}")
    assert await violations(page) == []
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await page.dblclick("#issue-certificate")
    await page.wait_for_url(f"**/staff/counter/{office.id}/tickets/*")
    assert await page.text_content("#ticket-number") == "B-001"
    assert await Ticket.count() == 1
    url = await page.text_content("#ticket-url")
    code = (await Ticket.select(Ticket.code).first())["code"]
    assert url.endswith(f"/tickets/{code}")
    shot = await page.locator(".counter-ticket__qr").screenshot()
    assert [c.text for c in zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))] == [url]
    assert await violations(page) == []
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360

    await page.goto(f"{live_server}/staff/counter/{office.id}/windows/3")
    assert await page.text_content("#waiting-certificate") == "1人待ち"
    await page.click("#call-button")
    await page.wait_for_selector("#current-number")
    assert await page.text_content("#current-number") == "B-001"
    assert await violations(page) == []
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await page.click("#serve-button")
    await page.wait_for_selector("#no-current")
    await page.click("#call-button")
    await page.wait_for_selector("#done-message")
    assert await page.text_content("#done-message") == "待っている人はいません。"
    row = await Ticket.select(Ticket.state, Ticket.window).first()
    assert row == {"state": TicketState.served.value, "window": 3}
    assert page.outside == []  # type: ignore[attr-defined]
