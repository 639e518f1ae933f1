"""Offline 場所検索: reading town points, importing them with postal codes and readings, finding places by name,
kana or postal code, and the ``outreach places import`` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import ValidationFailed
from core.tables import AuditEvent
from tests.conftest import DATA
from tests.venues.factories import make_venue
from venues.places import PlaceMatch, find_places, import_places, read_places
from venues.tables import Place

TOWN_POINTS = DATA / "town_points.csv"
OUTREACH = str(Path(sys.executable).parent / "outreach")
KATAMACHI = (36.561, 136.652)


@pytest.fixture
async def kanazawa() -> int:
    return await import_places(TOWN_POINTS)


def near(match: PlaceMatch, point: tuple[float, float], tolerance: float = 0.01) -> bool:
    return abs(match.lat - point[0]) <= tolerance and abs(match.lon - point[1]) <= tolerance


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "places.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_the_kanazawa_file_is_read_and_its_two_rows_without_coordinates_are_reported():
    from core.i18n import using_locale

    with using_locale("en"):
        rows, problems = read_places(TOWN_POINTS)
    assert len(rows) + len(problems) == 1962 and len(rows) == 1960
    assert [p.split(":")[0] for p in problems] == ["Row 160", "Row 413"]  # いなほ三丁目, 金石上越前町: empty lat/lon
    first = rows[0]
    assert (first.name, first.lat, first.lon) == ("下本多町五番丁", 36.556854, 136.658046)
    assert any(row.name == "相合谷町イ" and (row.town, row.koaza) == ("相合谷町", "イ") for row in rows)


def test_names_from_name_columns_cp932_and_every_bad_row_reported(tmp_path):
    path = write(
        tmp_path,
        "名称,緯度,経度\n片町一丁目,36.559958,136.653255\n,36.5,136.6\n広坂一丁目,北,東\n"
        "尾張町一丁目,nan,136.66\n武蔵町,36.5700,136.6550\n",
        "cp932",
    )
    from core.i18n import using_locale

    with using_locale("en"):
        rows, problems = read_places(path)
    assert [row.name for row in rows] == ["片町一丁目", "武蔵町"]
    assert [p.split(":")[0] for p in problems] == ["Row 3", "Row 4", "Row 5"]
    bom = write(tmp_path, "\ufeffname,lat,lon\n片町二丁目,36.560673,136.650627\n", name="bom.csv")
    assert [row.name for row in read_places(bom)[0]] == ["片町二丁目"]
    assert read_places(write(tmp_path, "town,x,y\n片町,1,2\n", name="no-coordinates.csv")) == (
        [],
        ["ファイルに lat と lon の列がありません。"],
    )  # in the default language


async def test_import_replaces_the_places_and_fills_postal_codes_and_readings(tmp_path, kanazawa):
    assert kanazawa == 1960 and await Place.count() == 1960
    katamachi = await Place.select().where(Place.name == "片町一丁目").first()
    assert (katamachi["postal_code"], katamachi["kana"]) == ("920-0981", "カタマチイッチョウメ")
    koaza = await Place.select().where(Place.name == "相合谷町イ").first()
    assert koaza["kana"] == "アオダニマチイ" and koaza["postal_code"]
    assert await AuditEvent.count().where(AuditEvent.action == "places.imported") == 1
    # A file of names only (no town/koaza columns) still gets the postal codes; an import replaces everything.
    path = write(
        tmp_path,
        "name,lat,lon\n片町二丁目,36.560673,136.650627\n香林坊一丁目,36.5616,136.6537\n"
        "相合谷町イ,36.498796,136.711451\n",
        "cp932",
    )
    assert await import_places(path) == 3
    assert await Place.select(Place.name, Place.postal_code, Place.kana).order_by(Place.id) == [
        {"name": "片町二丁目", "postal_code": "920-0981", "kana": "カタマチニチョウメ"},
        {"name": "香林坊一丁目", "postal_code": "920-0961", "kana": "コウリンボウイッチョウメ"},
        {"name": "相合谷町イ", "postal_code": "920-1322", "kana": "アオダニマチイ"},
    ]
    # A lone 片町 is in many cities: no postal code rather than another city's.
    assert await import_places(write(tmp_path, "name,lat,lon\n片町,36.56,136.65\n", name="lone.csv")) == 1
    assert (await Place.select(Place.postal_code).first())["postal_code"] == ""


async def test_a_file_without_usable_rows_imports_nothing(tmp_path, kanazawa):
    with pytest.raises(ValidationFailed):
        await import_places(write(tmp_path, "town,koaza,lat,lon\n片町一丁目,,,\n"))
    assert await Place.count() == kanazawa


async def test_a_town_name_finds_its_places(kanazawa):
    found = await find_places("片町")
    assert [m.name for m in found[:2]] == ["片町一丁目", "片町二丁目"] and found[0].how == "town"
    assert near(found[0], KATAMACHI)
    assert [m.name for m in await find_places("　片町２丁目 ")] == ["片町二丁目"]


async def test_kana_finds_the_same_places(kanazawa):
    for query in ("かたまち", "カタマチ", "ｶﾀﾏﾁ", "かたまちにちょうめ"):
        found = await find_places(query)
        assert found[0].name == ("片町二丁目" if "に" in query else "片町一丁目"), query
        assert near(found[0], KATAMACHI), query


async def test_a_postal_code_finds_the_mean_point_of_its_town(kanazawa):
    for query in ("920-0981", "9200981", "９２０－０９８１", "〒９２００９８１", "920ー0981"):
        found = await find_places(query)
        assert [(m.name, m.how) for m in found] == [("片町", "postal_code")], query
        assert found[0].lat == pytest.approx((36.559958 + 36.560673) / 2)
        assert near(found[0], KATAMACHI)


async def test_a_postal_code_of_several_towns_gives_one_match_per_town(kanazawa):
    found = await find_places("920-1101")
    assert {m.name for m in found} == {"荒山町", "奥新保町", "砂子坂町"}


async def test_a_postal_code_without_places_falls_back_to_the_venues():
    await make_venue(name="金沢市役所", postal_code="920-8577", lat=36.561437, lon=136.656526)
    assert await find_places("9208577") == [PlaceMatch("金沢市役所", 36.561437, 136.656526, "postal_code")]


async def test_chome_written_as_digits_or_in_an_address(kanazawa):
    for query in ("広坂1丁目", "広坂1", "広坂１", "広坂一丁目", "広坂1-1-1", "石川県金沢市広坂1丁目"):
        assert (await find_places(query))[0].name == "広坂一丁目", query


async def test_prefix_matches_come_before_substring_matches_shorter_first(kanazawa):
    assert [m.name for m in await find_places("広坂")] == ["広坂一丁目", "広坂二丁目"]
    names = [m.name for m in await find_places("本町", limit=20)]
    assert names[:2] == ["本町一丁目", "本町二丁目"]  # prefix, before the shorter 上野本町 that only contains 本町
    assert names[2:5] == ["上野本町", "北森本町", "南森本町"] and len(names) == 20
    assert all("本町" in name and not name.startswith("本町") for name in names[2:])
    assert [len(name) for name in names[2:]] == sorted(len(name) for name in names[2:])


async def test_a_substring_finds_names_containing_it(kanazawa):
    found = await find_places("番丁", limit=20)
    assert len(found) == 9 and all("番丁" in m.name and m.how == "town" for m in found)
    assert found[0].name == "西町三番丁"  # shortest first, then by name
    assert len(await find_places("番丁", limit=3)) == 3


async def test_unknown_queries_find_nothing(kanazawa):
    for query in ("存在しない町", "ほげほげ", "", "   ", "%", "_", "000-0000", "1234567"):
        assert await find_places(query) == [], query


def outreach(*args: str, lang: str = "en") -> subprocess.CompletedProcess:
    env = {**os.environ, "OUTREACH_LANG": lang}
    return subprocess.run([OUTREACH, *args], check=False, capture_output=True, text=True, timeout=120, env=env)


async def test_the_import_command_reports_problems_and_the_count(tmp_path):
    path = write(tmp_path, "town,koaza,lat,lon\n片町一丁目,,36.559958,136.653255\nいなほ三丁目,,,\n", "cp932")
    result = outreach("places", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert "1 places loaded." in result.stdout and "Row 3" in result.stderr and "いなほ三丁目" in result.stderr
    assert await Place.count() == 1
    empty = outreach("places", "import", str(write(tmp_path, "town,koaza,lat,lon\n", name="empty.csv")))
    assert empty.returncode == 1 and "nothing was imported" in empty.stderr
    assert await Place.count() == 1


LANDMARKS = DATA / "landmarks.csv"
KANAZAWA_STATION = (36.578, 136.649)


@pytest.fixture
async def kanazawa_and_landmarks() -> int:
    return await import_places(TOWN_POINTS, LANDMARKS)


async def test_romaji_and_english_town_names_find_the_town(kanazawa):
    for query in ("Katamachi", "katamachi", "KATAMACHI 2-chome", "Kanazawa, Katamachi", "Katamachi, Kanazawa-shi"):
        found = await find_places(query)
        assert found and found[0].name.startswith("片町") and near(found[0], KATAMACHI), query
    for query in ("Kōrinbō", "Kourinbou", "Korinbo"):  # Hepburn with or without macrons, or long vowels written out
        assert (await find_places(query))[0].name.startswith("香林坊"), query
    assert (await find_places("Hirosaka"))[0].name.startswith("広坂")
    assert await find_places("Xyzzy") == []


async def test_stations_and_landmarks_are_found_in_japanese_and_english(kanazawa_and_landmarks):
    assert kanazawa_and_landmarks == 1960 + 7
    for query in ("金沢駅", "かなざわえき", "Kanazawa Station", "kanazawa sta.", "Kanazawa-eki"):
        found = await find_places(query)
        assert found and found[0].name == "金沢駅" and near(found[0], KANAZAWA_STATION), query
    assert (await find_places("Kenrokuen Garden"))[0].name == "兼六園"
    assert (await find_places("Omicho Market"))[0].name == "近江町市場"
    assert (await find_places("Kanazawa Castle Park"))[0].name == "金沢城公園"
    assert (await find_places("Katamachi"))[0].name.startswith("片町")  # landmarks do not crowd out the towns


async def test_the_import_command_takes_several_files(tmp_path):
    towns = write(tmp_path, "town,koaza,lat,lon\n片町一丁目,,36.559958,136.653255\n")
    result = outreach("places", "import", str(towns), str(LANDMARKS))
    assert result.returncode == 0, result.stderr
    assert "8 places loaded." in result.stdout
    station = await Place.select().where(Place.name == "金沢駅").first()
    assert station["kana"] == "カナザワエキ"
