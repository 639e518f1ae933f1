"""Tests of the pure 「公共施設一覧」 parser and exporter (venues.facility_list): no database, no web.

Most tests build a small CSV file as bytes from a list of dicts (see ``make_csv``), parse it and look at
the records and at the problems' row number, column, value, code and severity.  The last tests run
the real Kanazawa files under data/kanazawa/.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from core.i18n import using_locale
from venues.facility_list import (
    CANDIDATE_KINDS,
    EXPORT_COLUMNS,
    PERMANENT_KINDS,
    PROBLEM_CODES,
    STANDARD_COLUMNS,
    VENUE_KINDS,
    ParseResult,
    Problem,
    VenueRecord,
    export_facility_list,
    kind_label,
    parse_facility_list,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "kanazawa"
PUBLIC_FACILITIES = DATA / "public_facilities.csv"
COMMERCIAL_VENUES = DATA / "commercial_venues.csv"

# A complete, valid community hall in central Kanazawa; tests change the cells they are about.
BASE_ROW: dict[str, str] = {
    "ID": "T-001",
    "名称": "広坂公民館",
    "名称_カナ": "ヒロサカコウミンカン",
    "POIコード": "1307",
    "所在地_連結表記": "石川県金沢市広坂1-1-1",
    "所在地_町字": "広坂1丁目",
    "緯度": "36.5613",
    "経度": "136.6562",
    "利用可能曜日": "月火水木金",
    "開始時間": "09:00",
    "終了時間": "17:00",
    "車椅子可": "可",
}
# Points a few km apart in Kanazawa, for files that need several valid rows.
KANAZAWA_POINTS = [
    ("36.5613", "136.6562"),
    ("36.5780", "136.6480"),
    ("36.5450", "136.6800"),
    ("36.5900", "136.6200"),
    ("36.5300", "136.6400"),
    ("36.6000", "136.6900"),
]


# --- helpers ---------------------------------------------------------------------------------------


def venue(**cells: str) -> dict[str, str]:
    """A row: BASE_ROW with some cells changed, e.g. ``venue(名称="泉野図書館", POIコード="1512")``."""
    return {**BASE_ROW, **cells}


def make_csv(
    rows: Iterable[dict[str, str]],
    *,
    columns: list[str] | None = None,
    encoding: str = "utf-8",
    bom: bool = False,
    newline: str = "\r\n",
) -> bytes:
    """CSV bytes with a header of ``columns`` (default: the keys of the first row) and one line per row."""
    rows = list(rows)
    columns = columns if columns is not None else list(rows[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    data = buffer.getvalue().encode(encoding)
    return codecs.BOM_UTF8 + data if bom else data


def parse(rows: Iterable[dict[str, str]], **kwargs: Any) -> ParseResult:
    """Parse rows written by ``make_csv`` with its defaults."""
    return parse_facility_list(make_csv(rows), **kwargs)


def parse_one(**cells: str) -> ParseResult:
    """Parse a file with one row: ``venue(**cells)``."""
    return parse([venue(**cells)])


def summary(problems: Iterable[Problem]) -> list[tuple[int, str, str, str, str]]:
    """Problems as ``(row_number, column, value, code, severity)`` tuples."""
    return [(p.row_number, p.column, p.value, p.code, p.severity) for p in problems]


def codes(result: ParseResult) -> list[str]:
    """The codes of all problems of a result, in order."""
    return [problem.code for problem in result.problems]


def only_record(result: ParseResult) -> VenueRecord:
    """The single record of a one-row file."""
    assert len(result.records) == 1, summary(result.problems)
    return result.records[0]


def without_position(records: Iterable[VenueRecord]) -> list[VenueRecord]:
    """Records with ``row_number`` and ``raw`` blanked, for round-trip comparisons."""
    return [dataclasses.replace(record, row_number=0, raw={}) for record in records]


def exported_rows(records: Iterable[VenueRecord], encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    """The data rows of an export, as column -> cell."""
    text = export_facility_list(records, encoding=encoding).decode(encoding)
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture(scope="module")
def kanazawa() -> ParseResult:
    """The real Kanazawa public facility list, parsed once."""
    return parse_facility_list(PUBLIC_FACILITIES.read_bytes())


# --- a valid row -----------------------------------------------------------------------------------


def test_valid_row_gives_a_complete_record() -> None:
    result = parse_one()
    record = only_record(result)
    assert result.problems == []
    assert result.encoding == "utf-8"
    assert result.total_rows == 1
    assert record.row_number == 2
    assert (record.venue_id, record.name, record.name_kana) == ("T-001", "広坂公民館", "ヒロサカコウミンカン")
    assert (record.kind, record.kind_source, record.poi_code) == ("community_hall", "poi", "1307")
    assert (record.address, record.town) == ("石川県金沢市広坂1-1-1", "広坂1丁目")
    assert (record.lat, record.lon) == (36.5613, 136.6562)
    assert (record.open_days, record.open_from, record.open_until) == ("月火水木金", "09:00", "17:00")
    assert record.wheelchair and not record.barrier_free_toilet
    assert record.raw["名称"] == "広坂公民館"


# --- 1. encodings and line endings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom", "newline", "detected"),
    [
        ("utf-8", True, "\r\n", "utf-8-sig"),
        ("utf-8", False, "\r\n", "utf-8"),
        ("utf-8", False, "\n", "utf-8"),
        ("utf-8", True, "\n", "utf-8-sig"),
        ("cp932", False, "\r\n", "cp932"),
        ("cp932", False, "\n", "cp932"),
    ],
)
def test_encodings_and_line_endings(encoding: str, bom: bool, newline: str, detected: str) -> None:
    rows = [venue(), venue(ID="T-002", 名称="泉野図書館", POIコード="1512", 所在地_町字="泉野町４丁目")]
    result = parse_facility_list(make_csv(rows, encoding=encoding, bom=bom, newline=newline))
    assert result.encoding == detected
    assert result.problems == []
    assert [record.name for record in result.records] == ["広坂公民館", "泉野図書館"]
    assert result.records[1].town == "泉野町４丁目"
    assert result.records[0].raw["名称"] == "広坂公民館"  # no BOM left in the first header


def test_cell_with_a_line_break_is_one_row() -> None:
    result = parse([venue(利用可能時間特記事項="休館日:\r\n土日祝"), venue(ID="T-002")])
    assert [record.row_number for record in result.records] == [2, 3]
    assert result.records[0].hours_note == "休館日:\r\n土日祝"


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF16_LE + "名称,緯度,経度\r\n広坂公民館,36.5,136.6\r\n".encode("utf-16-le"),
        b"\x81\x20\x81\x20\x82",  # broken Shift_JIS double-byte sequences
        codecs.BOM_UTF8 + "名称,緯度,経度\r\n".encode("cp932"),  # a BOM, then not UTF-8
        bytes(range(256)),
    ],
    ids=["utf-16", "broken-sjis", "bom-then-sjis", "binary"],
)
def test_undecodable_file_is_a_file_error(data: bytes) -> None:
    result = parse_facility_list(data)
    assert summary(result.problems) == [(0, "", "", "encoding_unknown", "error")]
    assert result.records == [] and result.total_rows == 0 and result.has_errors
    assert result.encoding == ""


def test_empty_file_is_a_file_error() -> None:
    assert codes(parse_facility_list(b"")) == ["file_empty"]
    assert codes(parse_facility_list(codecs.BOM_UTF8 + b"\r\n")) == ["file_empty"]


# --- 2. columns: extra, missing, reordered, width variants -----------------------------------------


def test_columns_are_found_by_name_in_any_order_with_extra_columns() -> None:
    columns = ["メモ", "経度", "緯度", "名称", "_id", "ID", "POIコード", "利用可能曜日", "開始時間", "終了時間"]
    rows = [venue(メモ="x", _id="1")]
    record = only_record(parse_facility_list(make_csv(rows, columns=columns)))
    assert (record.name, record.lat, record.lon, record.kind) == ("広坂公民館", 36.5613, 136.6562, "community_hall")
    assert record.raw["メモ"] == "x" and record.raw["_id"] == "1"
    assert record.address == "" and record.town == ""  # address columns missing: empty, no problem


def test_headers_with_spaces_and_full_width_characters_are_recognised() -> None:
    columns = [" 名称 ", "ＩＤ", "ＰＯＩコード", "緯度\u3000", "経度", "ＵＲＬ", "利用可能曜日", "開始時間", "終了時間"]
    row = {
        " 名称 ": "広坂公民館",
        "ＩＤ": "T-009",
        "ＰＯＩコード": "１３０７",
        "緯度\u3000": "３６．５６１３",
        "経度": "136.6562",
        "ＵＲＬ": "https://example.jp/",
        "利用可能曜日": "月～金",
        "開始時間": "９：００",
        "終了時間": "１７：００",
    }
    result = parse_facility_list(make_csv([row], columns=columns))
    record = only_record(result)
    assert result.problems == []
    assert (record.venue_id, record.poi_code, record.lat) == ("T-009", "1307", 36.5613)
    assert record.url == "https://example.jp/"
    assert (record.open_days, record.open_from, record.open_until) == ("月火水木金", "09:00", "17:00")


def test_missing_name_column_is_a_file_error() -> None:
    rows = [{"ID": "T-001", "緯度": "36.5", "経度": "136.6"}]
    result = parse(rows)
    assert summary(result.problems) == [(0, "名称", "", "column_missing", "error")]
    assert result.problems[0].params == {"column": "名称"}
    assert result.records == [] and result.total_rows == 1


def test_missing_coordinate_columns_are_file_errors() -> None:
    result = parse([{"名称": "広坂公民館", "POIコード": "1307"}])
    assert summary(result.problems) == [
        (0, "緯度", "", "column_missing", "error"),
        (0, "経度", "", "column_missing", "error"),
    ]
    with using_locale("en"):
        assert "緯度" in result.problems[0].message


def test_duplicate_column_uses_the_first_and_warns() -> None:
    data = (
        "名称,緯度,経度,名称,POIコード,利用可能曜日,開始時間,終了時間\r\n"
        "広坂公民館,36.5613,136.6562,別の名前,1307,月,9:00,17:00\r\n".encode()
    )
    result = parse_facility_list(data)
    assert only_record(result).name == "広坂公民館"
    assert summary(result.problems)[0] == (0, "名称", "名称", "column_duplicate", "warning")


def test_row_longer_than_the_header_warns() -> None:
    data = "名称,緯度,経度,POIコード\r\n広坂公民館,36.5613,136.6562,1307,余分\r\n".encode()
    result = parse_facility_list(data)
    assert (2, "", "", "row_too_long", "warning") in summary(result.problems)
    assert len(result.records) == 1


def test_unreadable_csv_is_a_file_error() -> None:
    data = b'\xef\xbb\xbf\xe5\x90\x8d\xe7\xa7\xb0\r\n"' + b"x" * 200_000 + b'"\r\n'  # 名称, then a huge cell
    result = parse_facility_list(data)
    assert summary(result.problems) == [(0, "", "", "csv_malformed", "error")]
    assert "detail" in result.problems[0].params


def test_blank_lines_are_skipped_but_keep_row_numbers() -> None:
    data = make_csv([venue()]) + b"\r\n,,,,,,,,,,,,\r\n" + make_csv([venue(ID="T-002")]).split(b"\r\n", 1)[1]
    result = parse_facility_list(data)
    assert [record.row_number for record in result.records] == [2, 5]
    assert result.total_rows == 2


# --- 3. opening days -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "days"),
    [
        ("月火水木金", "月火水木金"),
        ("月;火;水", "月火水"),
        ("月・火・水", "月火水"),
        ("月、火", "月火"),
        ("月,火", "月火"),
        ("月～金", "月火水木金"),
        ("月-金", "月火水木金"),
        ("月〜金", "月火水木金"),
        ("月曜日～金曜日", "月火水木金"),
        ("平日", "月火水木金"),
        ("土日祝", "土日祝"),
        ("土日祝日", "土日祝"),
        ("平日・祝日", "月火水木金祝"),
        ("日月火水木金土", "月火水木金土日"),
        ("月\u3000火\u3000水", "月火水"),  # full-width spaces
        ("金～月", "月金土日"),  # a range across the weekend
        ("月火水木金土日", "月火水木金土日"),  # no 祝 unless written
    ],
)
def test_open_days_forms(cell: str, days: str) -> None:
    result = parse_one(利用可能曜日=cell)
    assert only_record(result).open_days == days
    assert result.problems == []


def test_open_days_with_an_unreadable_part_keeps_the_rest_and_warns() -> None:
    result = parse_one(利用可能曜日="月火水木金;第２第４土")
    assert only_record(result).open_days == "月火水木金"
    assert summary(result.problems) == [(2, "利用可能曜日", "月火水木金;第２第４土", "open_days_partial", "warning")]
    assert result.problems[0].params == {"ignored": "第2第4土", "days": "月火水木金"}


def test_unreadable_open_days_warn_and_give_no_days() -> None:
    result = parse_one(利用可能曜日="無")
    assert only_record(result).open_days == ""
    assert summary(result.problems) == [(2, "利用可能曜日", "無", "open_days_invalid", "warning")]


def test_empty_open_days_warn_for_candidates_only() -> None:
    result = parse(
        [venue(利用可能曜日=""), venue(ID="T-002", 名称="森本市民センター", POIコード="1304", 利用可能曜日="")]
    )
    assert [record.open_days for record in result.records] == ["", ""]
    assert summary(result.problems) == [(2, "利用可能曜日", "", "open_days_missing", "warning")]


# --- 4. opening hours ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "time"),
    [
        ("9:00", "09:00"),
        ("09:00", "09:00"),
        ("０９：００", "09:00"),
        ("9時", "09:00"),
        ("9時30分", "09:30"),
        ("0900", "09:00"),
        ("09:00:00", "09:00"),
        ("午前9時", "09:00"),
        ("9時半", "09:30"),
    ],
)
def test_opening_time_forms(cell: str, time: str) -> None:
    result = parse_one(開始時間=cell)
    assert only_record(result).open_from == time
    assert result.problems == []


@pytest.mark.parametrize(
    ("cell", "time"), [("17:15", "17:15"), ("午後5時", "17:00"), ("２１時", "21:00"), ("23:59", "23:59")]
)
def test_closing_time_forms(cell: str, time: str) -> None:
    assert only_record(parse_one(終了時間=cell)).open_until == time


@pytest.mark.parametrize("cell", ["日没", "24:00", "9:75", "夕方"])
def test_unreadable_time_warns_and_is_none(cell: str) -> None:
    result = parse_one(終了時間=cell)
    assert only_record(result).open_until is None
    assert summary(result.problems) == [(2, "終了時間", cell, "time_invalid", "warning")]


def test_empty_hours_warn_for_candidates_only() -> None:
    result = parse(
        [
            venue(開始時間="", 終了時間=""),
            venue(ID="T-002", 名称="市役所本庁舎", POIコード="1302", 開始時間="", 終了時間=""),
        ]
    )
    assert [(r.open_from, r.open_until) for r in result.records] == [(None, None), (None, None)]
    assert summary(result.problems) == [
        (2, "開始時間", "", "time_missing", "warning"),
        (2, "終了時間", "", "time_missing", "warning"),
    ]


def test_closing_before_opening_warns() -> None:
    result = parse_one(開始時間="17:00", 終了時間="9:00")
    assert summary(result.problems) == [(2, "終了時間", "9:00", "time_order", "warning")]
    assert result.problems[0].params == {"opens": "17:00", "closes": "09:00"}


# --- 5. kinds --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "kind"),
    [
        ("commercial", "commercial"),
        ("Community_Hall", "community_hall"),
        ("library", "library"),
        ("rental_hall", "rental_hall"),
        ("商業施設", "commercial"),
        ("ショッピングセンター", "commercial"),
        ("ｼｮｯﾋﾟﾝｸﾞｾﾝﾀｰ", "commercial"),
        ("公民館", "community_hall"),
        ("図書館", "library"),
        ("福祉施設", "welfare"),
        ("ホール", "rental_hall"),
        ("貸館", "rental_hall"),
        ("貸館・ホール", "rental_hall"),
        ("市役所", "city_hall"),
        ("市民センター", "civic_center"),
        ("civic_center", "civic_center"),
    ],
)
def test_kind_column_values(cell: str, kind: str) -> None:
    # a park by its POI code, so that only the column can make it a venue
    result = parse_one(名称="テスト施設", POIコード="1003", 会場種別=cell)
    record = only_record(result)
    assert (record.kind, record.kind_source) == (kind, "column")
    assert all(problem.severity == "warning" for problem in result.problems)


def test_kind_column_agreeing_with_the_poi_code_keeps_poi_as_source() -> None:
    record = only_record(parse_one(会場種別="公民館"))
    assert (record.kind, record.kind_source) == ("community_hall", "poi")


def test_unknown_kind_column_value_is_a_row_error() -> None:
    result = parse([venue(会場種別="体育館"), venue(ID="T-002", 会場種別="")])
    assert summary(result.errors) == [(2, "会場種別", "体育館", "kind_unknown", "error")]
    assert [record.row_number for record in result.records] == [3]


def test_kind_column_can_exclude_a_row() -> None:
    result = parse_one(会場種別="対象外")
    assert result.records == []
    assert summary(result.problems) == [(2, "会場種別", "対象外", "excluded_by_column", "excluded")]


@pytest.mark.parametrize(
    ("poi", "kind"),
    [
        ("1307", "community_hall"),
        ("1304", "civic_center"),
        ("1302", "city_hall"),
        ("1512", "library"),
        ("1409", "welfare"),
        ("1499", "welfare"),
        ("1602", "welfare"),
        ("1016", "rental_hall"),
        ("1305", "rental_hall"),
        ("1306", "rental_hall"),
        ("1399", "rental_hall"),
        ("1514", "rental_hall"),
        ("１３０７", "community_hall"),
        ("1307.0", "community_hall"),
    ],
)
def test_poi_codes_of_venues(poi: str, kind: str) -> None:
    record = only_record(parse_one(名称="テスト施設", POIコード=poi))
    assert (record.kind, record.kind_source) == (kind, "poi")


@pytest.mark.parametrize(
    ("poi", "code"),
    [
        ("1003", "excluded_park"),
        ("1503", "excluded_school"),
        ("1504", "excluded_school"),
        ("1110", "excluded_sports"),
        ("1106", "excluded_sports"),
        ("1601", "excluded_poi_code"),
        ("801", "excluded_poi_code"),
    ],
)
def test_other_poi_codes_are_excluded(poi: str, code: str) -> None:
    result = parse_one(名称="広坂公民館", POIコード=poi)  # the POI code wins over the name
    assert result.records == []
    assert summary(result.problems) == [(2, "POIコード", poi, code, "excluded")]
    assert not result.has_errors and len(result.excluded) == 1


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("広坂公民館", "community_hall"),
        ("東部コミュニティセンター", "community_hall"),
        ("北地区会館", "community_hall"),
        ("西町集会所", "community_hall"),
        ("みなみ交流センター", "community_hall"),
        ("駅西市民センター", "civic_center"),
        ("山側支所", "civic_center"),
        ("駅前出張所", "civic_center"),
        ("金沢市役所", "city_hall"),
        ("市役所本庁舎", "city_hall"),
        ("泉野図書館", "library"),
        ("地区図書室", "library"),
        ("老人福祉センター", "welfare"),
        ("高齢者サロン", "welfare"),
        ("介護予防プラザ", "welfare"),
        ("障害者支援センター", "welfare"),
        ("金沢市文化ホール", "rental_hall"),
        ("ものづくり会館", "rental_hall"),
        ("北部文化センター", "rental_hall"),
        ("職員研修センター", "rental_hall"),
        ("イオン金沢店", "commercial"),
        ("ｲｵﾝﾓｰﾙ新小松", "commercial"),
        ("ショッピングプラザ", "commercial"),
        ("駅前モール", "commercial"),
        ("商業ビル", "commercial"),
        ("スーパーまるなか", "commercial"),
        # order: 公民館 wins, 市民センター before the generic センター words, 地区会館 before 会館
        ("公民館図書室", "community_hall"),
        ("福祉会館", "welfare"),
        ("市民センター図書室", "civic_center"),
    ],
)
def test_kind_inferred_from_the_name_without_poi_code(name: str, kind: str) -> None:
    record = only_record(parse_one(名称=name, POIコード=""))
    assert (record.kind, record.kind_source) == (kind, "name")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("松村なごみ小公園", "excluded_park"),
        ("平和町2丁目小緑地", "excluded_park"),
        ("泉野おあしす広場", "excluded_park"),
        ("中村町小学校", "excluded_school"),
        ("泉中学校", "excluded_school"),
        ("工業高等学校", "excluded_school"),
        ("金沢城", "excluded_kind_unknown"),
    ],
)
def test_names_that_are_not_venues_are_excluded(name: str, code: str) -> None:
    result = parse_one(名称=name, POIコード="")
    assert result.records == []
    assert summary(result.problems) == [(2, "名称", name, code, "excluded")]


def test_kind_unknown_exclusion_explains_how_to_set_it() -> None:
    result = parse_one(名称="金沢城", POIコード="")
    with using_locale("en"):
        assert "会場種別" in result.problems[0].message and "preview" in result.problems[0].message


def test_certificate_kiosk_is_excluded_even_under_community_hall_code() -> None:
    result = parse_one(名称="内川証明書交付機コーナー", POIコード="1307")
    assert result.records == []
    assert summary(result.problems) == [(2, "名称", "内川証明書交付機コーナー", "excluded_unstaffed", "excluded")]
    assert result.problems[0].params == {"word": "証明書交付機"}


def test_kind_overrides_win_and_can_include_an_excluded_row() -> None:
    rows = [venue(名称="大桑運動広場", POIコード="1106"), venue(ID="T-002", 会場種別="library"), venue(ID="T-003")]
    result = parse(rows, kind_overrides={2: "rental_hall", 3: "welfare"})
    assert [(r.row_number, r.kind, r.kind_source) for r in result.records] == [
        (2, "rental_hall", "override"),
        (3, "welfare", "override"),
        (4, "community_hall", "poi"),
    ]
    assert result.problems == []


def test_kind_override_can_exclude_a_row() -> None:
    result = parse([venue()], kind_overrides={2: "excluded"})
    assert result.records == []
    assert summary(result.problems) == [(2, "", "", "excluded_by_staff", "excluded")]


def test_unknown_kind_override_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse([venue()], kind_overrides={2: "park"})


def test_kind_constants_and_labels() -> None:
    assert set(CANDIDATE_KINDS) | set(PERMANENT_KINDS) == set(VENUE_KINDS)
    assert not set(CANDIDATE_KINDS) & set(PERMANENT_KINDS)
    with using_locale("ja"):
        assert [kind_label(kind) for kind in VENUE_KINDS] == [
            "商業施設",
            "公民館",
            "図書館",
            "福祉施設",
            "貸館・ホール",
            "市役所",
            "市民センター",
        ]
    with using_locale("en"):
        assert kind_label("community_hall") == "Community hall"
    assert kind_label("something_else") == "something_else"


# --- 6. coordinates --------------------------------------------------------------------------------


def test_missing_coordinates_are_errors() -> None:
    result = parse_one(緯度="", 経度="")
    assert result.records == []
    assert summary(result.problems) == [
        (2, "緯度", "", "coordinate_missing", "error"),
        (2, "経度", "", "coordinate_missing", "error"),
    ]


@pytest.mark.parametrize("cell", ["北緯36度", "36,5613", "nan", "1e2", "36.56.13"])
def test_coordinate_that_is_not_a_number_is_an_error(cell: str) -> None:
    result = parse_one(緯度=cell)
    assert summary(result.problems) == [(2, "緯度", cell, "coordinate_not_number", "error")]
    assert result.records == []


def test_coordinates_outside_japan_are_errors() -> None:
    result = parse([venue(緯度="51.5074", 経度="-0.1278"), venue(ID="T-002", 緯度="-36.5")])
    assert summary(result.problems) == [
        (2, "緯度", "51.5074", "lat_outside_japan", "error"),
        (2, "経度", "-0.1278", "lon_outside_japan", "error"),
        (3, "緯度", "-36.5", "lat_outside_japan", "error"),
    ]
    assert result.records == []


def test_missing_decimal_point_is_detected_and_corrected_value_suggested() -> None:
    result = parse([venue(緯度="36561437"), venue(ID="T-002", 経度="1366562")])
    assert summary(result.problems) == [
        (2, "緯度", "36561437", "lat_decimal_point", "error"),
        (3, "経度", "1366562", "lon_decimal_point", "error"),
    ]
    assert [problem.params for problem in result.problems] == [{"suggested": "36.561437"}, {"suggested": "136.6562"}]
    with using_locale("en"):
        assert "36.561437" in result.problems[0].message


def test_swapped_coordinates_are_detected() -> None:
    result = parse_one(緯度="136.6562", 経度="36.5613")
    assert summary(result.problems) == [(2, "", "136.6562, 36.5613", "coordinates_swapped", "error")]
    assert result.problems[0].params == {"lat": "36.5613", "lon": "136.6562"}


def test_point_far_from_the_rest_of_the_file_is_an_error() -> None:
    rows = [venue(ID=f"T-{i}", 緯度=lat, 経度=lon) for i, (lat, lon) in enumerate(KANAZAWA_POINTS)]
    rows.append(venue(ID="T-far", 緯度="36.6953", 経度="137.2113"))  # Toyama city, 47.7 km from the nearest
    result = parse(rows)
    assert summary(result.problems) == [(8, "", "36.6953, 137.2113", "far_from_city", "error")]
    assert result.problems[0].params["km"] == "47.7"
    assert len(result.records) == len(KANAZAWA_POINTS)
    with using_locale("en"):
        assert "far from every other facility" in result.problems[0].message.lower()


def test_far_check_needs_five_points_without_a_reference() -> None:
    rows = [venue(ID=f"T-{i}", 緯度=lat, 経度=lon) for i, (lat, lon) in enumerate(KANAZAWA_POINTS[:3])]
    rows.append(venue(ID="T-far", 緯度="36.6953", 経度="137.2113"))
    assert len(parse(rows).records) == 4


def test_far_check_uses_the_registered_venues() -> None:
    tokyo = [(f"R-{i}", 35.6812 + i * 0.01, 139.7671) for i in range(5)]  # venues around Tokyo station
    result = parse([venue()], reference_points=tokyo)
    assert codes(result) == ["far_from_city"] and result.records == []
    kanazawa = [(f"R-{i}", float(lat), float(lon)) for i, (lat, lon) in enumerate(KANAZAWA_POINTS)]
    assert parse([venue()], reference_points=kanazawa).records


def test_a_registered_venue_is_not_its_own_neighbour() -> None:
    """Re-importing a venue whose coordinates went wrong is caught, although the registry has it."""
    kanazawa = [(f"R-{i}", float(lat), float(lon)) for i, (lat, lon) in enumerate(KANAZAWA_POINTS)]
    moved = parse([venue(ID="R-0", 緯度="36.6953", 経度="137.2113")], reference_points=kanazawa)
    assert codes(moved) == ["far_from_city"]


def test_a_file_spanning_a_whole_prefecture_is_not_doubted() -> None:
    """Facilities 100 km apart are fine when each has neighbours: only isolated points are doubtful."""
    kanazawa = [(float(lat), float(lon)) for lat, lon in KANAZAWA_POINTS]
    wajima = [(37.39 + i * 0.01, 136.90) for i in range(5)]  # Noto, about 95 km north
    rows = [venue(ID=f"P-{i}", 緯度=str(lat), 経度=str(lon)) for i, (lat, lon) in enumerate(kanazawa + wajima)]
    result = parse(rows)
    assert codes(result) == [] and len(result.records) == len(rows)


def test_excluded_and_skipped_rows_get_no_warnings() -> None:
    park = venue(名称="金沢公園", POIコード="1003", 利用可能曜日="", 開始時間="日の出", 車椅子可="?", ID="")
    broken = venue(ID="", 緯度="", 利用可能曜日="無", 開始時間="")
    result = parse([park, broken])
    assert summary(result.problems) == [
        (2, "POIコード", "1003", "excluded_park", "excluded"),
        (3, "緯度", "", "coordinate_missing", "error"),
    ]


# --- 7. names and IDs ------------------------------------------------------------------------------


def test_missing_name_is_an_error() -> None:
    result = parse([venue(名称=""), venue(ID="T-002", 名称="", POIコード="")])
    assert summary(result.problems) == [
        (2, "名称", "", "name_missing", "error"),
        (3, "名称", "", "name_missing", "error"),
    ]
    assert result.records == []


def test_duplicate_id_is_an_error_on_the_later_row() -> None:
    result = parse([venue(), venue(名称="弥生公民館"), venue(ID="T-003")])
    assert summary(result.problems) == [(3, "ID", "T-001", "id_duplicate", "error")]
    assert result.problems[0].params == {"first_row": "2"}
    assert [record.row_number for record in result.records] == [2, 4]


def test_an_id_that_cannot_be_a_web_address_segment_is_an_error() -> None:
    """A venue whose ID holds a slash could never be opened or edited (/staff/venues/v/{id}/edit): refuse the row."""
    from core.i18n import using_locale

    ids = ["A/1", "Ａ／２", "C\\3", "..", "T-005", "6.0"]
    result = parse([venue(ID=venue_id, 名称=f"公民館{i}") for i, venue_id in enumerate(ids)])
    assert summary(result.errors) == [
        (2, "ID", "A/1", "id_unusable", "error"),
        (3, "ID", "A/2", "id_unusable", "error"),  # full-width, read as a slash
        (4, "ID", "C\\3", "id_unusable", "error"),
        (5, "ID", "..", "id_unusable", "error"),
    ]
    assert [record.venue_id for record in result.records] == ["T-005", "6.0"]
    with using_locale("ja"):
        message = result.errors[0].message
    assert "A/1" in message and "アドレスに使えません" in message


def test_missing_id_gets_a_stable_derived_id_and_a_warning() -> None:
    first = parse_one(ID="")
    again = parse_one(ID="", 開始時間="10:00")
    elsewhere = parse_one(ID="", 所在地_連結表記="石川県金沢市弥生1-29-13")
    venue_id = only_record(first).venue_id
    assert venue_id.startswith("X-") and len(venue_id) > 6
    assert only_record(again).venue_id == venue_id
    assert only_record(elsewhere).venue_id != venue_id
    assert summary(first.problems) == [(2, "ID", "", "id_missing", "warning")]
    assert first.problems[0].params == {"venue_id": venue_id}


def test_identical_rows_without_an_id_are_a_duplicate_on_the_later_row() -> None:
    result = parse([venue(ID=""), venue(ID="", 名称="弥生公民館"), venue(ID="")])
    derived = result.records[0].venue_id
    assert [record.row_number for record in result.records] == [2, 3]
    assert summary(result.errors) == [(4, "ID", derived, "id_duplicate", "error")]
    assert result.errors[0].params == {"first_row": "2"}


# --- other cells -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["https://www.city.kanazawa.ishikawa.jp/", "http://example.jp/a?b=1", "HTTPS://EX.JP"])
def test_web_addresses_are_kept(url: str) -> None:
    result = parse_one(URL=url)
    assert only_record(result).url == url and result.problems == []


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.domain)",
        "JavaScript:alert(1)",
        "data:text/html,<script>x</script>",
        "vbscript:msgbox",
        "www.example.jp",
        "//evil.example/",
        "https://",
    ],
)
def test_other_urls_are_left_out_with_a_warning(url: str) -> None:
    result = parse_one(URL=url)
    assert only_record(result).url == ""
    assert summary(result.problems) == [(2, "URL", url, "url_not_web", "warning")]


def test_address_is_joined_from_parts_and_town_derived() -> None:
    record = only_record(
        parse_one(
            所在地_連結表記="",
            所在地_都道府県="石川県",
            所在地_市区町村="金沢市",
            所在地_町字="",
            所在地_番地以下="1-1-1",
        )
    )
    assert record.address == "石川県金沢市1-1-1"
    derived = only_record(
        parse_one(
            所在地_連結表記="石川県金沢市大浦町ヌ93-1",
            所在地_町字="",
            所在地_都道府県="石川県",
            所在地_市区町村="金沢市",
        )
    )
    assert derived.town == "大浦町ヌ"


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("", False),
        ("1", True),
        ("○", True),
        ("可", True),
        ("有", True),
        ("多目的トイレ有り", True),
        ("スロープ有、エレベータ無", True),
        ("段差無し;階段無し", True),
        ("×", False),
        ("無", False),
        ("不可", False),
    ],
)
def test_accessibility_cells(cell: str, value: bool) -> None:
    result = parse_one(車椅子可=cell, バリアフリートイレ=cell)
    record = only_record(result)
    assert (record.wheelchair, record.barrier_free_toilet) == (value, value)
    assert result.problems == []


def test_unclear_accessibility_cell_warns() -> None:
    result = parse_one(優先駐車場="要相談")
    assert only_record(result).priority_parking is False
    assert summary(result.problems) == [(2, "優先駐車場", "要相談", "flag_unclear", "warning")]


def test_postal_code_and_kana_are_normalised() -> None:
    record = only_record(parse_one(郵便番号="９２００３７７", 名称_カナ="ﾋﾛｻｶｺｳﾐﾝｶﾝ"))
    assert (record.postal_code, record.name_kana) == ("920-0377", "ヒロサカコウミンカン")
    assert only_record(parse_one(郵便番号="-")).postal_code == ""


def test_problems_are_in_row_order() -> None:
    rows = [
        venue(ID="", 緯度=lat, 経度=lon) | {"名称": f"施設{i}公民館"} for i, (lat, lon) in enumerate(KANAZAWA_POINTS)
    ]
    rows.append(venue(ID="", 名称="遠い公民館", 緯度="36.6953", 経度="137.2113"))
    result = parse(rows)
    numbers = [problem.row_number for problem in result.problems]
    assert numbers == sorted(numbers) and numbers[-2:] == [8, 8]
    assert codes(result)[-2:] == ["id_missing", "far_from_city"]


# --- translation -----------------------------------------------------------------------------------


def test_problem_message_follows_the_locale() -> None:
    result = parse([venue(緯度="36561437"), venue(ID="T-002", 名称=""), venue(ID="T-003", 利用可能曜日="")])
    for problem in result.problems:
        with using_locale("ja"):
            japanese = problem.message
        with using_locale("en"):
            english = problem.message
        assert japanese != english, problem.code
        assert "{" not in japanese and "{" not in english
    with using_locale("en"):
        assert result.problems[0].message.startswith("The latitude 36561437 is outside Japan")
    with using_locale("ja"):
        assert "36.561437" in result.problems[0].message and "緯度" in result.problems[0].message


def test_every_problem_code_has_a_japanese_text() -> None:
    samples = {
        "value": "v",
        "column": "緯度",
        "detail": "d",
        "first_row": "2",
        "choices": "c",
        "suggested": "1",
        "lat": "1",
        "lon": "2",
        "km": "3",
        "cells": "4",
        "columns": "3",
        "venue_id": "X-1",
        "ignored": "i",
        "days": "月",
        "opens": "9",
        "closes": "8",
        "poi_code": "1",
        "word": "w",
        "clause": "土曜午後",
    }
    for code in PROBLEM_CODES:
        problem = Problem(2, "緯度", "v", code, "warning", samples)
        with using_locale("ja"):
            japanese = problem.message
        with using_locale("en"):
            english = problem.message
        assert japanese != english, code
        assert "{" not in japanese, code


# --- 8. the real Kanazawa files --------------------------------------------------------------------


def test_kanazawa_public_facilities(kanazawa: ParseResult) -> None:
    assert kanazawa.encoding == "utf-8-sig"
    assert kanazawa.total_rows == 1106
    assert kanazawa.errors == []
    by_kind = {kind: [r for r in kanazawa.records if r.kind == kind] for kind in VENUE_KINDS}
    assert len(by_kind["community_hall"]) == 62
    assert [r.venue_id for r in by_kind["city_hall"]] == ["AA0000001051"]
    assert len(by_kind["civic_center"]) == 14
    assert all(r.poi_code not in {"1003", "1503", "1504", "1505"} for r in kanazawa.records)
    schools = ("小学校", "中学校", "高等学校")  # 金沢職人大学校 (POI 1514) is a hall for hire, not a school
    assert not any(r.name.endswith("公園") or any(word in r.name for word in schools) for r in kanazawa.records)
    excluded_parks = [p for p in kanazawa.excluded if p.code == "excluded_park" and p.column == "POIコード"]
    assert len(excluded_parks) == 848
    kiosks = [p for p in kanazawa.excluded if p.code == "excluded_unstaffed"]
    assert [p.value for p in kiosks] == ["内川証明書交付機コーナー", "湯涌証明書交付機コーナー"]
    assert len(kanazawa.records) + len(kanazawa.excluded) == kanazawa.total_rows


def test_kanazawa_public_facilities_details(kanazawa: ParseResult) -> None:
    city_hall = next(r for r in kanazawa.records if r.venue_id == "AA0000001051")
    assert (city_hall.name, city_hall.town, city_hall.open_days) == ("市役所本庁舎", "広坂1丁目", "月火水木金")
    assert (city_hall.open_from, city_hall.open_until) == ("09:00", "17:45")
    assert city_hall.wheelchair and city_hall.barrier_free_toilet and city_hall.accessible_route
    assert city_hall.priority_parking
    zaimoku = next(r for r in kanazawa.records if r.name == "材木公民館")
    assert zaimoku.open_days == "月火水木金"
    assert (zaimoku.row_number, "open_days_partial") in [(p.row_number, p.code) for p in kanazawa.warnings]


def test_kanazawa_commercial_venues() -> None:
    result = parse_facility_list(COMMERCIAL_VENUES.read_bytes())
    assert result.encoding == "utf-8"
    assert result.problems == []
    assert [r.kind for r in result.records] == ["commercial"] * 4
    assert [r.venue_id for r in result.records] == ["COM-001", "COM-002", "COM-003", "COM-004"]
    assert [r.town for r in result.records] == ["福久", "もりの里", "武蔵町", "堀川新町"]  # derived from the address
    assert {r.open_days for r in result.records} == {"月火水木金土日祝"}


# --- export ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_export_round_trip_of_the_real_file(kanazawa: ParseResult, encoding: str) -> None:
    exported = export_facility_list(kanazawa.records, encoding=encoding)
    again = parse_facility_list(exported)
    assert again.encoding == encoding
    assert again.errors == [] and again.excluded == []
    assert without_position(again.records) == without_position(kanazawa.records)


def test_export_round_trip_of_the_commercial_file() -> None:
    records = parse_facility_list(COMMERCIAL_VENUES.read_bytes()).records
    again = parse_facility_list(export_facility_list(records)).records
    assert without_position(again) == without_position(records)


def test_export_format(kanazawa: ParseResult) -> None:
    exported = export_facility_list(kanazawa.records[:3])
    assert exported.startswith(codecs.BOM_UTF8)
    text = exported.decode("utf-8-sig")
    assert text.count("\r\n") == text.count("\n")  # CRLF everywhere (cells here have no line breaks)
    header = next(csv.reader(io.StringIO(text, newline="")))
    original_header = PUBLIC_FACILITIES.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert original_header[0] == "_id"
    assert tuple(header) == EXPORT_COLUMNS == tuple(original_header[1:]) + ("会場種別",)
    assert tuple(original_header[1:]) == STANDARD_COLUMNS
    first = exported_rows(kanazawa.records[:1])[0]
    record = kanazawa.records[0]
    assert first["会場種別"] == record.kind == "rental_hall"
    assert first["説明"] == record.raw["説明"]  # not modelled: from raw
    assert first["名称_通称"] == record.raw["名称_通称"]
    assert (first["車椅子可"], first["緯度"]) == ("1", "36.55886")


def test_export_writes_modelled_fields_from_the_record() -> None:
    record = only_record(
        parse_one(利用可能曜日="祝・月～金", 開始時間="9時", 終了時間="", 車椅子可="×", 優先駐車場="○")
    )
    changed = dataclasses.replace(record, name="新しい名前", raw={**record.raw, "説明": "説明文"})
    [row] = exported_rows([changed])
    assert row["名称"] == "新しい名前" and row["説明"] == "説明文"
    assert (row["利用可能曜日"], row["開始時間"], row["終了時間"]) == ("月火水木金祝", "09:00", "")
    assert (row["車椅子可"], row["優先駐車場"], row["会場種別"]) == ("", "1", "community_hall")


def test_export_of_records_without_raw_and_with_derived_id() -> None:
    record = dataclasses.replace(only_record(parse_one(ID="")), raw={})
    again = only_record(parse_facility_list(export_facility_list([record], encoding="cp932")))
    assert without_position([again]) == without_position([record])


def test_cp932_export_replaces_characters_it_cannot_hold() -> None:
    record = dataclasses.replace(only_record(parse_one()), name="𠮷野公民館〜", notes="Ōkuwa")
    data = export_facility_list([record], encoding="cp932")
    names = [r.name for r in parse_facility_list(data).records]
    assert names == ["〓野公民館～"]
    assert only_record(parse_facility_list(data)).notes == "〓kuwa"


def test_export_writes_cells_excel_would_run_as_formulas_as_text() -> None:
    record = dataclasses.replace(
        only_record(parse_one()),
        name='=HYPERLINK("http://evil.example","広坂公民館")',
        phone="+81-76-220-2111",
        notes="-2+3+cmd|' /C calc'!A0",
        hours_note="@SUM(A1)",
        hours_unread="@SUM(A1)",  # what the importer makes of that note: a clause it cannot read
        address="-",
        name_en="-12.5",
        raw={"説明": "=1+1", "高度の値": "-3.5", "外部識別子": "-"},
    )
    [row] = exported_rows([record])
    assert row["名称"].startswith("'=") and row["電話番号"] == "'+81-76-220-2111"
    assert row["備考"].startswith("'-2+3") and row["利用可能時間特記事項"] == "'@SUM(A1)"
    assert row["説明"] == "'=1+1"
    assert (row["所在地_連結表記"], row["名称_英字"], row["高度の値"], row["外部識別子"]) == ("-", "-12.5", "-3.5", "-")
    for encoding in ("utf-8-sig", "cp932"):
        again = only_record(parse_facility_list(export_facility_list([record], encoding=encoding)))
        assert without_position([again]) == without_position([record])


def test_export_rejects_unknown_encodings() -> None:
    with pytest.raises(ValueError):
        export_facility_list([], encoding="latin-1")
