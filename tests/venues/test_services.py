"""Venue registry workflows on the database: import, re-import, edits, blackout dates, audit."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import Conflict, ValidationFailed
from core.tables import AuditEvent, Role
from tests.conftest import DATA
from tests.venues.factories import make_venue
from venues import services
from venues.facility_list import parse_facility_list
from venues.schemas import BlackoutCreate, VenueFilter, VenueUpdate
from venues.tables import BlackoutDate, Venue

KANAZAWA = (DATA / "public_facilities.csv").read_bytes()


def update_of(row: dict, **changes) -> VenueUpdate:
    values = {name: row[name] for name in VenueUpdate.__dataclass_fields__}
    values.update(changes)
    return VenueUpdate(**values)


@pytest.fixture
async def staff(make_user):
    return await make_user(Role.contractor_staff)


async def test_real_kanazawa_file_imports_the_venues_and_application_points(staff):
    outcome = await services.import_facility_list(staff, parse_facility_list(KANAZAWA))
    assert len(outcome.created) == 116 and outcome.skipped_rows == 1106 - 116
    counts = {
        kind: await Venue.count().where(Venue.kind == kind) for kind in ("community_hall", "civic_center", "city_hall")
    }
    assert counts == {"community_hall": 62, "civic_center": 14, "city_hall": 1}
    city_hall = await services.get_venue("AA0000001051")
    assert city_hall["kind"] == "city_hall" and city_hall["lat"] == pytest.approx(36.561437)
    assert await Venue.count().where(Venue.poi_code.is_in(["1003", "1503", "1504"])) == 0  # parks, schools


async def test_reimporting_the_same_file_changes_nothing(staff):
    await services.import_facility_list(staff, parse_facility_list(KANAZAWA))
    before = await Venue.select().order_by(Venue.venue_id)
    again = await services.import_facility_list(staff, parse_facility_list(KANAZAWA))
    assert again.created == [] and again.updated == [] and len(again.unchanged) == 116
    assert await Venue.select().order_by(Venue.venue_id) == before


async def test_reimport_updates_in_place_and_keeps_what_staff_manage(staff):
    await services.import_facility_list(staff, parse_facility_list(KANAZAWA))
    hall = (await services.list_venues(VenueFilter(kind="community_hall")))[0]
    await services.update_venue(
        staff,
        hall["venue_id"],
        update_of(hall, partner_name="館長 山田", partner_email="kan@example.jp", kind="rental_hall"),
    )
    await services.add_blackout(staff, hall["venue_id"], BlackoutCreate(dt.date(2027, 5, 3), "館行事"))
    changed = KANAZAWA.replace(hall["name"].encode(), (hall["name"] + "（新館）").encode(), 1)
    outcome = await services.import_facility_list(staff, parse_facility_list(changed))
    assert outcome.updated == [hall["venue_id"]] and outcome.created == []
    after = await services.get_venue(hall["venue_id"])
    assert after["id"] == hall["id"] and after["name"] == hall["name"] + "（新館）"
    assert (after["partner_email"], after["kind"]) == ("kan@example.jp", "rental_hall")
    assert await BlackoutDate.count().where(BlackoutDate.venue == hall["id"]) == 1
    assert await Venue.count() == 116


async def test_a_file_with_errors_imports_nothing_unless_confirmed(staff):
    bad = KANAZAWA.replace(b"36.561437", b"36561437", 1)  # City Hall loses its decimal point
    result = parse_facility_list(bad)
    assert result.has_errors
    with pytest.raises(ValidationFailed):
        await services.import_facility_list(staff, result)
    assert await Venue.count() == 0
    outcome = await services.import_facility_list(staff, result, accept_partial=True)
    assert len(outcome.created) == 115 and await Venue.count().where(Venue.venue_id == "AA0000001051") == 0


async def test_edit_is_validated_and_audited(staff):
    venue = await make_venue()
    with pytest.raises(ValidationFailed) as refused:
        await services.update_venue(
            staff, venue["venue_id"], update_of(venue, lat=3656.0, open_from="9時", partner_email="not-an-email")
        )
    assert set(refused.value.fields) == {"lat", "open_from", "partner_email"}
    await services.update_venue(staff, venue["venue_id"], update_of(venue, open_days="祝土日", open_until="16:00"))
    saved = await services.get_venue(venue["venue_id"])
    assert saved["open_days"] == "土日祝" and saved["open_until"] == "16:00"
    event = await AuditEvent.select().where(AuditEvent.action == "venue.updated").first()
    assert event["actor_name"] == staff.username and event["object_id"] == venue["venue_id"]
    assert "open_until" in str(event["changes"]) and "open_days" in str(event["changes"])


async def test_deactivate_hides_a_venue_from_the_active_list_and_is_audited(staff):
    venue = await make_venue()
    await services.set_active(staff, venue["venue_id"], False)
    assert venue["venue_id"] not in [v["venue_id"] for v in await services.list_venues(VenueFilter())]
    assert venue["venue_id"] in [v["venue_id"] for v in await services.list_venues(VenueFilter(active=False))]
    assert await AuditEvent.count().where(AuditEvent.action == "venue.deactivated") == 1


async def test_blackout_dates_are_added_once_and_removed(staff):
    venue = await make_venue()
    await services.add_blackout(staff, venue["venue_id"], BlackoutCreate(dt.date(2027, 1, 10), "成人式"))
    with pytest.raises(Conflict):
        await services.add_blackout(staff, venue["venue_id"], BlackoutCreate(dt.date(2027, 1, 10)))
    (blackout,) = await services.list_blackouts(venue["id"])
    await services.remove_blackout(staff, venue["venue_id"], blackout["id"])
    assert await services.list_blackouts(venue["id"]) == []
    actions = [
        e["action"]
        for e in await AuditEvent.select(AuditEvent.action)
        .where(AuditEvent.object_type == "venue")
        .order_by(AuditEvent.id)
    ]
    assert actions == ["venue.blackout_added", "venue.blackout_removed"]


async def test_filters_by_kind_area_and_accessibility():
    await make_venue(venue_id="A", kind="library", town="広坂", wheelchair=True)
    await make_venue(venue_id="B", kind="library", town="泉野", priority_parking=True)
    await make_venue(venue_id="C", kind="welfare", town="広坂", wheelchair=True, priority_parking=True)
    ids = lambda rows: sorted(r["venue_id"] for r in rows)  # noqa: E731
    assert ids(await services.list_venues(VenueFilter(kind="library"))) == ["A", "B"]
    assert ids(await services.list_venues(VenueFilter(town="広坂"))) == ["A", "C"]
    assert ids(await services.list_venues(VenueFilter(wheelchair=True, priority_parking=True))) == ["C"]
    assert await services.towns() == sorted(["広坂", "泉野"])


async def test_export_gives_back_a_file_that_reimports_unchanged(staff):
    await services.import_facility_list(staff, parse_facility_list(KANAZAWA))
    for encoding in ("utf-8-sig", "cp932"):
        exported = await services.export_venues(encoding=encoding)
        result = parse_facility_list(exported)
        assert result.encoding == encoding and not result.has_errors and len(result.records) == 116
        outcome = await services.import_facility_list(staff, result)
        assert outcome.created == [] and outcome.updated == [], encoding


async def test_a_small_upload_far_from_the_registered_venues_is_doubted(staff):
    await services.import_facility_list(staff, parse_facility_list((DATA / "commercial_venues.csv").read_bytes()))
    tokyo = "ID,名称,緯度,経度\nT1,東京の公民館,35.6812,139.7671\n".encode()
    assert not parse_facility_list(tokyo).has_errors  # alone, one row cannot look out of place
    result = parse_facility_list(tokyo, reference_points=await services.registry_points())
    assert [p.code for p in result.errors] == ["far_from_city"]


async def test_identical_rows_without_an_id_import_one_venue_and_report_the_other(staff):
    row = "弥生公民館,金沢市弥生1丁目,36.5501,136.6401,月火水木金,09:00,17:00\n"
    result = parse_facility_list(
        ("名称,所在地_連結表記,緯度,経度,利用可能曜日,開始時間,終了時間\n" + row + row).encode()
    )
    assert [p.code for p in result.errors] == ["id_duplicate"]
    with pytest.raises(ValidationFailed):
        await services.import_facility_list(staff, result)
    outcome = await services.import_facility_list(staff, result, accept_partial=True)
    assert len(outcome.created) == 1 and await Venue.count() == 1


async def test_a_kind_chosen_in_the_preview_survives_reimports(staff):
    content = "ID,名称,POIコード,緯度,経度\nK1,広坂公民館,1307,36.5613,136.6562\n".encode()
    await services.import_facility_list(staff, parse_facility_list(content, kind_overrides={2: "rental_hall"}))
    assert await services.planned_import(parse_facility_list(content)) == {"K1": {}}  # the preview: unchanged
    await services.import_facility_list(staff, parse_facility_list(content))
    venue = await services.get_venue("K1")
    assert (venue["kind"], venue["kind_source"]) == ("rental_hall", "override")
    exported = await services.export_venues()  # the export writes the kind; importing it back changes nothing
    outcome = await services.import_facility_list(staff, parse_facility_list(exported))
    assert outcome.unchanged == ["K1"]
    library = parse_facility_list(content, kind_overrides={2: "library"})
    assert await services.planned_import(library) == {"K1": {"kind": {"before": "rental_hall", "after": "library"}}}
    await services.import_facility_list(staff, library)
    venue = await services.get_venue("K1")
    assert (venue["kind"], venue["kind_source"]) == ("library", "override")  # a new choice in the preview wins


async def test_name_search_ignores_letter_case():
    await make_venue(venue_id="A", name="AEON Mall 杜の里")
    await make_venue(venue_id="B", name="aeon town 鞍月")
    await make_venue(venue_id="C", name="泉野図書館")
    found = await services.list_venues(VenueFilter(query="Aeon"))
    assert sorted(v["venue_id"] for v in found) == ["A", "B"]


async def test_known_venue_ids_are_those_already_registered():
    await make_venue(venue_id="V-1")
    await make_venue(venue_id="V-2")
    assert await services.known_venue_ids(["V-2", "V-3", "V-2"]) == frozenset({"V-2"})
    assert await services.known_venue_ids(iter(())) == frozenset()


async def test_the_registry_exists_once_migrated():
    assert await services.registry_exists() is True


async def test_the_venue_list_is_by_kind_then_in_gojuon_order():
    await make_venue(venue_id="W", name="割出公民館", name_kana="ワリダシコウミンカン")
    await make_venue(venue_id="A", name="浅野川公民館", name_kana="あさのがわこうみんかん")
    await make_venue(venue_id="C", name="市役所", name_kana="シヤクショ", kind="city_hall")
    await make_venue(venue_id="I", name="イオン金沢店", kind="commercial")
    await make_venue(venue_id="K", name="金石公民館", name_kana="カナイワコウミンカン")
    ids = [row["venue_id"] for row in await services.list_venues(VenueFilter())]
    assert ids == ["I", "A", "K", "W", "C"]  # commercial, community halls in 50音 order, then the city hall
