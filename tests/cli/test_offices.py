"""``outreach offices``: a script sets up an office with its services, lists it and designates its days."""

from __future__ import annotations

import datetime as dt

from counter import offices
from counter.tables import ServiceKind
from tests.cli.test_users import outreach
from tests.counter.factories import SATURDAY_10


async def test_a_script_adds_an_office_with_services_and_designates_a_saturday():
    added = outreach(
        "offices", "add", "CITYHALL", "--name", "金沢市役所", "--service", "pickup:A:8:2", "--service", "certificate"
    )
    assert added.returncode == 0, added.stderr
    office = await offices.get_office("CITYHALL")
    services = await offices.office_services(office.id)
    assert [(s.kind, s.letter, s.minutes_per_person, s.windows, s.reservable) for s in services] == [
        (ServiceKind.pickup, "A", 8.0, 2, True),
        (ServiceKind.certificate, "B", 10.0, 1, False),
    ]
    listed = outreach("offices", "list")
    assert listed.stdout.split("\t")[:4] == ["CITYHALL", str(office.id), "金沢市役所", "09:00-17:45"]
    day = outreach("offices", "day", "CITYHALL", "2026-12-12", "--open", "--hours", "09:00-12:00")
    assert day.returncode == 0, day.stderr
    assert await offices.is_open_now(office, SATURDAY_10)
    assert not await offices.is_open_now(office, SATURDAY_10.replace(hour=12))
    year_end = outreach("offices", "day", "CITYHALL", "2026-12-30", "--open")
    assert year_end.returncode == 1 and "12月29日から1月3日" in year_end.stderr
    again = outreach("offices", "add", "CITYHALL", "--name", "x")
    assert again.returncode == 1 and "CITYHALL" in again.stderr and "Traceback" not in again.stderr
    bad = outreach("offices", "add", "EAST", "--name", "東部", "--service", "teleport")
    assert bad.returncode == 2
    assert await offices.opening(office, dt.date(2026, 12, 13)) is None
