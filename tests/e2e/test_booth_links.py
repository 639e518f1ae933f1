"""In Chromium on a 360 px phone: a flyer printed before a change after approval still works after it. Its QR code
opens the booth's page at the same address; the moved booth's page says it moved and shows the new date."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import zxingcpp
from PIL import Image

from booking.booths import booth
from core.settings import get_settings
from core.tables import Role
from planner import services, workflow
from portal.documents.flyers import booth_booking_url, booth_flyer_png
from tests.e2e.test_booking import violations
from tests.planner.test_services import solved_version
from tests.portal.public.test_booth_links import approve, move_somewhere


async def printed_flyer_link(session_id: int) -> str:
    """The address in the QR code of the booth's flyer as /sessions/{id}/flyer.png renders it (read back with
    zxing-cpp, as a phone's camera would)."""
    shown = await booth(session_id)
    assert shown is not None
    png = booth_flyer_png(shown, booth_booking_url(get_settings().base_url, shown.id, "flyer"))
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    links = [c.text for c in codes if c.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(links) == 1
    return links[0]


async def test_a_flyers_qr_link_still_opens_its_booth_after_a_change(city, people, page, live_server):
    staff = people[Role.contractor_staff]
    version = await solved_version(staff)
    await approve(people, version.id)
    first = await services.sessions_of(version.id)
    kept, moved = first[1], first[0]
    links = {s.id: await printed_flyer_link(s.id) for s in (kept, moved)}
    assert urlsplit(links[kept.id]).path == f"/booths/{kept.id}"

    change_id = await workflow.start_change(staff, version.plan)
    moving = next(s for s in await services.sessions_of(change_id) if s.origin == moved.id)
    new_date = await move_somewhere(staff, moving.id, moving.date)
    await approve(people, change_id)

    await page.set_viewport_size({"width": 360, "height": 740})
    for session, link in ((kept, links[kept.id]), (moved, links[moved.id])):
        parts = urlsplit(link)
        response = await page.goto(f"{live_server}{parts.path}?{parts.query}")
        assert response is not None and response.status == 200
        assert urlsplit(page.url).path == f"/booths/{session.id}"  # the printed address, not a new one
        assert (await page.locator("h1").inner_text()).strip() == session.venue_name
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        assert await violations(page) == []
        if session is moved:
            notice = page.locator("#booth-moved")
            assert await notice.is_visible()
            assert f"{new_date.month}月{new_date.day}日" in await notice.inner_text()
        else:
            assert await page.locator("#booth-moved").count() == 0
        await page.locator("a.slot--open").first.click()  # the booth still takes bookings from its flyer
        await page.wait_for_url(f"**/booths/{session.id}/book?slot=*")
        assert await page.locator("form input[name=name_kana]").count() == 1
    assert page.outside == []  # type: ignore[attr-defined]
