"""The booth-day pages as staff use them: the list of days with what is entered, one day's booths with their results
forms and the in-office counts, errors next to the fields, read-only for city reviewers; the learned yields page."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.results import save_results
from booking.tables import BoothResult, OfficeCount
from core import clock
from core.tables import Role
from tests.booking.factories import publish_booth
from tests.conftest import csrf_token, post_form, soup

TODAY = dt.date(2027, 6, 12)
NOW = dt.datetime(2027, 6, 12, 18, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def fixed_time():
    with clock.frozen(NOW):
        yield


def day_url(date: dt.date) -> str:
    return f"/staff/days/{date.isoformat()}"


async def test_the_list_shows_booth_days_of_this_and_last_month_newest_first(client, signed_in):
    await signed_in(Role.contractor_staff)
    done = await publish_booth(dt.date(2027, 5, 22), name="緑が丘公民館")
    await publish_booth(TODAY)
    await publish_booth(dt.date(2027, 6, 26))
    await publish_booth(dt.date(2027, 4, 24))  # two months ago: not listed
    await BoothResult.insert(BoothResult(session=done["session"], applications=8))
    page = soup(await client.get("/staff/days"))
    rows = page.select("tr.booth-day")
    links = [row.select_one("a")["href"] for row in rows]
    assert links == [day_url(dt.date(2027, 6, 26)), day_url(TODAY), day_url(dt.date(2027, 5, 22))]
    marks = [row.select_one(".results-mark").get_text(" ", strip=True) for row in rows]
    assert "✓" in marks[2] and "✓" not in marks[1] and "✓" not in marks[0]
    assert page.select_one("label[for=open-date]") is not None


async def test_opening_another_date_goes_to_its_page_and_a_bad_date_is_explained(client, signed_in):
    await signed_in(Role.contractor_staff)
    response = await client.get("/staff/days", params={"date": "2027-03-03"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == day_url(dt.date(2027, 3, 3))
    response = await client.get("/staff/days", params={"date": "3月3日"})
    assert response.status_code == 422
    field = soup(response).select_one("#open-date")
    assert field["aria-invalid"] == "true"
    assert soup(response).select_one(f"#{field['aria-describedby']}").get_text(strip=True)


async def test_staff_enter_a_booths_results_and_see_them_confirmed(client, signed_in):
    await signed_in(Role.contractor_staff)
    booth = await publish_booth(TODAY, name="緑が丘公民館", start=dt.time(10), end=dt.time(13))
    page = soup(await client.get(day_url(TODAY)))
    form = page.select_one(f"#booth-{booth['session']} form")
    assert form.select_one("input[name=_csrf_token]") is not None
    hours = [i["name"] for i in form.select("input[name^=hour_]")]
    assert hours == ["hour_10", "hour_11", "hour_12"]
    for field in form.select("input:not([type=hidden]), textarea"):
        assert page.select_one(f"label[for={field['id']}]") is not None, field["name"]
    assert page.select_one("#office form") is not None
    response = await post_form(
        client,
        day_url(TODAY),
        form["action"],
        {
            "applications": "",
            "hour_10": "2",
            "hour_11": "5",
            "hour_12": "1",
            "photos": "6",
            "inquiries": "15",
            "notes": "雨で来場が少なめ",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"{day_url(TODAY)}?saved=booth-{booth['session']}")
    confirmed = soup(await client.get(response.headers["location"]))
    assert confirmed.select_one("[role=status]#saved-notice") is not None
    section = confirmed.select_one(f"#booth-{booth['session']}")
    assert section.select_one("input[name=applications]")["value"] == "8"
    assert section.select_one("input[name=hour_11]")["value"] == "5"
    assert section.select_one("textarea[name=notes]").get_text() == "雨で来場が少なめ"
    row = await BoothResult.select().first()
    assert (row["applications"], row["photos"], row["inquiries"]) == (8, 6, 15)


async def test_wrong_counts_are_shown_next_to_their_fields_and_nothing_is_saved(client, signed_in):
    await signed_in(Role.contractor_lead)
    booth = await publish_booth(TODAY)
    key = f"booth-{booth['session']}"
    response = await post_form(
        client,
        day_url(TODAY),
        f"{day_url(TODAY)}/booths/{booth['session']}",
        {"applications": "-2", "photos": "たくさん", "inquiries": "3"},
    )
    assert response.status_code == 422
    page = soup(response)
    summary = page.select_one("#error-summary[role=alert]")
    assert {a["href"] for a in summary.select("a")} == {f"#{key}-applications", f"#{key}-photos"}
    for name in ("applications", "photos"):
        field = page.select_one(f"#{key}-{name}")
        assert field["aria-invalid"] == "true"
        error = page.select_one(f"#{field['aria-describedby'].split()[0]}")
        assert "field-error" in error["class"] and error.get_text(strip=True)
    assert page.select_one(f"#{key}-photos")["value"] == "たくさん"  # what was typed stays for correction
    assert page.select_one(f"#{key}-inquiries").get("aria-invalid") is None
    assert await BoothResult.count() == 0


async def test_the_hour_counts_must_add_up(client, signed_in):
    await signed_in(Role.contractor_staff)
    booth = await publish_booth(TODAY)
    response = await post_form(
        client, day_url(TODAY), f"{day_url(TODAY)}/booths/{booth['session']}", {"applications": "10", "hour_10": "3"}
    )
    assert response.status_code == 422
    error = soup(response).select_one(f"#booth-{booth['session']}-applications-error")
    assert "3" in error.get_text() and "10" in error.get_text()


async def test_in_office_counts_are_entered_and_corrected_on_the_day_page(client, signed_in):
    await signed_in(Role.admin)
    url = day_url(TODAY)
    response = await post_form(
        client, url, f"{url}/office", {"card_handovers": "25", "phone_calls": "9"}, follow_redirects=False
    )
    assert response.status_code == 303 and "saved=office" in response.headers["location"]
    response = await post_form(client, url, f"{url}/office", {"card_handovers": "26", "phone_calls": "-1"})
    assert response.status_code == 422
    assert soup(response).select_one("#office-phone_calls")["aria-invalid"] == "true"
    await post_form(client, url, f"{url}/office", {"card_handovers": "26", "phone_calls": "9"})
    rows = await OfficeCount.select()
    assert [(r["card_handovers"], r["phone_calls"], r["pin_resets"]) for r in rows] == [(26, 9, 0)]
    page = soup(await client.get(url))
    assert page.select_one("#office-card_handovers")["value"] == "26"


async def test_future_days_show_no_forms(client, signed_in):
    await signed_in(Role.contractor_staff)
    await publish_booth(dt.date(2027, 6, 26))
    page = soup(await client.get(day_url(dt.date(2027, 6, 26))))
    assert page.select("form[action*='/booths/']") == [] and page.select_one("#office form") is None
    assert "当日から入力できます" in page.get_text()  # the page says why (in Japanese, the default language)


async def test_city_reviewers_read_the_results_but_cannot_change_them(client, signed_in):
    booth = await publish_booth(TODAY, name="緑が丘公民館")
    await BoothResult.insert(
        BoothResult(session=booth["session"], applications=11, photos=4, inquiries=7, applications_by_hour={"10": 11})
    )
    await signed_in(Role.city_reviewer)
    response = await client.get(day_url(TODAY))
    assert response.status_code == 200
    page = soup(response)
    section = page.select_one(f"#booth-{booth['session']}")
    assert section.select("form") == []
    assert "11" in section.get_text() and "緑が丘公民館" in section.get_text()
    token = csrf_token((await client.get("/staff/venues")).text)
    response = await client.post(
        f"{day_url(TODAY)}/booths/{booth['session']}", data={"applications": "99", "_csrf_token": token}
    )
    assert response.status_code == 403
    assert (await BoothResult.select().first())["applications"] == 11


async def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = await client.get("/staff/days", follow_redirects=False)
    assert response.status_code == 303 and "/staff/login" in response.headers["location"]


async def test_the_yields_page_shows_the_learned_factors_in_words(client, signed_in, make_user):
    booth = await publish_booth(TODAY, name="緑が丘公民館")  # a Saturday
    await save_results(booth["session"], {"applications": "28"}, await make_user(Role.contractor_staff))
    await signed_in(Role.city_reviewer)
    page = soup(await client.get("/staff/yields"))
    rows = {row["data-key"]: row for row in page.select("#yield-table tbody tr")}
    assert set(rows) == {"kind_day:community_hall:holiday", f"venue:{booth['venue']['id']}"}
    kind_row = rows["kind_day:community_hall:holiday"]
    assert kind_row.select_one("th").get_text(strip=True) == "公民館・休日"
    assert "緑が丘公民館" in rows[f"venue:{booth['venue']['id']}"].get_text()
    assert kind_row.select_one(".factor").get_text(strip=True) == f"{48 / 34:.2f}"


async def test_an_impossible_count_is_refused_with_the_reason_and_an_unusual_one_flagged(client, signed_in):
    await signed_in(Role.contractor_staff)
    booth = await publish_booth(TODAY, capacity=3, walk_in=1, start=dt.time(10), end=dt.time(17))  # 56 places
    page = soup(await client.get(day_url(TODAY)))
    action = page.select_one(f"#booth-{booth['session']} form")["action"]
    response = await post_form(client, day_url(TODAY), action, {"applications": "99999"})
    assert response.status_code == 422 and await BoothResult.count() == 0
    error = soup(response).select_one(f"#booth-{booth['session']}-applications-error").get_text()
    assert "56" in error and "112" in error
    saved = await post_form(client, day_url(TODAY), action, {"applications": "60"})
    assert saved.status_code == 200
    warning = soup(saved).select_one(f"#booth-{booth['session']} .results-warnings").get_text()
    assert "60" in warning and "56" in warning


async def test_a_booth_that_has_not_started_offers_no_results_form(client, signed_in):
    await signed_in(Role.contractor_staff)
    booth = await publish_booth(TODAY, start=dt.time(10), end=dt.time(17))
    with clock.frozen(dt.datetime(2027, 6, 12, 7, 0, tzinfo=clock.JST)):
        page = soup(await client.get(day_url(TODAY)))
        section = page.select_one(f"#booth-{booth['session']}")
        assert section.select_one("form") is None
        assert "10:00" in section.select_one(".not-started").get_text()
        response = await client.post(
            f"/staff/days/{TODAY.isoformat()}/booths/{booth['session']}",
            data={"applications": "5", "_csrf_token": csrf_token((await client.get(day_url(TODAY))).text)},
        )
    assert response.status_code == 409 and await BoothResult.count() == 0
