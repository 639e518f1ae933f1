"""The publicity pages as staff use them: placements with their QR targets and flyer links (contractor staff), the
results with a chart, tables and CSV (staff and city reviewers); and a resident who comes from a poster's QR code."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import parse_qs, urlsplit

import pytest

from booking.placements import PlacementInput, create_placement
from booking.tables import Booking, Placement
from core import clock
from core.tables import AuditEvent, Role
from tests.booking.factories import publish_booth
from tests.conftest import csrf_token, post_form, soup
from tests.venues.factories import make_venue

BEFORE = dt.datetime(2027, 6, 1, 9, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(BEFORE):
        yield


async def create(client, **fields):
    form = {"name": "イオン金沢店 掲示板", "kind": "poster", "code": "aeon", "venue": "", "notes": ""}
    form.update(fields)
    return await post_form(client, "/staff/placements/new", "/staff/placements/new", form, follow_redirects=False)


async def book_from(client, booth_href: str, slot_index: int = 0, phone: str = "090-1234-5678"):
    """Follow a booth link as a resident: booth page, a slot, the form, submit. Returns the POST's response."""
    booth_page = soup(await client.get(booth_href))
    slot_href = booth_page.select("a.slot--open")[slot_index]["href"]
    form_page = await client.get(slot_href)
    form = soup(form_page).select_one("form.booking-form")
    data = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
    data.update(
        {
            "slot": form.select_one("input[name=slot][checked]")["value"],
            "name_kana": "かなざわ はなこ",
            "phone": phone,
            "party_size": "2",
            "language": "ja",
        }
    )
    return await client.post(form["action"], data=data, follow_redirects=False)


async def test_staff_create_a_placement_and_see_its_qr_targets_and_flyer_links(client, signed_in):
    actor = await signed_in(Role.contractor_staff)
    venue = await make_venue(name="イオン金沢店")
    booth = await publish_booth(dt.date(2027, 6, 5), venue=venue)
    other = await publish_booth(dt.date(2027, 7, 10))
    response = await create(client, venue=str(venue["id"]), notes="2階 エレベーター前")
    assert response.status_code == 303
    detail = await client.get(response.headers["location"])
    page = soup(detail)
    assert page.select_one("#placement-code").get_text() == "aeon"
    assert page.select_one("#home-url")["href"] == "http://127.0.0.1:8000/?src=aeon"
    assert page.select_one(".qr svg") is not None
    targets = [a["href"] for a in page.select("#booth-targets td a[href*='/booths/']")]
    assert targets == [
        f"http://127.0.0.1:8000/booths/{booth['session']}?src=aeon",
        f"http://127.0.0.1:8000/booths/{other['session']}?src=aeon",
    ]
    flyers = [a["href"] for a in page.select("#booth-targets a[href$='placement=aeon']")]
    assert flyers == [
        f"/sessions/{booth['session']}/flyer.pdf?placement=aeon",
        f"/sessions/{other['session']}/flyer.pdf?placement=aeon",
    ]
    assert [a["href"] for a in page.select("#monthly-flyers a")] == [
        "/flyers/2027-06.pdf?placement=aeon",
        "/flyers/2027-07.pdf?placement=aeon",
    ]
    assert page.select_one("#booth-targets .tag") is not None  # the first booth is at the poster's venue
    listing = soup(await client.get("/staff/placements"))
    assert [a.get_text() for a in listing.select("table.data-table tbody td a")] == ["イオン金沢店 掲示板"]
    event = await AuditEvent.select().where(AuditEvent.action == "placement.created").first()
    assert event["actor_name"] == actor.username


async def test_an_empty_code_is_generated(client, signed_in):
    await signed_in(Role.contractor_lead)
    response = await create(client, code="")
    assert response.status_code == 303
    (placement,) = await Placement.select(Placement.code)
    assert placement["code"].startswith("p-")


async def test_errors_are_shown_next_to_their_fields_and_the_input_is_kept(client, signed_in):
    await signed_in(Role.contractor_staff)
    assert (await create(client)).status_code == 303
    duplicate = await create(client, name="別のポスター", code="AEON")
    assert duplicate.status_code == 422
    page = soup(duplicate)
    assert page.find(id="p-code")["aria-invalid"] == "true" and "AEON" in page.find(id="p-code-error").get_text()
    assert page.find(id="p-name")["value"] == "別のポスター" and page.find(role="alert")
    bad = soup(await create(client, name="", code="イオン 1"))
    assert bad.find(id="p-code")["aria-invalid"] == "true" and bad.find(id="p-code-error")
    assert bad.find(id="p-name")["aria-invalid"] == "true" and bad.find(id="p-name-error")
    assert bad.find(id="p-kind").get("aria-invalid") is None
    assert await Placement.count() == 1


async def test_edit_keeps_the_code_and_deactivate(client, signed_in):
    await signed_in(Role.admin)
    placement = await create_placement(None, PlacementInput(name="公民館だより", kind="newsletter", code="news"))
    url = f"/staff/placements/{placement['id']}"
    edit_page = soup(await client.get(f"{url}/edit"))
    assert edit_page.find(id="p-code").has_attr("readonly")
    bad = await post_form(client, f"{url}/edit", f"{url}/edit", {"name": "", "kind": "newsletter", "code": "news"})
    assert bad.status_code == 422 and soup(bad).find(id="p-name-error")
    done = await post_form(
        client,
        f"{url}/edit",
        f"{url}/edit",
        {"name": "公民館だより 10月号", "kind": "newsletter", "code": "changed", "venue": ""},
        follow_redirects=False,
    )
    assert done.status_code == 303
    saved = await Placement.select().where(Placement.id == placement["id"]).first()
    assert (saved["name"], saved["code"]) == ("公民館だより 10月号", "news")
    await post_form(client, url, f"{url}/deactivate", {})
    assert (await Placement.select(Placement.active).where(Placement.id == placement["id"]).first())["active"] is False
    assert len(soup(await client.get(url)).select("ul.history li")) == 3  # created, edited, deactivated


async def test_a_city_reviewer_reads_the_results_but_cannot_manage_placements(client, signed_in):
    await signed_in(Role.city_reviewer)
    results = await client.get("/staff/publicity")
    assert results.status_code == 200
    nav = [a["href"] for a in soup(results).select(".staff-nav a")]
    assert "/staff/publicity" in nav and "/staff/placements" not in nav
    assert (await client.get("/staff/placements")).status_code == 403
    assert (await client.get("/staff/placements/new")).status_code == 403
    token = csrf_token(results.text)  # the sign-out form's
    refused = await client.post("/staff/placements/new", data={"name": "x", "kind": "poster", "_csrf_token": token})
    assert refused.status_code == 403 and await Placement.count() == 0
    assert (await client.get("/staff/publicity/placements.csv")).status_code == 200


async def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = await client.get("/staff/publicity", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


async def test_a_form_without_its_csrf_token_is_refused(client, signed_in):
    await signed_in(Role.contractor_staff)
    response = await client.post("/staff/placements/new", data={"name": "x", "kind": "poster", "code": "x"})
    assert response.status_code == 403 and await Placement.count() == 0


async def test_a_booking_from_a_poster_qr_on_the_home_page_counts_for_its_placement(client, signed_in):
    await create_placement(None, PlacementInput(name="イオン金沢店 掲示板", kind="poster", code="aeon"))
    booth = await publish_booth(dt.date(2027, 6, 5), capacity=4)
    home = soup(await client.get("/", params={"src": "aeon"}))
    link = home.select_one(".booth-card a")["href"]
    assert link == f"/booths/{booth['session']}?src=aeon"
    assert home.select_one("form.search input[name=src]")["value"] == "aeon"  # a search keeps the code
    response = await book_from(client, link)
    assert response.status_code == 303, response.text
    (booking,) = await Booking.select(Booking.source, Booking.code)
    assert booking["source"] == "aeon"
    # a resident who follows a booth QR straight to the booth page
    direct_qr = await book_from(client, f"/booths/{booth['session']}?src=aeon", slot_index=1, phone="080-1111-2222")
    assert direct_qr.status_code == 303
    # and one who just typed the address
    plain = soup(await client.get("/")).select_one(".booth-card a")["href"]
    assert plain == f"/booths/{booth['session']}"
    assert (await book_from(client, plain, slot_index=2, phone="080-3333-4444")).status_code == 303

    await signed_in(Role.city_reviewer)
    page = soup(await client.get("/staff/publicity"))
    row = page.select_one("#placement-results tr[data-code=aeon]")
    assert row.select_one("[data-column=bookings]").get_text() == "2"
    assert row.select_one("[data-column=people]").get_text() == "4"
    assert page.select_one("#placement-results tr[data-code='']").select_one("[data-column=bookings]").get_text() == "1"
    booth_row = page.select_one(f"#booth-results tr[data-session='{booth['session']}']")
    assert booth_row.select_one("td[data-code=aeon]").get_text() == "2"
    assert booth_row.select_one("[data-column=total]").get_text() == "3"
    bars = {rect["data-code"]: rect for rect in page.select("svg#chart rect")}
    assert float(bars["aeon"]["width"]) > float(bars[""]["width"]) > 0
    assert page.select_one("svg#chart")["role"] == "img" and page.select_one("svg#chart title")


async def test_a_malformed_src_is_dropped_from_the_links(client):
    booth = await publish_booth()
    home = soup(await client.get("/", params={"src": '"><script>alert(1)</script>'}))
    assert home.select_one(".booth-card a")["href"] == f"/booths/{booth['session']}"
    assert home.select_one("form.search input[name=src]") is None
    booth_page = soup(await client.get(f"/booths/{booth['session']}", params={"src": "a b"}))
    assert "src" not in parse_qs(urlsplit(booth_page.select_one("a.slot--open")["href"]).query)


async def test_results_filter_by_period_and_show_date_errors_next_to_the_fields(client, signed_in):
    await signed_in(Role.contractor_staff)
    bad = await client.get("/staff/publicity", params={"date_from": "5月1日", "date_to": "2027-05-01"})
    assert bad.status_code == 422
    page = soup(bad)
    assert page.find(id="r-date_from")["aria-invalid"] == "true" and page.find(id="r-date_from-error")
    reversed_ = soup(await client.get("/staff/publicity", params={"date_from": "2027-06-01", "date_to": "2027-05-01"}))
    assert reversed_.find(id="r-date_to-error")
    booth = await publish_booth(dt.date(2027, 6, 5))
    await create_placement(None, PlacementInput(name="LINE", kind="social", code="line"))
    await Booking.insert(
        Booking(
            code="TESTCODE00000001",
            slot=booth["slots"][0]["id"],
            session=booth["session"],
            name_kana="カナ",
            phone="09000000000",
            source="line",
            created_at=dt.datetime(2027, 5, 10, 12, tzinfo=clock.JST),
        )
    )
    in_may = soup(await client.get("/staff/publicity", params={"date_from": "2027-05-01", "date_to": "2027-05-31"}))
    assert in_may.select_one("#placement-results tr[data-code=line] [data-column=bookings]").get_text() == "1"
    in_april = soup(await client.get("/staff/publicity", params={"date_from": "2027-04-01", "date_to": "2027-04-30"}))
    assert in_april.select_one("#placement-results tr[data-code=line] [data-column=bookings]").get_text() == "0"
    by_booth = soup(await client.get("/staff/publicity", params={"date_from": "2027-06-05", "basis": "booth"}))
    assert by_booth.select_one("#r-basis option[selected]")["value"] == "booth"
    assert by_booth.select_one("#booth-results tbody tr")["data-session"] == str(booth["session"])


async def test_results_download_as_csv_safe_for_excel(client, signed_in):
    await signed_in(Role.contractor_staff)
    booth = await publish_booth(dt.date(2027, 6, 5), name="テスト公民館")
    await create_placement(None, PlacementInput(name='=HYPERLINK("http://evil.example")', kind="web", code="web"))
    for index, source in enumerate(["web", "web", "", "-cmd"]):
        await Booking.insert(
            Booking(
                code=f"TESTCODE0000000{index}",
                slot=booth["slots"][0]["id"],
                session=booth["session"],
                name_kana="カナ",
                phone=f"0900000000{index}",
                party_size=2,
                source=source,
            )
        )
    page = soup(await client.get("/staff/publicity", params={"date_from": "2020-01-01"}))
    href = page.select_one("#csv-placements")["href"]
    assert "date_from=2020-01-01" in href
    response = await client.get(href)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows[0]) == 9
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["web"][1] == '\'=HYPERLINK("http://evil.example")' and by_code["web"][3:5] == ["2", "4"]
    assert by_code["'-cmd"][3] == "1"  # a code that is no placement, escaped like any formula
    assert by_code[""][3] == "1"
    booths = await client.get(page.select_one("#csv-booths")["href"])
    matrix = list(csv.reader(io.StringIO(booths.content.decode("utf-8-sig"))))
    assert matrix[1][:3] == ["2027-06-05", "10:00", "テスト公民館"] and matrix[1][-1] == "4"
    assert matrix[0][3] == '\'=HYPERLINK("http://evil.example")'
    sjis = await client.get("/staff/publicity/placements.csv", params={"encoding": "cp932"})
    assert "shift_jis" in sjis.headers["content-type"] and sjis.content.decode("cp932")
