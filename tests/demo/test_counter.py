"""The demo's City Hall counter: the office with its services and weekend openings, and its recent days played
through the queue-ticket services, deterministic for a seed; in the full demo, yesterday's report counts the
tickets served with their waits, and today's queue is live at a window."""

from __future__ import annotations

import datetime as dt
import random
import re
import statistics
from collections import defaultdict

from booking.reports import daily_report
from core import clock
from core.clock import JST
from core.tables import Role
from counter import tickets
from counter.offices import get_office, office_days, office_services, opening
from counter.tables import Office, Ticket, TicketState
from demo.counter import CITY_HALL, open_city_hall, serve_day, weekend_openings
from demo.services import DEMO_DIR, STATS_FILE, load_demo
from tests.conftest import sign_in, soup
from venues.tables import Venue

STATS = DEMO_DIR / STATS_FILE
SET_UP = dt.datetime(2026, 3, 1, 10, tzinfo=JST)


async def day_tickets(day: dt.date) -> list[dict]:
    return await Ticket.select(
        Ticket.service.letter,
        Ticket.number,
        Ticket.state,
        Ticket.window,
        Ticket.issued_at,
        Ticket.called_at,
        Ticket.finished_at,
    ).where(Ticket.day == day)


def assert_consecutive(rows: list[dict]) -> None:
    numbers = defaultdict(list)
    for row in rows:
        numbers[row["service.letter"]].append(row["number"])
    assert set(numbers) == {"A", "B", "C", "D"}
    for found in numbers.values():
        assert sorted(found) == list(range(1, len(found) + 1))  # ... with no gap


async def test_city_hall_opens_with_its_services_and_weekend_openings(people):
    office = await open_city_hall(people[Role.contractor_lead], SET_UP, dt.date(2026, 4, 1))
    assert (office.code, office.name, f"{office.opens:%H:%M}", f"{office.closes:%H:%M}") == (
        "CITYHALL",
        "金沢市役所",
        "09:00",
        "17:45",
    )
    assert office.pickup_enabled
    services = await office_services(office.id)
    assert [(s.letter, s.kind.value) for s in services] == [
        ("A", "pickup"),
        ("B", "certificate"),
        ("C", "pin_reset"),
        ("D", "application"),
    ]
    assert sum(s.windows for s in services) == 5  # the contract's windows
    days = await office_days(office.id, dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    assert len(days) == 12 and all(day.open for day in days)
    assert {day.date.month for day in days} == {10, 11, 12, 1, 2, 3}
    assert dt.date(2026, 12, 12) in {day.date for day in days}  # the second Saturday of December
    assert dt.date(2026, 12, 27) in {day.date for day in days}  # and its fourth Sunday
    assert await opening(office, dt.date(2026, 12, 12)) is not None
    assert await opening(office, dt.date(2026, 12, 13)) is None  # any other Sunday stays closed
    assert [d for d, _ in weekend_openings(dt.date(2026, 4, 1))] == sorted(day.date for day in days)
    again = await open_city_hall(people[Role.contractor_lead], SET_UP, dt.date(2026, 4, 1))
    assert again == office and await Office.count() == 1  # a second run keeps it


async def test_a_counter_day_is_played_through_the_tickets_and_the_seed_decides_it(people):
    office = await open_city_hall(people[Role.contractor_lead], SET_UP, dt.date(2026, 4, 1))
    staff = people[Role.contractor_staff]
    tuesday, wednesday = dt.date(2026, 12, 1), dt.date(2026, 12, 2)
    with clock.frozen(dt.datetime(2026, 12, 3, 8, tzinfo=JST)):
        first = await serve_day(office, tuesday, STATS, staff, random.Random(7))
        second = await serve_day(office, wednesday, STATS, staff, random.Random(7))
    # December 2024: 3,087 pickups, 1,129 certificates and 2,944 applications over 20 counter weekdays.
    assert 300 < first.issued < 450
    rows = await day_tickets(tuesday)
    assert len(rows) == first.issued
    assert_consecutive(rows)
    opens, closes = dt.datetime(2026, 12, 1, 9, tzinfo=JST), dt.datetime(2026, 12, 1, 17, 45, tzinfo=JST)
    for row in rows:
        assert opens <= row["issued_at"] < closes
        assert row["issued_at"] <= row["called_at"] < row["finished_at"]  # every visitor was called and finished
        assert row["state"] in {TicketState.served.value, TicketState.absent.value}
        assert 1 <= row["window"] <= 5
    served = [row for row in rows if row["state"] == TicketState.served.value]
    assert sum(first.served.values()) == len(served) > 0.95 * len(rows)
    waits = [(row["called_at"] - row["issued_at"]).total_seconds() / 60 for row in rows]
    assert statistics.median(waits) < 30 and max(waits) > 10  # a busy December day: queues, not hours of them
    # The same seed, the same day a day later.
    shifted = await day_tickets(wednesday)

    def pattern(found: list[dict]) -> list[tuple]:
        return sorted(
            (r["service.letter"], r["number"], r["state"], r["window"], f"{r['issued_at']:%H:%M:%S}") for r in found
        )

    assert pattern(shifted) == pattern(rows) and second.served == first.served


async def test_today_is_served_up_to_now_and_the_queue_is_live(people):
    office = await open_city_hall(people[Role.contractor_lead], SET_UP, dt.date(2026, 4, 1))
    now = dt.datetime(2026, 12, 3, 11, 0, tzinfo=JST)
    with clock.frozen(now):
        result = await serve_day(office, now.date(), STATS, people[Role.contractor_staff], random.Random(3), until=now)
        rows = await day_tickets(now.date())
        states = {row["state"] for row in rows}
        assert {"served", "called", "waiting"} <= states
        assert all(row["issued_at"] <= now for row in rows) and len(rows) == result.issued
        assert all(row["finished_at"] is None for row in rows if row["state"] != "served" and row["state"] != "absent")
        at_window = [await tickets.window_ticket(office.id, window) for window in range(1, 6)]
        assert all(ticket is not None and ticket.state is TicketState.called for ticket in at_window)
        waiting = [t for s in await office_services(office.id) for t in await tickets.waiting_tickets(s.id)]
        assert waiting and await tickets.tickets_ahead(waiting[-1]) is not None
    assert_consecutive(rows)


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def test_the_demo_serves_city_hall_with_queues_and_reports_them(client):
    today, now = dt.date(2026, 12, 3), dt.datetime(2026, 12, 3, 11, tzinfo=JST)
    with clock.frozen(now):
        result = await load_demo(today, now)
    office = await get_office(CITY_HALL.code)
    linked = await Office.select(Office.venue.kind, Office.venue.name).where(Office.id == office.id).first()
    assert linked["venue.kind"] == "city_hall" and "市役所" in linked["venue.name"]
    assert await Venue.exists().where(Venue.kind == "city_hall")
    assert "整理券" in result.summary or "queue tickets" in result.summary

    # The last two working days were served, and today up to 11:00.
    days = sorted({row["day"] for row in await Ticket.select(Ticket.day).distinct()})
    assert days == [dt.date(2026, 12, 1), dt.date(2026, 12, 2), today]
    yesterday = dt.date(2026, 12, 2)
    rows = await day_tickets(yesterday)
    assert_consecutive(rows)
    assert not [row for row in rows if row["state"] in ("waiting", "called")]  # the day is over

    # Yesterday's daily report counts the tickets served and shows their waits.
    login = next(login for login in result.logins if login.username == "lead")
    assert (await sign_in(client, login.username, login.password)).status_code == 303
    with clock.frozen(now):
        report = await daily_report(yesterday)
        page = await client.get(f"/staff/reports/daily/{yesterday.isoformat()}")
    assert page.status_code == 200
    html = soup(page)
    assert html.select_one("#office-from-tickets") is not None
    served = defaultdict(int)
    for row in rows:
        if row["state"] == "served":
            served[row["service.letter"]] += 1
    cells = {cell["data-column"]: int(cell.text) for cell in html.select("#office td")}
    assert (cells["card_handovers"], cells["certificates"], cells["pin_resets"], cells["applications"]) == (
        served["A"],
        served["B"],
        served["C"],
        served["D"],
    )
    total = html.select_one(f"#waits-{office.id} tr[data-hour=total]")
    assert int(total.select_one("[data-column=visits]").text) == len(rows)
    assert int(total.select_one("[data-column=served]").text) == sum(served.values())
    median = float(total.select_one("[data-column=median]").text.split()[0])
    assert 0 <= median < 30 and report.waits  # busy but plausible
    assert "金沢市役所" in text(page.text)

    # Today's queue is live at the windows: window 1 has a ticket called, and people wait.
    with clock.frozen(now):
        current = await tickets.window_ticket(office.id, 1)
        window = await client.get(f"/staff/counter/{office.id}/windows/1")
    assert current is not None and window.status_code == 200
    assert soup(window).select_one("#current-number").text.strip() == current.label
    assert await Ticket.count().where((Ticket.day == today) & (Ticket.state == "waiting")) > 0
