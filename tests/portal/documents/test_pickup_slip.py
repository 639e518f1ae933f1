"""A pickup reservation's slip (予約票, PDF) read back with independent tools (poppler's pdftotext and pdftoppm,
zxing-cpp): the office, the service, the date and time, the party, the notice numbers masked but for their last four
digits, what to bring, the QR code of the reservation code, in the resident's language, and never the manage link or
the contact. Reception checks the reservation in from what its QR code holds."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from booking.codes import display_code
from core import clock
from core.tables import Role
from counter.pickups import PickupRequest, reserve
from counter.tables import PickupReservation, Ticket
from portal.documents.pickup_slip import mask_notice_number
from tests.conftest import csrf_token, soup
from tests.counter.pickup_factories import office_with_slots, slots_of

FRIDAY = dt.datetime(2027, 7, 9, 15, 0, tzinfo=clock.JST)
MONDAY = dt.date(2027, 7, 12)
NOTICES = ("0123456789", "1111222233")
PHONE, EMAIL = "090-1234-5678", "hanako@example.jp"
DPI = 150


def poppler(tool: str) -> str:
    found = shutil.which(tool)
    assert found, f"{tool} is missing: scripts/check-system-deps.sh installs poppler-utils"
    return found


def read_pdf(data: bytes, directory: Path) -> tuple[int, str, list[str]]:
    """Pages, text and the QR codes on the first page of a PDF."""
    pdf = directory / "slip.pdf"
    pdf.write_bytes(data)
    info = subprocess.run([poppler("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    text = subprocess.run([poppler("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    prefix = directory / "page"
    subprocess.run(
        [poppler("pdftoppm"), "-r", str(DPI), "-png", "-f", "1", "-l", "1", str(pdf), str(prefix)], check=True
    )
    [png] = directory.glob("page-*.png")
    codes = [
        code.text for code in zxingcpp.read_barcodes(Image.open(png)) if code.format == zxingcpp.BarcodeFormat.QRCode
    ]
    return pages, text, codes


async def reserved(language: str = "ja", slot_index: int = 2):
    with clock.frozen(FRIDAY):
        office = await office_with_slots(FRIDAY.date())
        slot = (await slots_of(office["services"]["pickup"], MONDAY))[slot_index]
        details, _made = await reserve(PickupRequest(slot["id"], NOTICES, phone=PHONE, email=EMAIL, language=language))
    return office, details


def test_a_notice_number_shows_only_its_last_four_digits():
    assert mask_notice_number("0123456789") == "******6789"
    assert mask_notice_number("6789") == "6789"


async def test_the_slip_has_the_reservation_and_a_qr_code_reception_checks_in(client, signed_in, tmp_path):
    office, details = await reserved()
    with clock.frozen(FRIDAY):
        page = soup(await client.get(f"/pickups/{details.code}", params={"token": details.manage_token}))
        link = page.select_one("#pickup-slip")
        assert link["href"] == f"/pickups/{details.code}/slip.pdf?token={details.manage_token}"
        assert link.get_text() == "予約票（PDF・印刷用）"
        response = await client.get(link["href"])
        assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
        assert response.headers["cache-control"] == "no-store"
        assert (await client.get(f"/pickups/{details.code}/slip.pdf")).status_code == 404  # the token opens it
        wrong = await client.get(f"/pickups/{details.code}/slip.pdf", params={"token": "x" * 32})
        assert wrong.status_code == 404
    pages, text, codes = read_pdf(response.content, tmp_path)
    assert pages == 1
    flat = re.sub(r"\s+", "", text)
    for expected in (
        "予約票",
        display_code(details.code),
        "金沢市役所",
        "2027年7月12日（月）",
        "令和9年",
        "10:00～10:30",  # the third time of the day
        "2名",
        "******6789",
        "******2233",
        "持ち物",
        "交付通知書",
    ):
        assert expected in flat, f"{expected} not in {flat}"
    assert service_named(flat)
    for secret in (*NOTICES, PHONE, "09012345678", EMAIL, details.manage_token, "token="):
        assert secret not in flat, secret  # reception holds the slip: no full number, contact or manage link
    assert codes == [details.code]  # the QR code holds the reservation code, exactly as stored
    # at the counter on the day, reception scans it: the party gets its queue ticket
    with clock.frozen(dt.datetime(2027, 7, 12, 9, 58, tzinfo=clock.JST)):
        await signed_in(Role.contractor_staff)
        reception = await client.get(f"/staff/counter/{office['office']}")
        form = {"_csrf_token": csrf_token(reception.text), "reservation_code": codes[0]}
        checked = await client.post(f"/staff/counter/{office['office']}/pickups", data=form, follow_redirects=False)
        assert checked.status_code == 303
    row = await PickupReservation.select().where(PickupReservation.code == details.code).first()
    ticket = await Ticket.select().where(Ticket.reservation == row["id"]).first()
    assert row["state"] == "checked_in" and ticket is not None


def service_named(flat: str) -> bool:
    return "カードの受け取り" in flat or "交付" in flat


HEADINGS = {
    "ja": ["予約票", "2027年7月12日"],
    "en": ["Reservation slip", "Monday, July 12, 2027", "Kanazawa City Hall", "What to bring", "******6789"],
    "ja-easy": ["予約票", "よやくひょう"],  # with its reading, as the booking slip
    "zh-hans": ["预约单", "2027年7月12日"],
    "ko": ["예약표", "2027년 7월 12일"],
    "vi": ["Phiếu hẹn tại quầy", "tháng 7"],
}


@pytest.mark.parametrize("language", list(HEADINGS))
async def test_the_slip_speaks_the_language_the_resident_chose(client, tmp_path, language):
    _office, details = await reserved(language)
    client.headers["Accept-Language"] = "ja"  # the page's language does not matter: the reservation's does
    with clock.frozen(FRIDAY):
        response = await client.get(f"/pickups/{details.code}/slip.pdf", params={"token": details.manage_token})
    assert response.status_code == 200
    _pages, text, codes = read_pdf(response.content, tmp_path)
    flat = re.sub(r"\s+", " ", text)
    for expected in HEADINGS[language]:
        assert expected in flat, (expected, flat[:400])
    if language not in ("ja", "ja-easy"):
        assert "予約票" not in flat
    assert codes == [details.code]


async def test_a_cancelled_reservation_s_slip_says_so(client, tmp_path):
    _office, details = await reserved("en")
    with clock.frozen(FRIDAY):
        cancel_page = await client.get(f"/pickups/{details.code}", params={"token": details.manage_token})
        await client.post(
            f"/pickups/{details.code}/cancel?token={details.manage_token}",
            data={"_csrf_token": csrf_token(cancel_page.text)},
        )
        response = await client.get(f"/pickups/{details.code}/slip.pdf", params={"token": details.manage_token})
    _pages, text, _codes = read_pdf(response.content, tmp_path)
    assert "This reservation is cancelled." in re.sub(r"\s+", " ", text)
