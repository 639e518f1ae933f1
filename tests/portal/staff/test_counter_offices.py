"""The counter's settings page (窓口の設定): a contractor lead changes an office's hours, pickup reservations and the
waiting-lamp thresholds, each service's letter, minutes, windows and flags, and the designated days; bad input is
refused beside its field with what was typed kept; every change is audited; contractor staff and city reviewers are
kept out."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from core import clock
from core.tables import AuditEvent, Role
from counter import offices
from counter.tables import ServiceKind
from tests.conftest import post_form, soup
from tests.counter.factories import MONDAY_10, SATURDAY_10, make_office


@pytest.fixture(autouse=True)
def in_english(client):
    client.headers["Accept-Language"] = "en"


@pytest.fixture(autouse=True)
def at_monday_10():
    with clock.frozen(MONDAY_10):
        yield


def url(office_id: int, rest: str = "") -> str:
    return f"/staff/counter/offices/{office_id}/settings{rest}"


async def test_a_lead_changes_hours_pickups_and_the_waiting_lamp(client, signed_in):
    await signed_in(Role.contractor_lead)
    office = await make_office()
    hub = soup(await client.get("/staff/counter"))
    assert hub.select_one(f"#office-{office.id} a.counter-office__settings")["href"] == url(office.id)
    page = soup(await client.get(url(office.id)))
    assert page.select_one("#opens")["value"] == "09:00" and page.select_one("#red_minutes")["value"] == "60"
    form = {
        "name": "金沢市役所 本庁舎",
        "name_en": "Kanazawa City Hall",
        "opens": "08:30",
        "closes": "17:15",
        "opens_weekdays": "on",
        "pickup_enabled": "on",
        "amber_minutes": "15",
        "red_minutes": "45",
    }
    saved = await post_form(client, url(office.id), url(office.id), form, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == url(office.id)
    after = await offices.get_office(office.id)
    assert (after.name, after.opens, after.closes) == ("金沢市役所 本庁舎", dt.time(8, 30), dt.time(17, 15))
    assert (after.pickup_enabled, after.amber_minutes, after.red_minutes) == (True, 15, 45)
    shown = soup(await client.get(url(office.id)))
    assert shown.select_one("#flash").text == "The office's settings were saved."
    assert shown.select_one("#pickup_enabled").has_attr("checked")
    [event] = await AuditEvent.select(AuditEvent.changes).where(AuditEvent.action == "office.updated")
    changes = event["changes"] if isinstance(event["changes"], dict) else json.loads(event["changes"])
    assert changes["amber_minutes"] == {"before": 20, "after": 15} and changes["red_minutes"]["after"] == 45
    assert changes["pickup_enabled"] == {"before": False, "after": True}
    audit_page = await client.get("/staff/audit")  # the change as the audit log says it, in words
    assert "Amber from (minutes)" in audit_page.text and "Takes card pickup reservations" in audit_page.text


@pytest.mark.parametrize(
    ("amber", "red", "field"),
    [
        ("60", "60", "red_minutes"),
        ("70", "40", "red_minutes"),
        ("-5", "40", "amber_minutes"),
        ("20", "x", "red_minutes"),
    ],
)
async def test_thresholds_out_of_order_or_negative_are_refused_keeping_what_was_typed(
    client, signed_in, amber, red, field
):
    await signed_in(Role.admin)
    office = await make_office()
    form = {"name": "金沢市役所", "opens": "09:00", "closes": "8:00", "amber_minutes": amber, "red_minutes": red}
    refused = await post_form(client, url(office.id), url(office.id), form)
    assert refused.status_code == 400
    page = soup(refused)
    assert page.select_one(f"#{field}")["aria-invalid"] == "true"
    assert page.select_one(f"#{field}-error").text.strip()
    assert page.select_one("#closes-error") is not None  # every field's error at once
    assert page.select_one("#amber_minutes")["value"] == amber and page.select_one("#red_minutes")["value"] == red
    assert not page.select_one("#pickup_enabled").has_attr("checked")
    unchanged = await offices.get_office(office.id)
    assert (unchanged.amber_minutes, unchanged.red_minutes, unchanged.closes) == (20, 60, dt.time(17, 45))


async def test_a_service_gets_its_letter_minutes_windows_and_flags(client, signed_in):
    await signed_in(Role.contractor_lead)
    office = await make_office()
    pickup = await offices.service_of(office, ServiceKind.pickup)
    certificate = await offices.service_of(office, ServiceKind.certificate)
    action = url(office.id, f"/services/{pickup.id}")
    form = {"letter": "p", "minutes_per_person": "7,5", "windows": "3", "reservable": "on", "active": "on"}
    saved = await post_form(client, url(office.id), action, form, follow_redirects=False)
    assert saved.status_code == 303
    changed = await offices.get_service(pickup.id)
    assert (changed.letter, changed.minutes_per_person, changed.windows, changed.reservable) == ("P", 7.5, 3, True)
    # the letter of another service, and no windows: both said beside their fields, what was typed kept
    bad = {"letter": certificate.letter, "minutes_per_person": "7.5", "windows": "0"}
    refused = await post_form(client, url(office.id), action, bad)
    assert refused.status_code == 400
    page = soup(refused)
    prefix = f"#s{pickup.id}-"
    assert page.select_one(f"{prefix}windows-error").text == "Give the number of windows, from 1 to 50."
    assert page.select_one(f"{prefix}windows")["value"] == "0"
    assert not page.select_one(f"{prefix}active").has_attr("checked")
    assert page.select_one(f"#s{certificate.id}-windows").get("aria-invalid") is None  # only the form posted
    clash = await post_form(client, url(office.id), action, {**bad, "windows": "2"})
    assert certificate.letter in soup(clash).select_one(f"{prefix}letter-error").text
    # withdrawn: reception no longer offers it, the settings page still lists it
    await post_form(client, url(office.id), action, {"letter": "P", "minutes_per_person": "8", "windows": "2"})
    offered = [s.kind for s in await offices.office_services(office.id)]
    assert offered == [ServiceKind.certificate, ServiceKind.pin_reset]
    assert soup(await client.get(url(office.id))).select_one(f"#service-{pickup.id}") is not None
    audit = await AuditEvent.count().where(AuditEvent.action == "counter_service.updated")
    assert audit == 2


async def test_designated_days_are_added_and_removed_and_the_year_end_stays_closed(client, signed_in):
    await signed_in(Role.contractor_lead)
    office = await make_office()
    saturday = SATURDAY_10.date().isoformat()
    opening = {"date": saturday, "kind": "open", "opens": "09:00", "closes": "12:00", "note": "休日開庁"}
    added = await post_form(client, url(office.id), url(office.id, "/days"), opening, follow_redirects=False)
    assert added.status_code == 303
    assert await offices.is_open_now(office, SATURDAY_10)
    assert not await offices.is_open_now(office, SATURDAY_10.replace(hour=12))
    closure = {"date": "2026-12-08", "kind": "closed", "opens": "", "closes": "", "note": "システム停止"}
    await post_form(client, url(office.id), url(office.id, "/days"), closure)
    assert not await offices.is_open_now(office, MONDAY_10 + dt.timedelta(days=1))
    page = soup(await client.get(url(office.id)))
    rows = [[cell.text.strip() for cell in row.select("td")[:4]] for row in page.select("#days-table tbody tr")]
    assert rows == [["2026-12-08", "Closed", "", "システム停止"], [saturday, "Opens", "09:00–12:00", "休日開庁"]]
    # 12/30 cannot open; what was typed stays, the error beside the date
    year_end = {**opening, "date": "2026-12-30"}
    refused = await post_form(client, url(office.id), url(office.id, "/days"), year_end)
    assert refused.status_code == 400
    html = soup(refused)
    assert html.select_one("#day_date-error").text == "The counter is closed from 29 December to 3 January."
    assert html.select_one("#day_date")["value"] == "2026-12-30" and html.select_one("#day_note")["value"] == "休日開庁"
    half = await post_form(client, url(office.id), url(office.id, "/days"), {**opening, "closes": "", "date": ""})
    assert soup(half).select_one("#day_date-error") is not None
    # removing a day brings back the office's rule
    removed = await post_form(client, url(office.id), url(office.id, f"/days/{saturday}/remove"), {})
    assert removed.status_code == 200 and "The day was removed" in removed.text
    assert not await offices.is_open_now(office, SATURDAY_10)
    actions = await AuditEvent.select(AuditEvent.action).where(AuditEvent.object_type == "office")
    assert {row["action"] for row in actions} >= {"office_day.opened", "office_day.closed", "office_day.cleared"}


@pytest.mark.parametrize("role", [Role.contractor_staff, Role.city_reviewer])
async def test_staff_and_reviewers_cannot_open_or_post_the_settings(client, signed_in, role):
    office = await make_office()
    await signed_in(role)
    assert (await client.get(url(office.id))).status_code == 403
    hub = await client.get("/staff/counter")
    assert "counter-office__settings" not in hub.text
    form = {"name": "x", "opens": "09:00", "closes": "17:00", "amber_minutes": "1", "red_minutes": "2"}
    posted = await post_form(client, "/staff/password", url(office.id), form)
    assert posted.status_code == 403
    assert (await offices.get_office(office.id)).red_minutes == 60


async def test_signed_out_visitors_are_sent_to_sign_in(client):
    office = await make_office()
    response = await client.get(url(office.id), follow_redirects=False)
    assert response.status_code in (302, 303) and "/staff/login" in response.headers["location"]


async def test_the_page_speaks_japanese(client, signed_in):
    client.headers["Accept-Language"] = "ja"
    await signed_in(Role.contractor_lead)
    office = await make_office()
    page = soup(await client.get(url(office.id)))
    assert page.select_one("h1").text.startswith("金沢市役所の設定")
    assert page.select_one("label[for=amber_minutes]").text == "黄色にする待ち時間（分）"
    refused = await post_form(
        client,
        url(office.id),
        url(office.id),
        {"name": "金沢市役所", "opens": "09:00", "closes": "17:45", "amber_minutes": "30", "red_minutes": "30"},
    )
    assert "赤" in soup(refused).select_one("#red_minutes-error").text
