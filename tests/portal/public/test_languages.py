"""Every residents' language end to end: the home page, a booking and its confirmation, email and slip, each in
the language the resident chose, with its dates written that language's way."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from core import clock
from core.i18n import LOCALES, gettext, markup_gettext, using_locale
from core.tables import OutboxMessage
from tests.booking.factories import publish_booth
from tests.conftest import csrf_token, soup

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)
HTML_LANG = {"ja": "ja", "en": "en", "ja-easy": "ja", "zh-hans": "zh-Hans", "ko": "ko", "vi": "vi"}
# 2027-06-05, a Saturday, as each language writes it on the booking page.
BOOTH_DAY = {
    "ja": "2027年6月5日（土）",
    "en": "Sat, 5 June 2027",
    "ja-easy": "2027年6月5日（土）",
    "zh-hans": "2027年6月5日 周六",
    "ko": "2027년 6월 5일 (토)",
    "vi": "Thứ Bảy, 5 tháng 6, 2027",
}


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


def shown(message: str, code: str) -> str:
    """A message as a reader sees it on the page (furigana read after their kanji)."""
    with using_locale(code):
        return BeautifulSoup(markup_gettext(message), "html.parser").get_text()


@pytest.mark.parametrize("code", LOCALES)
async def test_the_home_page_speaks_the_chosen_language(client, code):
    booth = await publish_booth()
    await client.get(f"/lang/{code}?next=/")
    response = await client.get("/")
    page = soup(response)
    assert page.html["lang"] == HTML_LANG[code]
    assert "&lt;ruby" not in response.text and "<ruby>" not in page.title.get_text()
    if code == "ja-easy":  # furigana on the kanji: 申請 read しんせい
        furigana = [(r.contents[0], r.rt.get_text()) for r in page.h1.select("ruby")]
        assert furigana[:2] == [("申請", "しんせい"), ("手伝", "てつだ")]
    assert page.h1.get_text() == shown("My Number Card application support booths", code)
    assert shown("Search", code) in page.get_text()
    if code != "en":
        assert "Search" not in [b.get_text(strip=True) for b in page.select("button")]
    booth_page = soup(await client.get(f"/booths/{booth['session']}"))
    assert booth_page.html["lang"] == HTML_LANG[code]
    assert shown("Before you come: will this visit work for you?", code) in booth_page.get_text()
    assert BOOTH_DAY[code] in booth_page.get_text()


@pytest.mark.parametrize("code", LOCALES)
async def test_a_booking_is_confirmed_in_the_chosen_language(client, code):
    booth = await publish_booth()
    await client.get(f"/lang/{code}?next=/")
    form_page = await client.get(f"/booths/{booth['session']}/book", params={"slot": booth["slots"][0]["id"]})
    form = soup(form_page)
    assert form.html["lang"] == HTML_LANG[code]
    assert form.select_one(f"input[name=language][value='{code}']").has_attr("checked")  # emails follow the page
    response = await client.post(
        f"/booths/{booth['session']}/book",
        data={
            "_csrf_token": csrf_token(form_page.text),
            "form_token": form.find("input", {"name": "form_token"})["value"],
            "slot": str(booth["slots"][0]["id"]),
            "name_kana": "グエン ヴァン アン",
            "email": "an@example.jp",
            "party_size": "2",
            "language": code,
            "src": "",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = soup(await client.get(response.headers["location"]))
    assert page.select_one(".notice--success strong").get_text() == shown("Your booking is confirmed.", code)
    assert BOOTH_DAY[code] in page.get_text()
    mail = await OutboxMessage.select().where(OutboxMessage.recipient == "an@example.jp").first()
    with using_locale(code):
        subject = gettext("[My Number Card] Your booking {code}")
    assert mail["subject"].startswith(subject.split("{code}")[0])
    assert "<ruby>" not in mail["body"] and "<rt>" not in mail["body"]  # plain-text email: furigana in brackets
    code_in_url = urlsplit(response.headers["location"]).path.rsplit("/", 1)[1]
    token = urlsplit(response.headers["location"]).query.split("token=")[1].split("&")[0]
    slip = await client.get(f"/bookings/{code_in_url}/slip.pdf", params={"token": token})
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")


def test_numbers_are_written_the_way_each_language_writes_them():
    from portal.web.templating import format_number

    written = {}
    for code in LOCALES:
        with using_locale(code):
            written[code] = format_number(1234.56, "#,##0.0")
    assert written == {
        "ja": "1,234.6",
        "en": "1,234.6",
        "ja-easy": "1,234.6",
        "zh-hans": "1,234.6",
        "ko": "1,234.6",
        "vi": "1.234,6",
    }
