"""Flyers: the booth's A4 PDF, the month's poster and the square PNG, with every QR code decoded by an independent
decoder (zxing-cpp) from the rendered page (poppler); the public URLs of DESIGN §5; the staff ZIP job end to end."""

from __future__ import annotations

import datetime as dt
import io
import math
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
import zxingcpp
from bs4 import BeautifulSoup
from PIL import Image

from booking.schemas import Booth
from core import clock
from core.i18n import gettext, using_locale
from core.jobs import Registry, Worker
from core.settings import get_settings
from core.tables import Role
from planner.tables import SessionState
from portal.documents import flyer_jobs
from portal.documents.flyers import (
    NO_PHONE_TEXT,
    booth_booking_url,
    booth_flyer_pdf,
    booth_flyer_png,
    home_booking_url,
    is_placement,
    month_files,
    monthly_poster_pdf,
    overview_svg,
    safe_file_name,
)
from tests.booking.factories import publish_booth
from tests.conftest import post_form

DPI = 150
BASE = "https://yoyaku.example.jp"
PHONE = "076-220-2000"
NOW = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


def make_booth(
    booth_id: int = 12,
    day: dt.date = dt.date(2027, 6, 5),
    name: str = "イオン金沢店",
    lat: float = 36.6190,
    lon: float = 136.6820,
    **changes,
) -> Booth:
    values = dict(
        id=booth_id,
        date=day,
        start=dt.time(10),
        end=dt.time(17),
        day_type="holiday" if day.weekday() >= 5 else "weekday",
        state="published",
        venue_id=f"V{booth_id}",
        venue_name=name,
        venue_name_en="AEON Kanazawa",
        address="石川県金沢市福久2丁目58",
        lat=lat,
        lon=lon,
        wheelchair=True,
        barrier_free_toilet=False,
        accessible_route=True,
        priority_parking=True,
        phone="",
        url="",
        remaining=3,
    )
    values.update(changes)
    return Booth(**values)


def poppler(tool: str) -> str:
    found = shutil.which(tool)
    assert found, f"{tool} is missing: scripts/check-system-deps.sh installs poppler-utils"
    return found


def pdf_pages(content: bytes, directory: Path) -> int:
    pdf = directory / "flyer.pdf"
    pdf.write_bytes(content)
    info = subprocess.run([poppler("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def pdf_text(content: bytes, directory: Path) -> str:
    pdf = directory / "text.pdf"
    pdf.write_bytes(content)
    return subprocess.run(
        [poppler("pdftotext"), "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def squeezed(text: str) -> str:
    """Text without white space (pdftotext breaks lines where the page does)."""
    return "".join(text.split())


def page_image(content: bytes, directory: Path) -> Image.Image:
    pdf = directory / "page.pdf"
    pdf.write_bytes(content)
    prefix = directory / "page"
    subprocess.run(
        [poppler("pdftoppm"), "-r", str(DPI), "-png", "-f", "1", "-l", "1", str(pdf), str(prefix)],
        check=True,
        timeout=60,
    )
    return Image.open(next(directory.glob("page-*.png")))


def qr_codes(image: Image.Image) -> list[zxingcpp.Barcode]:
    return [code for code in zxingcpp.read_barcodes(image) if code.format == zxingcpp.BarcodeFormat.QRCode]


def side_px(code: zxingcpp.Barcode) -> float:
    """The narrower side of the decoded symbol, in pixels."""
    p = code.position
    return min(
        math.dist((p.top_left.x, p.top_left.y), (p.top_right.x, p.top_right.y)),
        math.dist((p.top_left.x, p.top_left.y), (p.bottom_left.x, p.bottom_left.y)),
    )


def assert_one_qr_on_page(content: bytes, directory: Path, expected: str) -> None:
    """The first page has exactly one QR code: ``expected``, error correction M or better, at least 25 mm wide."""
    found = qr_codes(page_image(content, directory))
    assert [code.text for code in found] == [expected]
    assert found[0].ec_level in ("M", "Q", "H")
    assert side_px(found[0]) / DPI * 25.4 >= 25


# --- pure rendering -------------------------------------------------------------------------------------------------


def test_placement_codes():
    assert is_placement("hall-7") and is_placement("a.b_C-9") and is_placement("x" * 64)
    for bad in ("", "x" * 65, "bad code", "a/b", "ｈａｌｌ", "a?b=c", "<script>"):
        assert not is_placement(bad)
    assert booth_booking_url(BASE + "/", 12, "hall-7") == f"{BASE}/booths/12?src=hall-7"
    assert home_booking_url(BASE, "poster") == f"{BASE}/?src=poster"


def test_booth_flyer_pdf_is_one_a4_page_with_date_place_phone_and_qr(tmp_path):
    booth = make_booth()
    url = booth_booking_url(BASE, booth.id, "hall-board_1.a")
    content = booth_flyer_pdf(booth, url, PHONE)
    assert content.startswith(b"%PDF")
    assert pdf_pages(content, tmp_path) == 1
    assert_one_qr_on_page(content, tmp_path, url)
    text = pdf_text(content, tmp_path)
    for expected in (
        "イオン金沢店",
        "AEON Kanazawa",
        "石川県金沢市福久2丁目58",
        "2027年6月5日（土）",
        "令和9年",
        "10:00～17:00",
        "Saturday, June 5, 2027",
        PHONE,
        url,
    ):
        assert expected in text, expected
    with using_locale("ja"):
        assert squeezed(gettext("My Number Card")) in squeezed(text)


def test_booth_flyer_without_a_phone_says_how_to_come_without_a_booking(tmp_path):
    content = booth_flyer_pdf(make_booth(), booth_booking_url(BASE, 12, "flyer"), "")
    text = squeezed(pdf_text(content, tmp_path))
    with using_locale("ja"):
        assert squeezed(gettext(NO_PHONE_TEXT)) in text
    assert squeezed(NO_PHONE_TEXT) in text  # the English line
    assert pdf_pages(content, tmp_path) == 1


def test_booth_flyer_png_is_square_with_a_large_qr():
    url = booth_booking_url(BASE, 12, "sns")
    image = Image.open(io.BytesIO(booth_flyer_png(make_booth(), url)))
    assert image.format == "PNG" and image.size == (1080, 1080)
    found = qr_codes(image)
    assert [code.text for code in found] == [url]
    assert found[0].ec_level in ("M", "Q", "H")
    assert side_px(found[0]) >= 300


@pytest.mark.parametrize("lang", ["en", "ko", "vi", "zh-hans"])
def test_the_social_image_has_its_second_lines_in_the_language_asked(monkeypatch, lang):
    from portal.documents import flyers

    drawn: list[str] = []
    draw_text = flyers._draw_text

    def recording(draw, xy, text, *args, **kwargs):
        drawn.append(text)
        return draw_text(draw, xy, text, *args, **kwargs)

    monkeypatch.setattr(flyers, "_draw_text", recording)
    url = booth_booking_url(BASE, 12, "sns")
    image = Image.open(io.BytesIO(booth_flyer_png(make_booth(), url, lang)))
    assert [code.text for code in qr_codes(image)] == [url]
    with using_locale("ja"):
        first = gettext("Book with the QR code")
    with using_locale(lang):
        second = gettext("Book with the QR code")
    assert first in drawn and second in drawn  # Japanese first, the second line in the language asked
    assert lang == "en" or "Book with the QR code" not in drawn


def test_monthly_poster_lists_every_booth_given_and_links_to_the_booth_list(tmp_path):
    booths = [
        make_booth(1, dt.date(2027, 6, 5), "森本公民館", 36.62, 136.69),
        make_booth(2, dt.date(2027, 6, 16), "金沢市立玉川図書館", 36.56, 136.65),
        make_booth(3, dt.date(2027, 6, 26), "森本公民館", 36.62, 136.69),
    ]
    content = monthly_poster_pdf("2027-06", booths, BASE, placement="station-board", phone=PHONE)
    assert pdf_pages(content, tmp_path) == 1
    assert_one_qr_on_page(content, tmp_path, f"{BASE}/?src=station-board")
    text = pdf_text(content, tmp_path)
    for expected in (
        "2027年6月",
        "June 2027",
        "6月5日",
        "6月16日",
        "6月26日",
        "森本公民館",
        "金沢市立玉川図書館",
        PHONE,
    ):
        assert expected in text, expected


def test_overview_numbers_booths_as_in_the_table_and_shares_a_circle_per_venue():
    booths = [
        make_booth(1, lat=36.62, lon=136.69),
        make_booth(2, lat=36.56, lon=136.65),
        make_booth(3, lat=36.62, lon=136.69),
    ]
    svg = BeautifulSoup(overview_svg(booths), "html.parser").find("svg")
    labels = sorted(text.get_text() for text in svg.find_all("text"))
    assert "1,3" in labels and "2" in labels and "N" in labels
    assert len(svg.find_all("circle")) == 2


def test_month_files_name_each_booth_by_date_and_venue():
    booths = [
        make_booth(1, dt.date(2027, 6, 5), "森本公民館"),
        make_booth(2, dt.date(2027, 6, 5), "A/B:会館?"),
        make_booth(3, dt.date(2027, 6, 5), "森本公民館"),
    ]
    names = [f.name for f in month_files("2027-06", booths, BASE)]
    assert names == [
        "2027-06-05_森本公民館.pdf",
        "2027-06-05_森本公民館.png",
        "2027-06-05_A_B_会館_.pdf",
        "2027-06-05_A_B_会館_.png",
        "2027-06-05_森本公民館_3.pdf",
        "2027-06-05_森本公民館_3.png",
        "2027-06_poster.pdf",
    ]
    for hostile in ("../..", "..", "a\\b", "con\x00.pdf"):
        name = safe_file_name(hostile)
        assert name and "/" not in name and "\\" not in name and "\x00" not in name and not name.startswith(".")
    assert safe_file_name(" .. ") == "booth"


# --- public URLs ----------------------------------------------------------------------------------------------------


@pytest.fixture
async def booths():
    """Two June booths, one in July, one in May (past at NOW), and June sessions residents must not see."""
    with clock.frozen(NOW):
        june = [
            await publish_booth(dt.date(2027, 6, 5), name="森本公民館"),
            await publish_booth(dt.date(2027, 6, 16), name="玉川図書館"),
        ]
        july = await publish_booth(dt.date(2027, 7, 3), name="七月の会場")
        may = await publish_booth(dt.date(2027, 5, 22), name="五月の会場")
        planned = await publish_booth(dt.date(2027, 6, 9), name="未公開の会場", state=SessionState.planned.value)
        cancelled = await publish_booth(dt.date(2027, 6, 12), name="中止の会場", state=SessionState.cancelled.value)
        yield {"june": june, "july": july, "may": may, "planned": planned, "cancelled": cancelled}


async def test_public_booth_flyer_pdf_carries_the_placement_code(client, booths, tmp_path):
    session = booths["june"][0]["session"]
    response = await client.get(f"/sessions/{session}/flyer.pdf", params={"placement": "hall-7"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.content.startswith(b"%PDF")
    assert_one_qr_on_page(response.content, tmp_path, f"{get_settings().base_url}/booths/{session}?src=hall-7")
    assert "森本公民館" in pdf_text(response.content, tmp_path)


async def test_public_booth_flyer_png_defaults_to_the_social_media_code(client, booths):
    session = booths["june"][1]["session"]
    response = await client.get(f"/sessions/{session}/flyer.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    found = qr_codes(Image.open(io.BytesIO(response.content)))
    assert [code.text for code in found] == [f"{get_settings().base_url}/booths/{session}?src=sns"]


async def test_flyers_only_for_published_booths(client, booths):
    for session in (booths["planned"]["session"], booths["cancelled"]["session"], 999_999):
        for suffix in ("pdf", "png"):
            assert (await client.get(f"/sessions/{session}/flyer.{suffix}")).status_code == 404


async def test_a_bad_placement_code_is_refused(client, booths):
    session = booths["june"][0]["session"]
    for placement in ("", "bad code", "x" * 65, "a/b", "é"):
        for url in (f"/sessions/{session}/flyer.pdf", f"/sessions/{session}/flyer.png", "/flyers/2027-06.pdf"):
            response = await client.get(url, params={"placement": placement}, headers={"Accept": "application/json"})
            assert response.status_code == 422, (url, placement)
            assert "placement" in response.json()["errors"]
    assert (await client.get(f"/sessions/{session}/flyer.pdf", params={"placement": "bad code"})).status_code == 422


async def test_month_poster_lists_the_months_booths_only(client, booths, tmp_path):
    with clock.frozen(NOW):
        response = await client.get("/flyers/2027-06.pdf", params={"placement": "station"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/pdf")
    text = pdf_text(response.content, tmp_path)
    assert "森本公民館" in text and "玉川図書館" in text
    for absent in ("七月の会場", "五月の会場", "未公開の会場", "中止の会場"):
        assert absent not in text
    assert_one_qr_on_page(response.content, tmp_path, f"{get_settings().base_url}/?src=station")


async def test_month_poster_of_an_unknown_or_past_month_is_404(client, booths):
    with clock.frozen(NOW):
        for name in ("2031-01.pdf", "2027-05.pdf", "2027-13.pdf", "2027-6.pdf", "2027-06.png", "june"):
            assert (await client.get(f"/flyers/{name}")).status_code == 404, name


# --- the staff page and the ZIP job ---------------------------------------------------------------------------------


async def test_flyer_page_is_for_venue_editors(client, signed_in, booths):
    assert (await client.get("/staff/flyers", follow_redirects=False)).status_code in (302, 303)
    await signed_in(Role.city_reviewer)
    assert (await client.get("/staff/flyers")).status_code == 403


def flyer_registry() -> Registry:
    """A job runner's registry with the flyer jobs only (the test runs no other background work)."""
    registry = Registry()
    flyer_jobs.register(registry)
    return registry


async def test_month_zip_job_end_to_end(client, signed_in, booths):
    await signed_in(Role.contractor_staff)
    with clock.frozen(NOW):
        listing = await client.get("/staff/flyers")
        assert listing.status_code == 200
        page = BeautifulSoup(listing.text, "html.parser")
        assert page.find("nav", class_="staff-nav").find("a", href="/staff/flyers") is not None
        months = [row["id"] for row in page.select("tr[id^=month-]")]
        assert months == ["month-2027-06", "month-2027-07"]
        june = page.find("tr", id="month-2027-06")
        assert june.find("a", href="/flyers/2027-06.pdf") is not None
        assert june.find("form")["action"] == "/staff/flyers/2027-06/zip"
        started = await post_form(client, "/staff/flyers", "/staff/flyers/2027-06/zip", {}, follow_redirects=False)
    assert started.status_code == 303, started.text
    job_url = started.headers["location"]

    job_page = BeautifulSoup((await client.get(job_url)).text, "html.parser")
    assert all(script.get("src") for script in job_page.find_all("script"))  # CSP: no inline script
    box = job_page.find(id="flyer-job")
    bar = job_page.find(role="progressbar")
    assert bar["aria-valuemin"] == "0" and bar["aria-valuemax"] == "5"  # 2 PDFs, 2 PNGs, the poster
    assert job_page.find(id=bar["aria-labelledby"]).name == "h1"
    assert bar["aria-valuenow"] in {str(n) for n in range(6)} and "5" in bar["aria-valuetext"]
    assert job_page.find(id="flyer-job-text")["aria-live"] == "polite"
    status_url = box["data-status-url"]

    queued = (await client.get(status_url)).json()
    assert (queued["state"], queued["done"], queued["total"], queued["download_url"]) == ("running", 0, 5, None)
    with clock.frozen(NOW):
        await Worker(flyer_registry()).run_once()  # the deployment's job runner takes the job
    status = (await client.get(status_url)).json()
    assert status["state"] == "done" and status["done"] == 5

    finished = BeautifulSoup((await client.get(job_url)).text, "html.parser")
    link = finished.find(id="flyer-job-download")
    assert link["href"] == status["download_url"] and not link.has_attr("hidden")
    download = await client.get(status["download_url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        names = sorted(archive.namelist())
        assert names == [
            "2027-06-05_森本公民館.pdf",
            "2027-06-05_森本公民館.png",
            "2027-06-16_玉川図書館.pdf",
            "2027-06-16_玉川図書館.png",
            "2027-06_poster.pdf",
        ]
        for name in names:
            data = archive.read(name)
            assert data.startswith(b"%PDF" if name.endswith(".pdf") else b"\x89PNG\r\n\x1a\n"), name


async def test_unknown_jobs_and_months(client, signed_in, booths):
    await signed_in(Role.contractor_lead)
    assert (await client.get("/staff/flyers/jobs/nosuchjobnosuchjob")).status_code == 404
    assert (await client.get("/staff/flyers/jobs/999999")).status_code == 404
    assert (await client.get("/staff/flyers/jobs/x/status.json")).status_code == 404
    with clock.frozen(NOW):
        response = await post_form(client, "/staff/flyers", "/staff/flyers/2031-01/zip", {})
    assert response.status_code == 404


async def test_a_set_older_than_a_day_is_gone(client, signed_in, booths, var_dir):
    await signed_in(Role.contractor_lead)
    with clock.frozen(NOW):
        started = await post_form(client, "/staff/flyers", "/staff/flyers/2027-06/zip", {}, follow_redirects=False)
        await Worker(flyer_registry()).run_once()
    job_url = started.headers["location"]
    assert (await client.get(job_url + "/download")).status_code == 200
    assert await flyer_jobs.remove_old_zips(now=time.time() + flyer_jobs.KEEP_SECONDS + 1) >= 1
    assert not flyer_jobs.zip_path(int(job_url.rsplit("/", 1)[1])).exists()
    assert (await client.get(job_url)).status_code == 404
    assert (await client.get(job_url + "/download")).status_code == 404


async def test_a_published_booths_staff_page_links_its_flyer(client, signed_in):
    from bs4 import BeautifulSoup

    from core.tables import Role
    from tests.booking.factories import publish_booth

    booth = await publish_booth()
    await signed_in(Role.contractor_staff)
    page = BeautifulSoup((await client.get(f"/staff/sessions/{booth['session']}")).text, "html.parser")
    links = {a["href"] for a in page.select(".actions a")}
    assert {f"/sessions/{booth['session']}/flyer.pdf", f"/sessions/{booth['session']}/flyer.png"} <= links


@pytest.mark.parametrize(
    ("lang", "what_to_bring", "day"),
    [
        ("ja-easy", "持（も）ってくるもの", "土曜日"),  # やさしい日本語: readings in brackets in print
        ("zh-hans", "携带物品", "星期"),
        ("ko", "준비물", "요일"),
        ("vi", "Cầnmangtheo", "tháng"),
        ("fr", "Whattobring", "June"),  # a language flyers are not printed in: English
    ],
)
async def test_a_flyer_and_a_poster_carry_their_second_lines_in_the_language_asked(
    client, booths, tmp_path, lang, what_to_bring, day
):
    session = booths["june"][0]["session"]
    flyer = await client.get(f"/sessions/{session}/flyer.pdf", params={"lang": lang})
    text = squeezed(pdf_text(flyer.content, tmp_path))
    assert "持ち物" in text and what_to_bring in text and day in text
    month = "2027-06"
    poster = await client.get(f"/flyers/{month}.pdf", params={"lang": lang})
    assert poster.status_code == 200
    assert squeezed(
        dict(ko="지도의 번호는", vi="Sốtrênbảnđồ", fr="Thenumbersonthemap", **{"ja-easy": "地図の番号は"}).get(
            lang, "地图上的编号"
        )
    ) in squeezed(pdf_text(poster.content, tmp_path))
