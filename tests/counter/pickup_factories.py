"""Test rows for pickup reservations: an office that takes them, its reservable services and their times."""

from __future__ import annotations

import datetime as dt

from counter.pickup_slots import generate_slots
from counter.tables import CounterService, Office, OfficeDay, PickupSlot


async def make_pickup_office(
    *,
    code: str = "CITYHALL",
    opens: str = "09:00",
    closes: str = "17:45",
    pickup_enabled: bool = True,
    services: tuple[tuple[str, float, int], ...] = (("pickup", 10.0, 2), ("certificate", 15.0, 1)),
    weekend_openings: tuple[dt.date, ...] = (),
    closures: tuple[dt.date, ...] = (),
) -> dict:
    """An office with reservable services (kind, minutes per person, windows) and its own days; returns
    {"office": id, "services": {kind: id}}."""
    office = (
        await Office.insert(
            Office(
                code=code,
                name="金沢市役所",
                name_en="Kanazawa City Hall",
                opens=opens,
                closes=closes,
                pickup_enabled=pickup_enabled,
            )
        ).returning(Office.id)
    )[0]["id"]
    ids = {}
    for letter, (kind, minutes, windows) in zip("ABCDE", services, strict=False):
        ids[kind] = (
            await CounterService.insert(
                CounterService(
                    office=office,
                    kind=kind,
                    letter=letter,
                    minutes_per_person=minutes,
                    windows=windows,
                    reservable=True,
                )
            ).returning(CounterService.id)
        )[0]["id"]
    for day in weekend_openings:
        await OfficeDay.insert(OfficeDay(office=office, date=day, open=True, opens="09:00", closes="12:00"))
    for day in closures:
        await OfficeDay.insert(OfficeDay(office=office, date=day, open=False))
    return {"office": office, "services": ids}


async def slots_of(service_id: int, day: dt.date) -> list[dict]:
    return (
        await PickupSlot.select()
        .where((PickupSlot.service == service_id) & (PickupSlot.day == day))
        .order_by(PickupSlot.start)
    )


async def office_with_slots(today: dt.date | None, **values) -> dict:
    """An office as ``make_pickup_office`` makes it, with its times made from ``today`` (None: today in Japan)."""
    office = await make_pickup_office(**values)
    await generate_slots(today)
    return office
