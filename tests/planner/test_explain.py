"""planner.explain on the real Kanazawa data: the reasons name the office really nearest to the venue and towns
people know (町名), never lot fragments (利屋町ソ)."""

from __future__ import annotations

import csv
import datetime as dt
import re
from functools import cache
from pathlib import Path

from core.geo import haversine_km
from core.i18n import using_locale
from planner.explain import describe_sessions, nearest_office
from planner.inputs import facilities_from_files, read_demand
from planner.instance import Instance, prepare
from planner.model import Parameters, PlanInput

DATA = Path(__file__).resolve().parents[2] / "data" / "kanazawa"
EMZA = "COM-003"  # めいてつ・エムザ, 武蔵町: 近江町市民センター (青草町) is about 200 m away


@cache
def kanazawa() -> Instance:
    facilities = facilities_from_files([DATA / "public_facilities.csv", DATA / "commercial_venues.csv"])
    demand, _notes = read_demand((DATA / "town_points.csv").read_bytes())
    parameters = Parameters(start=dt.date(2027, 4, 1), end=dt.date(2028, 3, 31))
    return prepare(
        PlanInput(tuple(facilities.candidates), tuple(facilities.application_points), tuple(demand), parameters)
    )


def reason_of(venue_id: str, visits: int = 1) -> str:
    instance = kanazawa()
    index = instance.venue_index(venue_id)
    assert index is not None
    dates = instance.venues[index].dates[: visits * 30 : 30]
    with using_locale("ja"):
        sessions = describe_sessions(instance, {index: dates})
    return sessions[0].reason


def test_the_office_named_is_the_one_nearest_to_the_venue() -> None:
    text = reason_of(EMZA)
    assert "会場に最も近い常設窓口は近江町市民センター（0.2 km）" in text
    assert "浅川市民センター" not in text


def test_every_candidate_names_its_truly_nearest_office() -> None:
    instance = kanazawa()
    assert instance.offices
    for index, venue in enumerate(instance.venues):
        name, km = nearest_office(instance, index) or ("", 0.0)
        here = (venue.candidate.lat, venue.candidate.lon)
        assert km == min(haversine_km(here, (lat, lon)) for _, lat, lon in instance.offices)
        assert name in {n for n, lat, lon in instance.offices if haversine_km(here, (lat, lon)) == km}


def test_reasons_name_towns_not_lot_fragments() -> None:
    towns = {row["town"] for row in csv.DictReader((DATA / "town_points.csv").open(encoding="utf-8-sig"))}
    lots = {
        row["town"] + row["koaza"]
        for row in csv.DictReader((DATA / "town_points.csv").open(encoding="utf-8-sig"))
        if row["koaza"]
    }
    instance = kanazawa()
    assert {p.name for p in instance.demand} <= towns  # the koaza points keep their town's name
    for venue_id in ("COM-003", *(v.candidate.venue_id for v in instance.venues[:40])):
        text = reason_of(venue_id)
        match = re.search(r"（例：(.+?)）", text)
        if not match:
            continue
        names = match.group(1).split("、")
        assert len(names) == len(set(names))
        assert set(names) <= towns, text
        assert not set(names) & (lots - towns), text


def test_the_town_count_counts_towns_not_points() -> None:
    # 利屋町 has 22 lot points: a booth that reaches several of them reaches one town, and says how many in all.
    instance = kanazawa()
    toshiya = [p for p, point in enumerate(instance.demand) if point.name == "利屋町"]
    assert len(toshiya) == 22
    index = max(range(len(instance.venues)), key=lambda v: sum(v in instance.reached_by[p] for p in toshiya))
    assert sum(index in instance.reached_by[p] for p in toshiya) >= 2
    reached = [p for p, venues in enumerate(instance.reached_by) if index in venues]
    towns = {instance.demand[p].name for p in reached}
    assert len(towns) < len(reached)
    text = reason_of(instance.venues[index].candidate.venue_id)
    assert f"他の会場が届かない{len(towns)}の町に届く" in text
