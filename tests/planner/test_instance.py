"""The planner obeys each venue's opening rules (利用可能時間特記事項): days, hours per date, unread notes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.errors import ValidationFailed
from core.i18n import using_locale
from core.tables import Role
from planner import services
from planner.inputs import facilities_from_files
from planner.instance import prepare
from planner.model import Candidate, Parameters, PlanInput
from tests.planner.factories import JUNE
from venues.tables import Venue

DATA = Path(__file__).resolve().parents[2] / "data" / "kanazawa"
FY2027 = Parameters(start=dt.date(2027, 4, 1), end=dt.date(2028, 3, 31))


@pytest.fixture(scope="module")
def kanazawa():
    facilities = facilities_from_files([DATA / "public_facilities.csv", DATA / "commercial_venues.csv"])
    return facilities, prepare(
        PlanInput(tuple(facilities.candidates), tuple(facilities.application_points), (), FY2027)
    )


@pytest.mark.parametrize("name", ["米丸公民館", "粟崎公民館"])
def test_halls_open_only_on_saturday_mornings_get_no_saturday_booth(kanazawa, name: str) -> None:
    _facilities, instance = kanazawa
    venue = next(v for v in instance.venues if v.candidate.name == name)
    assert venue.dates, name
    assert not [d for d in venue.dates if d.weekday() == 5], name
    assert any(d.weekday() < 5 for d in venue.dates)
    assert (venue.start, venue.end) == (dt.time(10), dt.time(17))


def test_yonemaru_has_no_booth_in_obon_or_on_january_4(kanazawa) -> None:
    _facilities, instance = kanazawa
    venue = next(v for v in instance.venues if v.candidate.name == "米丸公民館")
    for closed in (dt.date(2027, 8, 16), dt.date(2028, 1, 4), dt.date(2028, 3, 20)):  # 3/20: 春分の日
        assert closed not in venue.dates
    assert dt.date(2027, 8, 17) in venue.dates


def test_a_venue_with_an_unread_note_is_no_candidate_and_the_notes_say_why(kanazawa) -> None:
    facilities, instance = kanazawa
    unread = [c for c in facilities.candidates if c.hours_unread]
    assert unread  # e.g. 特別整理期間 of the museums and libraries
    names = {v.candidate.name for v in instance.venues}
    for candidate in unread:
        assert candidate.name not in names
        assert any(candidate.name in note for note in instance.notes)


def test_the_booth_runs_in_the_hours_of_its_date() -> None:
    # 「土曜日は9:00～15:00」: a Saturday booth runs 10:00–15:00, a weekday one 10:00–17:00
    hall = Candidate(
        "X1", "みなと公民館", "community_hall", 36.5, 136.6, open_days="月火水木金土", open_from="09:00",
        open_until="18:00", opening_hours="Mo-Sa 09:00-18:00; Sa 09:00-15:00; PH off; We[1,3] off",
    )  # fmt: skip
    instance = prepare(PlanInput((hall,), (), (), JUNE))
    [venue] = instance.venues
    assert venue.window(dt.date(2027, 6, 12)) == (dt.time(10), dt.time(15))
    assert venue.window(dt.date(2027, 6, 11)) == (dt.time(10), dt.time(17))
    assert dt.date(2027, 6, 2) not in venue.dates and dt.date(2027, 6, 16) not in venue.dates  # 第1・3水曜日
    assert dt.date(2027, 6, 9) in venue.dates
    assert dt.date(2027, 6, 13) not in venue.dates  # Sunday


async def test_a_session_edit_obeys_the_rules_of_the_date(city, make_user) -> None:
    staff = await make_user(Role.contractor_staff)
    await Venue.update({Venue.opening_hours: "Mo-Su 09:00-17:00; Sa 09:00-12:00; We[1,3] off"}).where(
        Venue.venue_id == "H4"
    )
    version_id = await services.create_plan(staff, "2027年6月 実施計画", JUNE)
    version = await services.get_version(version_id)
    with using_locale("en"):
        with pytest.raises(ValidationFailed, match="09:00–12:00 on 2027-06-12"):
            await services.check_session(version, "H4", dt.date(2027, 6, 12))
        with pytest.raises(ValidationFailed, match="not at all"):
            await services.check_session(version, "H4", dt.date(2027, 6, 16))
    _venue, window = await services.check_session(version, "H4", dt.date(2027, 6, 13))
    assert window == (dt.time(10), dt.time(17))


async def test_an_unconfirmed_note_keeps_the_venue_out_until_staff_confirm(city, make_user) -> None:
    staff = await make_user(Role.contractor_staff)
    await Venue.update({Venue.hours_unread: "特別整理期間"}).where(Venue.venue_id == "H4")
    version = await services.get_version(await services.create_plan(staff, "2027年6月 実施計画", JUNE))
    with using_locale("ja"), pytest.raises(ValidationFailed, match="特別整理期間"):
        await services.check_session(version, "H4", dt.date(2027, 6, 9))
    offered = {v.venue_id: v.unsuitable for v in await services.candidate_venues(JUNE)}
    assert offered["H4"] and not offered["H3"]
    from venues.services import set_opening_rules

    await set_opening_rules(staff, "H4", "Mo-Su 09:00-17:00; Jun 01-Jun 07 off")
    await services.check_session(version, "H4", dt.date(2027, 6, 9))
    with pytest.raises(ValidationFailed):
        await services.check_session(version, "H4", dt.date(2027, 6, 3))
