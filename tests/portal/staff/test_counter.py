"""The counter's staff pages: reception issues a ticket with one tap (a double tap issues one) and shows it with
the QR code of its page; a window calls, recalls, serves, marks absent and moves tickets; residents' data stays out;
city reviewers and signed-out visitors are kept out."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from bs4 import BeautifulSoup
from PIL import Image

from core import clock
from core.tables import AuditEvent, Role
from counter import tickets
from counter.tables import ServiceKind, Ticket
from portal.documents.qr import qr_png, qr_svg
from tests.conftest import csrf_token, post_form, soup
from tests.counter.factories import MONDAY_10, SATURDAY_10, make_office


def soup_of(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


@pytest.fixture(autouse=True)
def in_english(client):
    client.headers["Accept-Language"] = "en"


@pytest.fixture
def at_monday_10():
    with clock.frozen(MONDAY_10):
        yield


async def test_reception_issues_one_ticket_per_tap_and_shows_it_with_its_qr_code(client, signed_in, at_monday_10):
    actor = await signed_in(Role.contractor_staff)
    office = await make_office()
    listed = soup(await client.get("/staff/counter"))
    links = [a["href"] for a in listed.select(f"#office-{office.id} a")]
    assert links == [f"/staff/counter/{office.id}"] + [f"/staff/counter/{office.id}/windows/{n}" for n in range(1, 7)]
    page = await client.get(f"/staff/counter/{office.id}")
    assert page.status_code == 200
    html = soup(page)
    buttons = [b["value"] for b in html.select("#issue-form button[name=service]")]
    assert buttons == ["pickup", "certificate", "pin_reset"]
    key = html.select_one("input[name=issue_key]")["value"]
    form = {"_csrf_token": csrf_token(page.text), "issue_key": key, "service": "certificate", "language": "en"}
    first = await client.post(f"/staff/counter/{office.id}/tickets", data=form, follow_redirects=False)
    second = await client.post(f"/staff/counter/{office.id}/tickets", data=form, follow_redirects=False)
    assert first.status_code == 303 and second.headers["location"] == first.headers["location"]
    assert await Ticket.count() == 1
    ticket = await Ticket.select(Ticket.id, Ticket.code, Ticket.issued_by, Ticket.language).first()
    assert (ticket["issued_by"], ticket["language"]) == (actor.id, "en")
    shown = await client.get(first.headers["location"])
    shown_html = soup(shown)
    assert shown_html.select_one("#ticket-number").text == "B-001"
    assert shown_html.select_one("#ticket").get("lang") == "en"  # the holder's language, whatever the staff's
    vietnamese = {**form, "issue_key": "vi-visitor", "language": "vi"}
    with_vi = await client.post(f"/staff/counter/{office.id}/tickets", data=vietnamese)
    ticket_vi = soup(with_vi)
    assert ticket_vi.select_one("#ticket").get("lang") == "vi"
    assert ticket_vi.select_one("#ticket-hint").text == "Quét mã QR để theo dõi lượt của bạn trên điện thoại."
    assert ticket_vi.select_one("#ticket-ahead").text == "Số người phía trước: 1"
    assert ticket_vi.select_one(".staff-nav") is not None and "Sign out" in with_vi.text  # the page stays English
    assert shown_html.select_one("#ticket-url").text.endswith(f"/tickets/{ticket['code']}")
    url = shown_html.select_one("#ticket-url").text
    shown_path = shown_html.select_one(".counter-ticket__qr svg path")["d"]
    assert shown_path == soup_of(qr_svg(url)).select_one("path")["d"]  # the QR code drawn is the page's address
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(url))))  # read by an independent decoder
    assert [d.text for d in decoded] == [url]
    again = await client.get(f"/staff/counter/{office.id}")
    assert soup(again).select_one("input[name=issue_key]")["value"] != key  # a new visitor, a new key


async def test_reception_says_why_a_ticket_is_refused(client, signed_in):
    await signed_in(Role.contractor_staff)
    office = await make_office()
    with clock.frozen(SATURDAY_10):
        page = await client.get(f"/staff/counter/{office.id}")
        assert soup(page).select_one("#closed-now") is not None
        form = {"_csrf_token": csrf_token(page.text), "issue_key": "k1", "service": "pickup"}
        refused = await client.post(f"/staff/counter/{office.id}/tickets", data=form)
    assert refused.status_code == 409
    assert "is closed now" in soup(refused).select_one("#action-error").text
    with clock.frozen(MONDAY_10):
        bad_email = await client.post(
            f"/staff/counter/{office.id}/tickets", data={**form, "issue_key": "k2", "notify_email": "nope"}
        )
    assert bad_email.status_code == 422 and soup(bad_email).select_one("#notify-error") is not None
    assert await Ticket.count() == 0


async def test_a_window_calls_recalls_serves_marks_absent_and_moves_tickets(client, signed_in, at_monday_10):
    await signed_in(Role.contractor_staff)
    office = await make_office()
    issued = [(await tickets.issue(office, ServiceKind.pickup))[0] for _ in range(3)]
    window = f"/staff/counter/{office.id}/windows/2"
    page = await client.get(window)
    assert soup(page).select_one("#no-current") is not None
    assert soup(page).select_one("#waiting-pickup").text == "3 waiting"

    called = await post_form(client, window, f"{window}/call", {"service": "pickup"}, follow_redirects=True)
    html = soup(called)
    assert html.select_one("#current-number").text == "A-001"
    assert html.select_one("#done-message").text == "A-001 called."
    assert html.select_one("#serve-pickup").has_attr("checked")  # the window keeps its services
    current = f"{window}/tickets/{issued[0].id}"
    recalled = await post_form(client, window, f"{current}/recall", {}, follow_redirects=True)
    assert soup(recalled).select_one("#done-message").text == "A-001 called again."
    moved = await post_form(client, window, f"{current}/transfer", {"to_service": "certificate"}, follow_redirects=True)
    assert soup(moved).select_one("#done-message").text == "Moved to B-001."
    assert soup(moved).select_one("#no-current") is not None

    await post_form(client, window, f"{window}/call", {})
    await post_form(client, window, f"{window}/tickets/{issued[1].id}/absent", {})
    await post_form(client, window, f"{window}/call", {})
    served = await post_form(client, window, f"{window}/tickets/{issued[2].id}/serve", {}, follow_redirects=True)
    assert soup(served).select_one("#done-message").text == "A-003 served."
    await post_form(client, window, f"{window}/call", {"service": "certificate"})
    await post_form(client, window, f"{window}/tickets/{issued[0].id + 3}/serve", {})
    nobody = await post_form(client, window, f"{window}/call", {}, follow_redirects=True)
    assert soup(nobody).select_one("#done-message").text == "Nobody is waiting."
    twice = await post_form(client, window, f"{window}/tickets/{issued[2].id}/serve", {})
    assert twice.status_code == 409 and "A-003 has been served." in soup(twice).select_one("#action-error").text
    rows = await Ticket.select(Ticket.id, Ticket.state, Ticket.window).order_by(Ticket.id)
    assert [(r["state"], r["window"]) for r in rows] == [
        ("served", 2),
        ("absent", 2),
        ("served", 2),
        ("served", 2),
    ]
    assert await AuditEvent.count().where(AuditEvent.action == "ticket.called") == 4


async def test_reviewers_and_visitors_are_kept_out(client, signed_in, at_monday_10):
    office = await make_office()
    anonymous = await client.get(f"/staff/counter/{office.id}/windows/1", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 401)
    await signed_in(Role.city_reviewer)
    assert (await client.get("/staff/counter")).status_code == 403
    assert (await client.get(f"/staff/counter/{office.id}")).status_code == 403
