"""In Chromium, on a phone: a booth day. Staff sign in, open today's booth, check a party in by typing its code; a
party that did not come is shown as a no-show 15 minutes after its slot started and its places count for walk-ins;
staff register a walk-in and see queue number 1; the public booth page shows the walk-in wait — and no name. Staff
then enter the booth's results and the in-office counts, and the daily report (page, PDF and Excel) shows exactly
what happened.

The portal runs in another process on the real clock, so the booth is laid out around the current time: its first
slot started 20 minutes ago (NO_SHOW_AFTER_MINUTES is 15), the next one starts in 10 minutes. A second test scans
the slip's QR code with a (fake) camera."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image
from playwright.async_api import async_playwright

from booking.codes import display_code, new_code
from booking.jobs import release_late
from booking.reports import daily_report
from booking.tables import Booking, Slot
from core import clock
from core.tables import Role
from core.users import create_user
from planner.tables import Session
from portal.documents.qr import qr_png
from tests.booking.factories import publish_booth
from tests.conftest import PASSWORD
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_accessibility import violations
from tests.venues.factories import make_venue

SLOT = dt.timedelta(minutes=30)


async def booth_around_now() -> dict:
    """Today's booth with four 30-minute slots, the first started 20 minutes ago (whatever the time of day)."""
    now = clock.now().astimezone(clock.JST).replace(second=0, microsecond=0)
    first = now - dt.timedelta(minutes=20)
    booth = await publish_booth(
        now.date(),
        start=dt.time(0),
        end=dt.time(0, 30),
        capacity=4,
        walk_in=2,
        venue=await make_venue(name="片町きらら", address="石川県金沢市片町二丁目"),
    )
    await Slot.delete().where(Slot.session == booth["session"])  # replaced by slots around the current time
    starts = [first + SLOT * n for n in range(4)]
    same_day = [s for s in starts if s.date() == now.date()] or [now]
    await Session.update(
        {
            Session.start: same_day[0].time(),
            Session.end: min((same_day[-1] + SLOT).time(), dt.time(23, 59))
            if (same_day[-1] + SLOT).date() == now.date()
            else dt.time(23, 59),
        }
    ).where(Session.id == booth["session"])
    slots = [
        (
            await Slot.insert(Slot(session=booth["session"], start=s, end=s + SLOT, capacity=4, walk_in=2)).returning(
                Slot.id
            )
        )[0]["id"]
        for s in starts
    ]
    return {"session": booth["session"], "slots": slots}


async def booked_days_ago(session: int, slot: int, name: str, party_size: int, phone: str) -> str:
    """A booking made days before (the booking form closes before a slot starts, so it is written directly)."""
    code = new_code()
    earlier = clock.now() - dt.timedelta(days=3)
    await Booking.insert(
        Booking(
            code=code,
            slot=slot,
            session=session,
            party_size=party_size,
            name_kana=name,
            phone=phone,
            created_at=earlier,
            updated_at=earlier,
        )
    )
    await Slot.update({Slot.booked: Slot.booked + party_size}).where(Slot.id == slot)
    return code


async def test_a_booth_day_check_in_a_no_show_released_to_a_walk_in(page, live_server):
    booth = await booth_around_now()
    session = booth["session"]
    on_time = await booked_days_ago(session, booth["slots"][1], "ヤマダ タロウ", 2, "09011112222")
    absent = await booked_days_ago(session, booth["slots"][0], "スズキ ハナコ", 3, "09033334444")
    await create_user("booth-staff", PASSWORD, Role.contractor_staff)
    # The absent party's slot started 20 minutes ago: the portal's minute-by-minute background release (booking.jobs)
    # gives its 3 places to walk-ins; here it runs now instead of within the minute.
    assert await release_late() == 1

    await page.goto(live_server + "/staff/login")
    await page.fill("#username", "booth-staff")
    await page.fill("#password", PASSWORD)
    await page.click("form.form button[type=submit]")
    await page.wait_for_url("**/staff/")
    await page.goto(live_server + "/staff/checkin")
    await page.click(f"#booth-{session} a")
    await page.wait_for_url(f"**/staff/checkin/{session}")

    # The absent party shows as a no-show, its 3 places for walk-ins.
    absent_row = page.locator(f"tr[data-code='{absent[-4:]}']")
    assert await absent_row.get_attribute("data-state") == "no_show"
    assert await page.locator("#live [data-live=released_places]").inner_text() == "3"
    assert await page.locator("#live [data-live=due_parties]").inner_text() == "1"

    # Check in by typing the code from the slip (grouped, in lower case).
    await page.fill("#code", display_code(on_time).lower())
    await page.click("#code-form button[type=submit]")
    await page.wait_for_url("**done=checked_in**")
    assert "ヤマダ タロウ" in await page.locator("#done-message").inner_text()
    assert await page.locator(f"tr[data-code='{on_time[-4:]}']").get_attribute("data-state") == "checked_in"
    assert await page.evaluate("document.activeElement.id") == "code"  # ready for the next party
    assert await page.locator("#live [data-live=checked_in_parties]").inner_text() == "1"

    # A walk-in gets queue number 1, shown large for the ticket.
    await page.select_option("#party_size", "2")
    await page.click("#walk-in-form button[type=submit]")
    await page.wait_for_url("**done=walk_in**")
    assert await page.locator("#ticket-number").inner_text() == "1"
    size = await page.locator("#ticket-number").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 64
    assert await page.locator(".queue-list li[data-number='1']").count() == 1
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # nothing overflows
    assert await page.evaluate("document.activeElement.id") == "new-walk-in"
    assert await violations(page) == []

    # Residents see the walk-in queue and the wait, never a name.
    await page.goto(live_server + f"/booths/{session}")
    panel = page.locator("#booth-live")
    assert await panel.is_visible()
    assert "1" in await panel.locator("[data-live=waiting_parties]").inner_text()
    wait = await panel.locator("[data-live=wait_minutes]").inner_text()
    assert wait.strip() not in ("", "—")
    body = await page.locator("body").inner_text()
    assert "ヤマダ" not in body and "スズキ" not in body
    api = await page.evaluate(f"fetch('/api/sessions/{session}').then(r => r.json())")
    assert api["live"]["waiting_parties"] == 1 and api["live"]["released_places"] == 3
    assert api["live"]["wait_minutes"] is not None and str(api["live"]["wait_minutes"]) in wait
    assert await violations(page) == []

    # After the booth: its results and the day's in-office counts, entered on the day's page.
    today = clock.today()
    await page.goto(live_server + f"/staff/days/{today.isoformat()}")
    key = f"booth-{session}"
    await page.fill(f"#{key}-applications", "3")
    await page.fill(f"#{key}-photos", "2")
    await page.fill(f"#{key}-inquiries", "4")
    await page.click(f"#{key} form button[type=submit]")
    await page.wait_for_url(f"**saved={key}**")
    await page.fill("#office-card_handovers", "12")
    await page.fill("#office-applications", "7")
    await page.click("#office form button[type=submit]")
    await page.wait_for_url("**saved=office**")
    assert await violations(page) == []

    # The daily report shows exactly what this test did: two booked parties (5 people), one checked in, one
    # no-show (50 %), one walk-in party of 2, the results and the counts; the PDF and the Excel say the same.
    await page.goto(live_server + f"/staff/reports/daily/{today.isoformat()}")
    row = page.locator(f"#booths tr[data-session='{session}']")
    figures = {
        name: (await row.locator(f"td[data-column={name}]").inner_text()).strip()
        for name in (
            "bookings",
            "people",
            "checked_in",
            "no_shows",
            "no_show_rate",
            "walk_ins",
            "walk_in_people",
            "applications",
            "photos",
            "inquiries",
        )
    }
    assert figures == {
        "bookings": "2",
        "people": "5",
        "checked_in": "1",
        "no_shows": "1",
        "no_show_rate": "50%",
        "walk_ins": "1",
        "walk_in_people": "2",
        "applications": "3",
        "photos": "2",
        "inquiries": "4",
    }
    office = page.locator("td[data-column=card_handovers]")
    assert (await office.inner_text()).strip() == "12"
    assert await violations(page) == []
    report = await daily_report(today)
    shown = next(b for b in report.booths if b.session_id == session)
    assert (
        shown.figures.bookings,
        shown.figures.people,
        shown.figures.checked_in,
        shown.figures.no_shows,
        shown.figures.walk_ins,
        shown.figures.walk_in_people,
        shown.figures.applications,
    ) == (2, 5, 1, 1, 1, 2, 3)
    async with page.expect_download() as download:
        await page.click("#download-xlsx")
    workbook = load_workbook(io.BytesIO(Path(await (await download.value).path()).read_bytes()))
    cells = [cell for sheet in workbook.worksheets for line in sheet.iter_rows(values_only=True) for cell in line]
    assert "片町きらら" in cells and 12 in cells
    pdf = await page.request.get(live_server + f"/staff/reports/daily/{today.isoformat()}/report.pdf")
    assert pdf.ok and pdf.headers["content-type"].startswith("application/pdf")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=await pdf.body(), capture_output=True, check=True
    ).stdout.decode()
    assert "日次実績報告書" in text and "片町きらら" in text
    assert "ヤマダ" not in text and "スズキ" not in text  # reports carry counts, never names
    assert page.outside == []  # type: ignore[attr-defined]


def fake_camera(path: Path, text: str) -> Path:
    """A video file for Chromium's fake camera: the QR code of ``text`` as a slip held up to it (Y4M, greyscale)."""
    width, height = 640, 480
    picture = Image.new("L", (width, height), 255)
    code = Image.open(io.BytesIO(qr_png(text, box_size=8))).convert("L")
    picture.paste(code, ((width - code.width) // 2, (height - code.height) // 2))
    frame = b"FRAME\n" + picture.tobytes() + bytes([128]) * (width * height // 2)  # Y plane, then U and V at 128
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * 10)
    return path


async def test_check_in_by_scanning_the_slip_with_the_camera(live_server, tmp_path):
    booth = await booth_around_now()
    code = await booked_days_ago(booth["session"], booth["slots"][2], "タナカ ジロウ", 1, "09055556666")
    await create_user("scan-staff", PASSWORD, Role.contractor_staff)
    camera = fake_camera(tmp_path / "slip.y4m", code)  # the QR code holds the booking code only (portal.documents.qr)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS
            + [
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={camera}",
            ],
        )
        context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
        await context.grant_permissions(["camera"], origin=live_server)
        page = await context.new_page()
        await page.goto(live_server + "/staff/login")
        await page.fill("#username", "scan-staff")
        await page.fill("#password", PASSWORD)
        await page.click("form.form button[type=submit]")
        await page.wait_for_url("**/staff/")
        await page.goto(live_server + f"/staff/checkin/{booth['session']}")
        await page.click("#scan-button")
        await page.wait_for_url("**done=checked_in**", timeout=20000)
        assert "タナカ ジロウ" in await page.locator("#done-message").inner_text()
        assert await page.locator(f"tr[data-code='{code[-4:]}']").get_attribute("data-state") == "checked_in"
        assert await page.locator("#scanner").is_hidden()  # the camera is off again
        await browser.close()
    assert (await Booking.select(Booking.state).where(Booking.code == code).first())["state"] == "checked_in"
