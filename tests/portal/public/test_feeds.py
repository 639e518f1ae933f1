"""The venue's calendar feed over HTTP (DESIGN §5 ``GET /venues/{venue_id}/calendar.ics?token=``): it parses with
icalendar and with an independent strict RFC 5545 reader written here, holds the venue's booths only, with the
Asia/Tokyo VTIMEZONE; a wrong or rotated token is a 404; the venue page shows the address and the rotate button to
the roles that edit venues."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from icalendar import Calendar

from booking.bookings import BookingRequest, create_booking
from core import clock
from core.tables import AuditEvent, Role
from planner.booth_uid import booth_uid
from planner.tables import SessionState
from tests.booking.factories import publish_booth
from tests.conftest import post_form
from tests.venues.factories import make_venue
from venues.feeds import feed_token

NOW = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(NOW):
        yield


# --- an independent, strict reader of RFC 5545 ---------------------------------------------------------------------

NAME = re.compile(r"[A-Za-z0-9-]+")
SAFE_CHAR = re.compile(r'[^\x00-\x08\x0a-\x1f\x7f";:,]*')  # param-value without quotes
QSAFE_CHAR = re.compile(r'[^\x00-\x08\x0a-\x1f\x7f"]*')
TEXT_PROPERTIES = {"SUMMARY", "DESCRIPTION", "LOCATION", "X-WR-CALNAME", "COMMENT"}


@dataclass
class Prop:
    name: str
    params: dict[str, list[str]]
    value: str

    def text(self) -> str:
        """The value of a TEXT property, unescaped (RFC 5545 §3.3.11)."""
        return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), self.value)


@dataclass
class Component:
    name: str
    props: list[Prop] = field(default_factory=list)
    children: list[Component] = field(default_factory=list)

    def all(self, name: str) -> list[Prop]:
        return [p for p in self.props if p.name == name]

    def one(self, name: str) -> Prop:
        found = self.all(name)
        assert len(found) == 1, f"{self.name} must have exactly one {name}, has {len(found)}"
        return found[0]

    def sub(self, name: str) -> list[Component]:
        return [c for c in self.children if c.name == name]


def parse_content_line(line: str) -> Prop:
    match = NAME.match(line)
    assert match, f"no property name: {line!r}"
    name, rest = match.group(0).upper(), line[match.end() :]
    params: dict[str, list[str]] = {}
    while rest.startswith(";"):
        match = NAME.match(rest, 1)
        assert match and rest[match.end() : match.end() + 1] == "=", f"bad parameter in {line!r}"
        param, rest = match.group(0).upper(), rest[match.end() + 1 :]
        values = []
        while True:
            if rest.startswith('"'):
                match = QSAFE_CHAR.match(rest, 1)
                assert rest[match.end() : match.end() + 1] == '"', f"unterminated quoted value in {line!r}"
                values.append(match.group(0))
                rest = rest[match.end() + 1 :]
            else:
                match = SAFE_CHAR.match(rest)
                values.append(match.group(0))
                rest = rest[match.end() :]
            if not rest.startswith(","):
                break
            rest = rest[1:]
        assert param not in params, f"parameter {param} twice in {line!r}"
        params[param] = values
    assert rest.startswith(":"), f"no ':' after the name and parameters: {line!r}"
    value = rest[1:]
    assert not re.search(r"[\x00-\x08\x0a-\x1f\x7f]", value), f"control character in {line!r}"
    if name in TEXT_PROPERTIES:
        assert not re.search(r"(?<!\\)(?:\\\\)*[;,]", value), f"unescaped ; or , in TEXT: {line!r}"
        assert not re.search(r"\\[^\\;,nN]", value), f"bad escape in TEXT: {line!r}"
    return Prop(name, params, value)


def strict_parse(data: bytes) -> Component:
    """Parse an iCalendar stream, failing on anything RFC 5545 does not allow: lines not ending in CRLF, lines longer
    than 75 octets, a fold that splits a UTF-8 character, bad names, parameters or escapes, BEGIN/END that do not
    nest, more than one top-level object, a missing PRODID/VERSION or UID/DTSTAMP, a TZID with no VTIMEZONE."""
    assert data.endswith(b"\r\n"), "the stream must end with CRLF"
    physical = data[:-2].split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in physical), "bare CR or LF"
    logical: list[bytes] = []
    for line in physical:
        assert len(line) <= 75, f"line longer than 75 octets ({len(line)}): {line[:40]!r}..."
        try:
            line.decode("utf-8")  # each physical line is whole UTF-8: no fold inside a character
        except UnicodeDecodeError as exc:
            raise AssertionError(f"a line that is not whole UTF-8 (a fold inside a character?): {line!r}") from exc
        if line[:1] in (b" ", b"\t"):
            assert logical, "a continuation line cannot come first"
            logical[-1] += line[1:]
        else:
            logical.append(line)
    stack: list[Component] = []
    roots: list[Component] = []
    for raw in logical:
        prop = parse_content_line(raw.decode("utf-8"))
        if prop.name == "BEGIN":
            assert prop.params == {} and NAME.fullmatch(prop.value), f"bad BEGIN: {prop}"
            component = Component(prop.value.upper())
            (stack[-1].children if stack else roots).append(component)
            stack.append(component)
        elif prop.name == "END":
            assert stack and stack[-1].name == prop.value.upper(), f"END:{prop.value} does not close {stack[-1:]}"
            stack.pop()
        else:
            assert stack, f"property outside any component: {prop.name}"
            stack[-1].props.append(prop)
    assert not stack, f"unclosed: {[c.name for c in stack]}"
    assert len(roots) == 1 and roots[0].name == "VCALENDAR", "exactly one VCALENDAR"
    calendar = roots[0]
    calendar.one("PRODID")
    assert calendar.one("VERSION").value == "2.0"
    zones = {zone.one("TZID").value for zone in calendar.sub("VTIMEZONE")}
    for event in calendar.sub("VEVENT"):
        event.one("UID")
        assert re.fullmatch(r"\d{8}T\d{6}Z", event.one("DTSTAMP").value), "DTSTAMP must be UTC"
        for prop in event.props:
            for tzid in prop.params.get("TZID", []):
                assert tzid in zones, f"{prop.name} names TZID {tzid} without a VTIMEZONE"
    return calendar


def test_the_strict_reader_refuses_what_rfc_5545_does_not_allow():
    good = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a\r\n"
        b"DTSTAMP:20270601T000000Z\r\nSUMMARY:a\\, b\r\n  c\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert strict_parse(good).sub("VEVENT")[0].one("SUMMARY").text() == "a, b c"
    for bad in (
        good.replace(b"\r\n", b"\n"),  # bare LF
        good.replace(b"SUMMARY:a\\, b", b"SUMMARY:a, b"),  # unescaped comma in TEXT
        good.replace(b"END:VEVENT\r\n", b""),  # unbalanced
        good.replace(b"UID:a\r\n", b""),  # no UID
        good.replace(b"SUMMARY:a\\, b", b"SUMMARY:" + b"x" * 80),  # over 75 octets
        good.replace(b"SUMMARY:a\\, b", "SUMMARY:あ".encode()[:-1] + b"\r\n " + "あ".encode()[-1:]),  # split char
        good.replace(b"UID:a", b"UID;TZID=Nowhere:a"),  # TZID without VTIMEZONE
        good.replace(b"UID:a", b'UID;X-P="open:a'),  # unterminated quote
    ):
        with pytest.raises(AssertionError):
            strict_parse(bad)


# --- the feed ------------------------------------------------------------------------------------------------------


def feed_path(venue: dict, token: str) -> str:
    return f"/venues/{venue['venue_id']}/calendar.ics?token={token}"


async def booths_at(venue: dict) -> list[dict]:
    return [await publish_booth(dt.date(2027, 6, day), venue=venue) for day in (5, 12, 19)]


async def test_the_feed_parses_strictly_and_holds_this_venues_booths_in_tokyo_time(client):
    venue = await make_venue(name="泉野図書館", address="石川県金沢市泉野出町3丁目8-1")
    booths = await booths_at(venue)
    await publish_booth(dt.date(2027, 6, 6), venue=await make_venue(name="よその公民館"))
    slot = booths[0]["slots"][0]["id"]
    await create_booking(BookingRequest(slot_id=slot, name_kana="カナザワ タロウ", phone="09012345678", party_size=2))
    response = await client.get(feed_path(venue, await feed_token(venue["venue_id"])))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"].replace(" ", "") == "private,max-age=300"
    assert response.headers["etag"]

    strict = strict_parse(response.content)
    assert strict.one("METHOD").value == "PUBLISH"
    assert "泉野図書館" in strict.one("X-WR-CALNAME").text()
    assert strict.one("X-WR-TIMEZONE").value == "Asia/Tokyo"
    refresh = strict.one("REFRESH-INTERVAL")
    assert (refresh.params, refresh.value) == ({"VALUE": ["DURATION"]}, "PT1H")
    assert strict.one("X-PUBLISHED-TTL").value == "PT1H"
    (zone,) = strict.sub("VTIMEZONE")
    assert zone.one("TZID").value == "Asia/Tokyo" and zone.sub("STANDARD")[0].one("TZOFFSETTO").value == "+0900"
    events = strict.sub("VEVENT")
    assert [e.one("DTSTART").value for e in events] == ["20270605T100000", "20270612T100000", "20270619T100000"]
    assert all(e.one("DTSTART").params == {"TZID": ["Asia/Tokyo"]} for e in events)
    assert all(e.one("DTEND").value.endswith("T170000") for e in events)
    assert [e.one("UID").value for e in events] == [await booth_uid(b["session"]) for b in booths]
    assert {e.one("STATUS").value for e in events} == {"CONFIRMED"}
    assert [e.one("SEQUENCE").value for e in events] == ["0", "0", "0"]
    assert "泉野図書館" in events[0].one("LOCATION").text() and "泉野出町" in events[0].one("LOCATION").text()
    description = events[0].one("DESCRIPTION").text()
    assert "1" in description and "2" in description  # one booking, two people
    assert "カナザワ" not in response.text and "09012345678" not in response.text

    calendar = Calendar.from_ical(response.content)  # and the reference library reads the same
    parsed = calendar.walk("VEVENT")
    assert len(parsed) == 3 and str(calendar["X-WR-TIMEZONE"]) == "Asia/Tokyo"
    start = parsed[0].decoded("DTSTART")
    assert start.utcoffset() == dt.timedelta(hours=9) and start.replace(tzinfo=None) == dt.datetime(2027, 6, 5, 10)
    assert str(parsed[0]["UID"]) == await booth_uid(booths[0]["session"])


async def test_a_cancelled_booth_stays_in_the_feed_marked_cancelled(client):
    venue = await make_venue()
    cancelled = await publish_booth(dt.date(2027, 6, 9), venue=venue, state=SessionState.cancelled.value)
    await publish_booth(dt.date(2027, 6, 16), venue=venue)
    response = await client.get(feed_path(venue, await feed_token(venue["venue_id"])))
    events = strict_parse(response.content).sub("VEVENT")
    by_uid = {e.one("UID").value: e for e in events}
    gone = by_uid[await booth_uid(cancelled["session"])]
    assert gone.one("STATUS").value == "CANCELLED" and gone.one("SEQUENCE").value == "1"
    assert [e.one("STATUS").value for e in events] == ["CANCELLED", "CONFIRMED"]
    english = await client.get(feed_path(venue, await feed_token(venue["venue_id"])) + "&lang=en")
    assert "Cancelled" in strict_parse(english.content).sub("VEVENT")[0].one("SUMMARY").text()


async def test_a_venue_without_booths_still_gets_a_valid_feed_with_its_timezone(client):
    venue = await make_venue()
    response = await client.get(feed_path(venue, await feed_token(venue["venue_id"])))
    calendar = strict_parse(response.content)
    assert calendar.sub("VEVENT") == [] and calendar.sub("VTIMEZONE")[0].one("TZID").value == "Asia/Tokyo"


async def test_an_unchanged_feed_is_a_304(client):
    venue = await make_venue()
    await booths_at(venue)
    path = feed_path(venue, await feed_token(venue["venue_id"]))
    first = await client.get(path)
    again = await client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert (await client.get(path, headers={"If-None-Match": 'W/"other"'})).status_code == 200


async def test_a_wrong_missing_or_unissued_token_and_an_unknown_venue_are_404(client):
    venue = await make_venue()
    unissued = await client.get(feed_path(venue, ""))
    assert unissued.status_code == 404
    token = await feed_token(venue["venue_id"])
    for path in (
        feed_path(venue, token[:-1] + ("A" if token[-1] != "A" else "B")),
        f"/venues/{venue['venue_id']}/calendar.ics",
        feed_path({"venue_id": "NOPE"}, token),
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "BEGIN:VCALENDAR" not in response.text


def page_soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


async def test_staff_rotate_the_token_and_the_old_address_stops_working(client, signed_in):
    await signed_in(Role.contractor_staff)
    venue = await make_venue()
    await booths_at(venue)
    page_url = f"/staff/venues/v/{venue['venue_id']}"
    page = page_soup(await client.get(page_url))
    old = page.find(id="feed-https").get_text(strip=True)
    webcal = page.find(id="feed-webcal")["href"]
    assert old.startswith("http://127.0.0.1:8000/venues/") and webcal == "webcal://" + old.split("://", 1)[1]
    old_path = urlsplit(old).path + "?" + urlsplit(old).query
    assert (await client.get(old_path)).status_code == 200
    assert page.select_one("form[action$='/feed/rotate'] button")

    rotated = await post_form(client, page_url, f"{page_url}/feed/rotate", {})
    assert rotated.status_code == 200
    page = page_soup(rotated)
    assert page.find(role="status") is not None
    new = page.find(id="feed-https").get_text(strip=True)
    assert new != old
    assert (await client.get(old_path)).status_code == 404
    assert (await client.get(urlsplit(new).path + "?" + urlsplit(new).query)).status_code == 200
    assert await AuditEvent.count().where(AuditEvent.action == "venue.feed_token_rotated") == 1


@pytest.mark.parametrize(
    "role, sees",
    [(Role.contractor_staff, True), (Role.contractor_lead, True), (Role.admin, True), (Role.city_reviewer, False)],
)
async def test_only_venue_editors_see_the_address_and_may_rotate(client, signed_in, role, sees):
    await signed_in(role)
    venue = await make_venue()
    page_url = f"/staff/venues/v/{venue['venue_id']}"
    page = page_soup(await client.get(page_url))
    assert (page.find(id="feed") is not None) is sees
    assert (page.select_one("form[action$='/feed/rotate']") is not None) is sees
    response = await post_form(client, page_url, f"{page_url}/feed/rotate", {}, follow_redirects=False)
    assert response.status_code == (303 if sees else 403)


async def test_rotating_needs_a_signed_in_editor_and_the_csrf_token(client, signed_in):
    venue = await make_venue()
    action = f"/staff/venues/v/{venue['venue_id']}/feed/rotate"
    assert (await client.post(action, follow_redirects=False)).status_code in (303, 403)  # no sign-in, no CSRF
    await signed_in(Role.contractor_staff)
    assert (await client.post(action, follow_redirects=False)).status_code == 403  # no CSRF token
    assert await AuditEvent.count().where(AuditEvent.action == "venue.feed_token_rotated") == 0
