"""A resident's booking documents: 和暦 dates, QR codes, the calendar entry (iCalendar and Google link) and the
予約票 PDF, checked with independent tools (zxing-cpp, poppler, a strict iCalendar reader written here)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
import re
import shutil
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest
import zxingcpp
from bs4 import BeautifulSoup
from icalendar import Calendar
from PIL import Image

from booking.schemas import BookingDetails, Booth, BoothSlot, Needs
from core.clock import JST
from core.i18n import gettext, using_locale
from core.settings import get_settings
from core.wareki import wareki, wareki_year
from portal.documents.calendar_entry import PRODID, booking_ics, google_calendar_url
from portal.documents.qr import qr_data_uri, qr_png, qr_svg
from portal.documents.slip import booking_slip_html, booking_slip_pdf, party_text, what_to_bring

CODE = "7KQ2M9XD4TRBW8HN"  # as stored: 16 Crockford base32 symbols
PRINTED_CODE = "7KQ2-M9XD-4TRB-W8HN"  # as printed and read aloud
START = dt.datetime(2027, 6, 5, 10, 0, tzinfo=JST)
END = dt.datetime(2027, 6, 5, 10, 30, tzinfo=JST)
NAME, PHONE, EMAIL = "カナザワ ハナコ", "090-1234-5678", "hanako.kanazawa@example.jp"
TOKEN = "Zr8cY2xq4N0pT1uVwX5yA7bC9dE3fG6h"  # the manage link's secret: it opens name, phone, email and cancelling
MANAGE_URL = f"https://yoyaku.example.jp/bookings/{CODE}?token={TOKEN}"
DPI = 150


def make_booking(**changes) -> BookingDetails:
    booth = Booth(
        id=12,
        date=START.date(),
        start=dt.time(10),
        end=dt.time(17),
        day_type="holiday",
        state="published",
        venue_id="172014-0042",
        venue_name="イオン金沢店",
        venue_name_en="AEON Kanazawa",
        address="石川県金沢市福久2丁目58",
        lat=36.6190,
        lon=136.6820,
        wheelchair=True,
        barrier_free_toilet=True,
        accessible_route=True,
        priority_parking=True,
        phone="076-257-1000",
        url="https://www.example.jp/kanazawa",
        remaining=5,
        slots=(BoothSlot(id=34, start=START, end=END, capacity=6, remaining=3),),
    )
    booking = BookingDetails(
        code=CODE,
        state="confirmed",
        party_size=2,
        name_kana=NAME,
        phone=PHONE,
        email=EMAIL,
        language="ja",
        needs=Needs(wheelchair=True, interpreter="vi"),
        source="flyer-2027-06",
        slot_id=34,
        slot_start=START,
        slot_end=END,
        booth=booth,
        manage_url=MANAGE_URL,
        manage_token=TOKEN,
        created_at=dt.datetime(2027, 5, 20, 9, 15, tzinfo=JST),
    )
    return replace(booking, **changes)


def poppler(tool: str) -> str:
    found = shutil.which(tool)
    assert found, f"{tool} is missing: scripts/check-system-deps.sh installs poppler-utils"
    return found


# --- 和暦 -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (dt.date(2019, 4, 30), "平成31年4月30日"),
        (dt.date(2019, 5, 1), "令和元年5月1日"),
        (dt.date(2027, 6, 5), "令和9年6月5日"),
        (dt.date(1989, 1, 7), "昭和64年1月7日"),
        (dt.date(1989, 1, 8), "平成元年1月8日"),
        (dt.date(1926, 12, 25), "昭和元年12月25日"),
        (dt.date(1926, 12, 24), "大正15年12月24日"),
        (dt.date(1912, 7, 30), "大正元年7月30日"),
        (dt.date(1912, 7, 29), "明治45年7月29日"),
        (dt.date(1873, 1, 1), "明治6年1月1日"),
    ],
)
def test_wareki_on_era_boundaries(date, expected):
    assert wareki(date) == expected


def test_wareki_year_and_unsupported_dates():
    assert wareki_year(dt.date(2027, 6, 5)) == "令和9年"
    assert wareki_year(dt.date(2019, 5, 1)) == "令和元年"
    assert wareki_year(START) == "令和9年"  # a datetime counts by its date
    with pytest.raises(ValueError):
        wareki(dt.date(1872, 12, 31))  # before Japan's Gregorian calendar


# --- QR codes ---------------------------------------------------------------------------------------------------


def decode(image: Image.Image) -> list[zxingcpp.Barcode]:
    return [code for code in zxingcpp.read_barcodes(image) if code.format == zxingcpp.BarcodeFormat.QRCode]


def test_qr_png_decodes_to_the_exact_text():
    text = f"{CODE} 予約"
    found = decode(Image.open(io.BytesIO(qr_png(text))))
    assert [code.text for code in found] == [text]
    assert found[0].ec_level == "M"
    small = Image.open(io.BytesIO(qr_png(CODE, box_size=4, border=2)))
    assert small.width < Image.open(io.BytesIO(qr_png(CODE))).width
    assert [code.text for code in decode(small)] == [CODE]


def test_qr_svg_is_inline_markup_and_data_uri_is_the_png():
    svg = qr_svg(CODE)
    assert svg.startswith("<svg") and "<?xml" not in svg
    assert BeautifulSoup(svg, "html.parser").find("svg").find("path") is not None
    uri = qr_data_uri(CODE)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == qr_png(CODE)


# --- the calendar entry: a strict reader, independent of the icalendar package -----------------------------------


@dataclass
class Component:
    name: str
    properties: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    children: list[Component] = field(default_factory=list)

    def first(self, name: str) -> tuple[dict[str, str], str]:
        matches = [(params, value) for prop, params, value in self.properties if prop == name]
        assert len(matches) == 1, f"{self.name} has {len(matches)} {name}"
        return matches[0]

    def walk(self, name: str) -> list[Component]:
        found = [self] if self.name == name else []
        for child in self.children:
            found += child.walk(name)
        return found


CONTENT_LINE = re.compile(r'^([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=(?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*)*):(.*)$')
PARAM = re.compile(r';([A-Za-z0-9-]+)=("[^"]*"|[^";:]*)')


def strict_ics(data: bytes) -> Component:
    """Read RFC 5545 text strictly: CRLF lines of at most 75 octets, unfolding, well-formed content lines, and
    BEGIN/END properly nested in exactly one VCALENDAR."""
    assert data.endswith(b"\r\n")
    physical = data[:-2].split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in physical)
    assert all(len(line) <= 75 for line in physical), max(physical, key=len)
    logical: list[bytes] = []
    for line in physical:
        if line[:1] in (b" ", b"\t"):
            assert logical, "a continuation line before any content line"
            logical[-1] += line[1:]
        else:
            logical.append(line)
    stack: list[Component] = []
    root: Component | None = None
    for raw in logical:
        match = CONTENT_LINE.match(raw.decode("utf-8"))
        assert match, raw
        name, params, value = match.group(1).upper(), match.group(2), match.group(3)
        if name == "BEGIN":
            component = Component(value.upper())
            if stack:
                stack[-1].children.append(component)
            else:
                assert root is None, "more than one top-level component"
                root = component
            stack.append(component)
        elif name == "END":
            assert stack and stack[-1].name == value.upper(), f"END:{value} does not close {stack[-1:]}"
            stack.pop()
        else:
            assert stack, f"{name} outside any component"
            stack[-1].properties.append((name, {k.upper(): v.strip('"') for k, v in PARAM.findall(params)}, value))
    assert root is not None and not stack, "unclosed components"
    assert root.name == "VCALENDAR"
    return root


def unescape(text: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def test_booking_ics_is_strict_rfc5545_with_a_real_timezone():
    root = strict_ics(booking_ics(make_booking()))
    assert root.first("PRODID")[1] == PRODID == "-//outreach//booking//JA"
    assert root.first("VERSION")[1] == "2.0" and root.first("METHOD")[1] == "PUBLISH"
    [event] = root.walk("VEVENT")
    params, value = event.first("DTSTART")
    assert params == {"TZID": "Asia/Tokyo"} and value == "20270605T100000"
    params, value = event.first("DTEND")
    assert params == {"TZID": "Asia/Tokyo"} and value == "20270605T103000"
    timezones = {tz.first("TZID")[1]: tz for tz in root.walk("VTIMEZONE")}
    assert set(timezones) == {"Asia/Tokyo"}
    assert timezones["Asia/Tokyo"].walk("STANDARD")[0].first("TZOFFSETTO")[1] == "+0900"
    assert event.first("UID")[1] == f"booking-{CODE}@outreach"
    assert event.first("GEO")[1] == "36.619;136.682"
    assert event.first("STATUS")[1] == "CONFIRMED"
    assert re.fullmatch(r"\d{8}T\d{6}Z", event.first("DTSTAMP")[1])
    [alarm] = event.walk("VALARM")
    assert alarm.first("ACTION")[1] == "DISPLAY" and alarm.first("TRIGGER")[1] == "-P1D"
    description = unescape(event.first("DESCRIPTION")[1])
    assert PRINTED_CODE in description and party_text(2) in description
    assert f"{get_settings().base_url}/booths/12" in description  # the booth's public page
    assert f"{get_settings().base_url}/bookings/find?code={CODE}" in description  # a new link for code and contact


def test_booking_ics_reads_back_with_icalendar():
    details = make_booking()
    calendar = Calendar.from_ical(booking_ics(details))
    [event] = calendar.walk("VEVENT")
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == details.slot_start and end == details.slot_end
    assert getattr(start.tzinfo, "key", None) == "Asia/Tokyo"
    assert event.decoded("DTSTAMP") == details.created_at
    assert str(event["URL"]) == f"{get_settings().base_url}/booths/12"
    location = str(event["LOCATION"])
    assert "イオン金沢店" in location and "石川県金沢市福久2丁目58" in location
    description = str(event["DESCRIPTION"])
    assert all(item in description for item in what_to_bring())
    assert str(event["SUMMARY"]) == gettext("My Number Card application support (booking)")
    alarm = event.walk("VALARM")[0]
    assert alarm.decoded("TRIGGER") == dt.timedelta(days=-1)


def test_booking_ics_is_stable_and_follows_the_locale():
    details = make_booking()
    assert booking_ics(details) == booking_ics(details)
    stamp = dt.datetime(2027, 5, 30, 12, 0, tzinfo=dt.UTC)
    with using_locale("en"):
        english = Calendar.from_ical(booking_ics(details, stamp=stamp)).walk("VEVENT")[0]
    assert str(english["SUMMARY"]) == "My Number Card application support (booking)"
    assert str(english["LOCATION"]).startswith("AEON Kanazawa, ")
    assert english.decoded("DTSTAMP") == stamp
    assert str(english["UID"]) == f"booking-{CODE}@outreach"


def test_booking_ics_carries_no_personal_data():
    for locale in ("ja", "en"):
        with using_locale(locale):
            data = booking_ics(make_booking())
        unfolded = data.replace(b"\r\n ", b"").decode("utf-8")
        for secret in (NAME, "カナザワ", "ハナコ", PHONE, "09012345678", EMAIL, "hanako"):
            assert secret not in unfolded


def test_calendar_entries_carry_no_manage_token():
    """A calendar entry is shared, synced and (the Google link) sent to Google: the manage link, which shows the
    name, phone and email and cancels, stays out of it."""
    for locale in ("ja", "en"):
        with using_locale(locale):
            ics = booking_ics(make_booking()).replace(b"\r\n ", b"").decode("utf-8")
            google = google_calendar_url(make_booking())
        for text in (ics, google, unquote_plus(google)):
            assert TOKEN not in text and "token=" not in text


def test_cancelled_booking_keeps_its_uid_and_is_marked_cancelled():
    cancelled = make_booking(state="cancelled")
    root = strict_ics(booking_ics(cancelled))
    [event] = root.walk("VEVENT")
    assert event.first("STATUS")[1] == "CANCELLED"
    assert event.first("UID")[1] == f"booking-{CODE}@outreach"
    assert int(event.first("SEQUENCE")[1]) > int(
        strict_ics(booking_ics(make_booking())).walk("VEVENT")[0].first("SEQUENCE")[1]
    )
    assert event.walk("VALARM") == []  # no reminder for a booking that is off


def test_google_calendar_url_has_utc_times_title_and_place():
    url = google_calendar_url(make_booking())
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "calendar.google.com", "/calendar/render")
    query = parse_qs(parts.query, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values())
    assert query["action"] == ["TEMPLATE"]
    assert query["dates"] == ["20270605T010000Z/20270605T013000Z"]  # 10:00–10:30 JST
    assert query["text"] == [gettext("My Number Card application support (booking)")]
    assert query["location"] == ["イオン金沢店, 石川県金沢市福久2丁目58"]
    assert PRINTED_CODE in query["details"][0] and f"{get_settings().base_url}/booths/12" in query["details"][0]
    for secret in (NAME, PHONE, EMAIL):
        assert secret not in query["details"][0] and secret not in url
    with using_locale("en"):
        english = parse_qs(urlsplit(google_calendar_url(make_booking())).query)
    assert english["text"] == ["My Number Card application support (booking)"]
    assert english["location"][0].startswith("AEON Kanazawa")


# --- the 予約票 PDF --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedSlip:
    pdf: Path
    pages: int
    text: str
    page_png: Path


def render_slip(details: BookingDetails, locale: str, directory: Path) -> RenderedSlip:
    with using_locale(locale):
        data = booking_slip_pdf(details)
    assert data.startswith(b"%PDF")
    pdf = directory / f"slip-{locale}-{details.state}.pdf"
    pdf.write_bytes(data)
    info = subprocess.run([poppler("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    text = subprocess.run([poppler("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    prefix = directory / f"slip-{locale}-{details.state}"
    subprocess.run(
        [poppler("pdftoppm"), "-r", str(DPI), "-png", "-f", "1", "-l", "1", str(pdf), str(prefix)], check=True
    )
    [png] = directory.glob(f"{prefix.name}-*.png")
    return RenderedSlip(pdf=pdf, pages=pages, text=text, page_png=png)


@pytest.fixture(scope="module")
def slip_ja(tmp_path_factory) -> RenderedSlip:
    return render_slip(make_booking(), "ja", tmp_path_factory.mktemp("slip"))


@pytest.fixture(scope="module")
def slip_en(tmp_path_factory) -> RenderedSlip:
    return render_slip(make_booking(), "en", tmp_path_factory.mktemp("slip"))


def test_slip_is_one_a4_page_with_code_venue_and_wareki(slip_ja):
    assert slip_ja.pages == 1
    info = subprocess.run(
        [poppler("pdfinfo"), "-box", str(slip_ja.pdf)], capture_output=True, text=True, check=True
    ).stdout
    box = re.search(r"^MediaBox:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", info, re.MULTILINE).groups()
    assert (round(float(box[2]) - float(box[0])), round(float(box[3]) - float(box[1]))) == (595, 842)  # A4 portrait
    text = slip_ja.text
    for expected in (
        PRINTED_CODE,
        "イオン金沢店",
        "石川県金沢市福久2丁目58",
        "令和9年",
        "2027年6月5日（土）",
        "10:00～10:30",
        NAME,
        "ベトナム語",
        "/bookings/find",  # where the code and the phone or email give a manage link
    ):
        assert expected in text, expected
    assert TOKEN not in text and "token=" not in text  # reception sees the slip: no manage link on it
    for contact in (PHONE, EMAIL):  # the slip shows the name, never the contact data
        assert contact not in text


def test_slip_qr_encodes_only_the_code_and_is_at_least_40mm(slip_ja):
    found = decode(Image.open(slip_ja.page_png))
    assert [code.text for code in found] == [CODE]
    position = found[0].position
    width_px = math.dist((position.top_left.x, position.top_left.y), (position.top_right.x, position.top_right.y))
    height_px = math.dist((position.top_left.x, position.top_left.y), (position.bottom_left.x, position.bottom_left.y))
    assert width_px / DPI * 25.4 >= 40 and height_px / DPI * 25.4 >= 40


def test_slip_in_english(slip_en):
    assert slip_en.pages == 1
    for expected in (
        "Booking slip",
        "Booking code",
        PRINTED_CODE,
        "AEON Kanazawa",
        "Saturday, June 5, 2027",
        "What to bring",
        "Vietnamese",
    ):
        assert expected in slip_en.text, expected
    assert "令和" not in slip_en.text
    assert [code.text for code in decode(Image.open(slip_en.page_png))] == [CODE]


def test_cancelled_slip_says_so_on_one_page(tmp_path):
    long_venue = replace(
        make_booking().booth,
        venue_name_en="",
        venue_name="金沢市西部地域福祉センター（ふれあい健康センター）多目的ホール",
        address="石川県金沢市西念三丁目1番1号 金沢市西部地域福祉センター2階 大会議室",
    )
    details = make_booking(state="cancelled", booth=long_venue, needs=Needs(True, True, "pt-BR"))
    slip = render_slip(details, "en", tmp_path)
    assert slip.pages == 1
    assert "This booking has been cancelled." in slip.text
    assert "金沢市西部地域福祉センター" in slip.text  # no English name: the Japanese one
    assert "Large print" in slip.text and "Portuguese" in slip.text


def test_slip_html_escapes_and_uses_large_type():
    venue = replace(make_booking().booth, venue_name="<b>イオン</b>金沢店")
    with using_locale("ja"):
        html = booking_slip_html(make_booking(booth=venue, name_kana="<i>カナ</i>"))
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("b") is None and soup.find("i") is None
    assert "<b>イオン</b>金沢店" in soup.get_text() and "<i>カナ</i>" in soup.get_text()
    assert soup.html["lang"] == "ja"
    assert soup.select_one(".qr img")["src"].startswith("data:image/svg+xml;base64,")
    css = soup.style.get_text()
    body_size = float(re.search(r"html \{[^}]*font-size: ([\d.]+)pt", css).group(1))
    assert body_size >= 12
    assert all(float(size) >= 12 for size in re.findall(r"font-size: ([\d.]+)pt", css))
    assert '"Noto Sans CJK JP"' in css
