"""counter.offices: an office opens on weekdays that are not holidays nor 12/29-1/3, on its designated days and not
on its closures, inside its hours (Japan time); staff's edits are checked and audited."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.clock import JST
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.tables import AuditEvent, Role
from counter import offices
from counter.offices import OfficeInput, ServiceInput
from counter.tables import ServiceKind
from tests.counter.factories import MONDAY_10, SATURDAY_10, make_office


async def test_an_office_is_found_by_code_or_id_and_lists_its_services_in_kind_order():
    office = await make_office(kinds=(ServiceKind.pin_reset, ServiceKind.pickup))
    assert (await offices.get_office("CITYHALL")).id == office.id
    assert (await offices.get_office(str(office.id))).code == "CITYHALL"
    assert (await offices.get_office(office.id)).name == "金沢市役所"
    with pytest.raises(NotFound):
        await offices.get_office("NOWHERE")
    with pytest.raises(NotFound):
        await offices.get_office(2**40)
    services = offices.kinds_in_order(await offices.office_services(office.id))
    assert [s.kind for s in services] == [ServiceKind.pickup, ServiceKind.pin_reset]
    with pytest.raises(NotFound, match="金沢市役所"):
        await offices.service_of(office, ServiceKind.application)


async def test_weekdays_open_within_hours_holidays_and_year_end_do_not():
    office = await make_office()
    assert await offices.is_open_now(office, MONDAY_10)
    assert not await offices.is_open_now(office, MONDAY_10.replace(hour=8, minute=59))
    assert not await offices.is_open_now(office, MONDAY_10.replace(hour=17, minute=45))  # closes at 17:45
    assert await offices.is_open_now(office, MONDAY_10.replace(hour=17, minute=44))
    assert not await offices.is_open_now(office, SATURDAY_10)
    assert await offices.opening(office, dt.date(2026, 11, 23)) is None  # 勤労感謝の日, a Monday
    assert await offices.opening(office, dt.date(2026, 12, 29)) is None  # a Tuesday, but 年末年始
    assert await offices.opening(office, dt.date(2027, 1, 4)) is not None
    # Japan's day, whatever the date in UTC: 08:30 on Monday in Japan is still Sunday in UTC
    early = await make_office(code="EARLY", opens="08:00")
    with clock.frozen(dt.datetime(2026, 12, 7, 8, 30, tzinfo=JST)):
        assert clock.now().astimezone(dt.UTC).date() == dt.date(2026, 12, 6)
        assert await offices.is_open_now(early)
        assert not await offices.is_open_now(office)


async def test_designated_days_open_a_weekend_with_their_hours_and_close_a_weekday(make_user):
    staff = await make_user(Role.contractor_staff)
    office = await make_office()
    saturday, monday = SATURDAY_10.date(), MONDAY_10.date()
    await offices.set_office_day(staff, office.id, saturday, True, "09:00", "12:00", "休日開庁")
    await offices.set_office_day(staff, office.id, monday, False, note="システム停止")
    assert await offices.is_open_now(office, SATURDAY_10)
    assert not await offices.is_open_now(office, SATURDAY_10.replace(hour=12))
    assert not await offices.is_open_now(office, MONDAY_10)
    days = await offices.openings(office, monday, saturday)
    assert [o.date for o in days] == [monday + dt.timedelta(days=n) for n in (1, 2, 3, 4, 5)]
    assert days[-1].closes == dt.datetime(2026, 12, 12, 12, 0, tzinfo=JST)
    await offices.clear_office_day(staff, office.id, monday)
    assert await offices.is_open_now(office, MONDAY_10)
    with pytest.raises(ValidationFailed) as refused:
        await offices.set_office_day(staff, office.id, dt.date(2026, 12, 30), True)
    assert "date" in refused.value.fields
    actions = await AuditEvent.select(AuditEvent.action).where(AuditEvent.object_type == "office")
    assert {row["action"] for row in actions} >= {"office_day.opened", "office_day.closed", "office_day.cleared"}


async def test_staff_edits_are_checked_and_a_reviewer_cannot_edit(make_user):
    staff, reviewer = await make_user(Role.contractor_staff), await make_user(Role.city_reviewer)
    with pytest.raises(ValidationFailed) as bad:
        await offices.create_office(staff, OfficeInput(code="City Hall", name="", opens="9:00", closes="08:00"))
    assert set(bad.value.fields) >= {"code", "name", "opens"}
    with pytest.raises(PermissionDenied):
        await offices.create_office(reviewer, OfficeInput(code="X", name="X"))
    office = await offices.create_office(staff, OfficeInput(code="EAST", name="東部市民センター", closes="17:00"))
    service = await offices.create_service(staff, office.id, ServiceInput(kind="pickup", letter="a"))
    assert service.letter == "A"
    with pytest.raises(ValidationFailed, match="記号 A"):
        await offices.create_service(staff, office.id, ServiceInput(kind="certificate", letter="A"))
    with pytest.raises(ValidationFailed):
        await offices.create_service(staff, office.id, ServiceInput(kind="pickup", letter="B"))
    changed = await offices.update_service(staff, service.id, ServiceInput("pickup", "A", 7.5, 3))
    assert (changed.minutes_per_person, changed.windows) == (7.5, 3)
    renamed = await offices.update_office(staff, office.id, OfficeInput(code="EAST", name="東部", closes="17:15"))
    assert renamed.closes == dt.time(17, 15)
    with pytest.raises(ValidationFailed):
        await offices.create_office(staff, OfficeInput(code="EAST", name="again"))
