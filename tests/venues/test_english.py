"""English names of venues from their readings, with facility words in English."""

from __future__ import annotations

import pytest

from venues.english import english_name


@pytest.mark.parametrize(
    ("name", "kana", "english"),
    [
        ("米丸公民館", "ヨネマルコウミンカン", "Yonemaru Community Hall"),
        ("城南公民館", "ジョウナンコウミンカン", "Jonan Community Hall"),
        ("玉川図書館城北分館", "タマガワトショカンジョウホクブンカン", "Tamagawa Library Johoku Branch"),
        ("金沢市文化ホール", "カナザワシブンカホール", "Kanazawa City Culture Hall"),
        ("駅西福祉健康センター", "エキニシフクシケンコウセンター", "Ekinishi Health and Welfare Center"),
        ("駅西市民センター", "えきにし しみんせんたー", "Ekinishi Civic Center"),
        ("イオン金沢店", "", ""),  # no reading: the Japanese name is shown
    ],
)
def test_english_venue_names_say_the_facility_in_english(name, kana, english):
    assert english_name(name, kana) == english
