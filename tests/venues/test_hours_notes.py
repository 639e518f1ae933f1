"""The 利用可能時間特記事項 translator: every note pattern of issue 15, on Kanazawa's rows and other cities' notes."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from core.i18n import using_locale
from venues.hours_notes import read_hours
from venues.opening_rules import booth_window, describe_rule, is_valid_rule, open_windows

KANAZAWA = Path(__file__).resolve().parents[2] / "data" / "kanazawa" / "public_facilities.csv"
TEN, FIVE = dt.time(10), dt.time(17)


def booth(rule: str, date: dt.date) -> tuple[dt.time, dt.time] | None:
    """The 10:00–17:00 booth window (at least 4 hours) the rule allows on the date."""
    return booth_window(open_windows(rule, date, date).get(date, []), TEN, FIVE, 4)


def kanazawa_row(name: str) -> dict[str, str]:
    with KANAZAWA.open(encoding="utf-8-sig") as file:
        return next(row for row in csv.DictReader(file) if row["名称"] == name)


def read_row(row: dict[str, str]):
    return read_hours(row["利用可能曜日"], row["開始時間"], row["終了時間"], row["利用可能時間特記事項"])


@pytest.mark.parametrize("name", ["米丸公民館", "粟崎公民館"])
def test_kanazawa_halls_with_saturday_mornings_get_no_saturday_booth(name: str) -> None:
    reading = read_row(kanazawa_row(name))
    assert reading.unread == ()
    assert is_valid_rule(reading.rule)
    saturday, friday = dt.date(2027, 6, 12), dt.date(2027, 6, 11)
    assert open_windows(reading.rule, saturday, saturday)[saturday][0][0] in (dt.time(8, 30), dt.time(9))
    assert booth(reading.rule, saturday) is None
    assert booth(reading.rule, friday) == (TEN, FIVE)


def test_yonemaru_closes_for_obon_holidays_and_the_year_end_to_january_4() -> None:
    rule = read_row(kanazawa_row("米丸公民館")).rule
    for closed in (dt.date(2027, 8, 16), dt.date(2028, 1, 4), dt.date(2027, 3, 22), dt.date(2026, 9, 22)):
        assert booth(rule, closed) is None, closed  # 2027-03-22 振替休日, 2026-09-22 国民の休日
    assert booth(rule, dt.date(2027, 8, 17)) == (TEN, FIVE)


def test_most_of_the_kanazawa_list_is_read_and_every_rule_parses() -> None:
    with KANAZAWA.open(encoding="utf-8-sig") as file:
        rows = list(csv.DictReader(file))
    readings = [read_row(row) for row in rows]
    assert all(is_valid_rule(r.rule) for r in readings if r.rule)
    unread = [r for r in readings if r.unread]
    assert len(unread) <= 20, [r.unread for r in unread]
    assert ("特別整理期間",) in [r.unread for r in unread]  # no dates given: staff decide


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("なお土曜日8:30~12:00迄開館", "Sa 08:30-12:00"),
        ("なお土曜日8：30～12：00迄開館となります。", "Sa 08:30-12:00"),
        ("土曜日の開館時間は9:00～12:45", "Sa 09:00-12:45"),
        ("土曜・日曜・祝日の開館時間：午前10時～午後５時", "Sa,Su 10:00-17:00; PH 10:00-17:00"),
        ("休館日:原則第1･3水曜日（祝日の場合はその翌日）", "We[1,3] off; PH +1 day off"),
        ("休館日：第２・４月曜日", "Mo[2,4] off"),
        ("休館日：第1,3,5日曜日", "Su[1,3,5] off"),
        ("休館日：毎月最終月曜日", "Mo[-1] off"),
        ("休館日:月曜日（祝日の場合は次の平日）", "Mo off; PH +1 day off"),
        ("12月28日から１月４日は利用不可", "Dec 28-Jan 04 off"),
        ("休館日：年末年始（１２月２８日～１月５日）", "Dec 28-Jan 05 off"),
        ("休館日：旧盆（8月14日～16日）", "Aug 14-Aug 16 off"),
        ("休館日：お盆", "Aug 13-Aug 16 off"),
        ("休館日：土日、祝日", "Sa,Su off; PH off"),
        ("休館日：日曜（第3を除く）", "Su[1,2,4,5] off"),
        ("毎年4月1日から11月30日まで", "Apr 01-Nov 30 Mo-Fr 09:00-17:00"),
        ("※11月～３月：午前９時から午後４時まで", "Nov-Mar Mo-Fr 09:00-16:00"),
    ],
)
def test_each_note_pattern_becomes_an_opening_hours_rule(note: str, expected: str) -> None:
    reading = read_hours("月火水木金", "09:00", "17:00", note)
    assert reading.unread == ()
    assert is_valid_rule(reading.rule)
    for part in expected.split("; "):
        assert part in reading.rule.split("; "), (part, reading.rule)


def test_other_cities_notes_in_the_same_style() -> None:
    # 架空の「みなと市」: full-width digits, 及び, a last-Monday closure and a winter season on one row
    reading = read_hours(
        "月火水木金土日",
        "09:00",
        "21:00",
        "休館日：毎月最終月曜日（祝日の場合はその翌日）及び１２月２８日から１月４日、旧盆休暇。\n"
        "１２月～２月：午前９時から午後５時まで\u3000館長が必要と認めた場合は臨時休館あり",
    )
    assert reading.unread == ()
    assert reading.ignored == ("館長が必要と認めた場合は臨時休館あり",)
    rule = reading.rule
    assert booth(rule, dt.date(2027, 5, 31)) is None  # the last Monday of May
    assert booth(rule, dt.date(2027, 5, 24)) == (TEN, FIVE)
    assert booth(rule, dt.date(2027, 8, 15)) is None
    assert booth(rule, dt.date(2027, 1, 13)) == (TEN, FIVE)
    assert open_windows(rule, dt.date(2027, 1, 13), dt.date(2027, 1, 13))[dt.date(2027, 1, 13)] == [
        (dt.time(9), dt.time(17))
    ]
    # 架空の「やまなみ町」: Saturday afternoon closing and the day after a holiday
    note = "休館日は日曜・祝日及び祝日の翌日。土曜日は8時30分から12時まで"
    rule = read_hours("月火水木金土", "08:30", "17:15", note).rule
    assert booth(rule, dt.date(2027, 6, 5)) is None  # Saturday
    assert booth(rule, dt.date(2027, 7, 20)) is None  # the day after 海の日 (7/19)
    assert booth(rule, dt.date(2027, 7, 21)) == (TEN, FIVE)


def test_a_note_it_cannot_read_is_listed_for_staff() -> None:
    reading = read_hours("月火水木金", "09:00", "17:00", "休館日：土曜午後、市祭日、展示替期間、年末年始")
    assert reading.unread == ("土曜午後", "市祭日", "展示替期間")
    assert "Dec 29-Jan 03 off" in reading.rule


def test_a_row_without_days_or_hours_has_no_rule() -> None:
    assert read_hours("", "09:00", "17:00", "休館日：月曜日").rule == ""
    assert read_hours("月火", None, None, "").rule == ""


def test_the_rule_in_words_in_japanese() -> None:
    with using_locale("ja"):
        lines = describe_rule("Mo-Sa 08:30-17:20; Sa 08:30-12:00; We[1,3] off; Mo[-1] off; PH off; Dec 28-Jan 04 off")
    assert lines == [
        "月曜～土曜 08:30–17:20 開館",
        "土曜 08:30–12:00 開館",
        "休館：毎月第1・第3水曜",
        "休館：毎月最終月曜",
        "休館：国民の祝日",
        "休館：12/28～1/4",
    ]
