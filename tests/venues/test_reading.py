"""50音順 of venue names by their reading."""

from __future__ import annotations

from venues.reading import gojuon_key, reading


def test_names_sort_in_gojuon_order_by_their_reading():
    venues = [
        ("", "金沢市役所"),  # no reading known: last
        ("ワリダシコウミンカン", "割出公民館"),
        ("ギンザ", "銀座会館"),
        ("ｷﾀ", "北会館"),  # half-width kana in the list
        ("かなざわ", "金沢会館"),  # hiragana in the list
        ("", "イオン金沢店"),  # read from the name's kana
        ("ガッコウ", "学校"),
        ("アサノガワ", "浅野川会館"),
    ]
    ordered = [name for _kana, name in sorted(venues, key=lambda v: gojuon_key(*v))]
    assert ordered == [
        "浅野川会館",
        "イオン金沢店",
        "学校",
        "金沢会館",
        "北会館",
        "銀座会館",
        "割出公民館",
        "金沢市役所",
    ]


def test_reading_is_full_width_katakana():
    assert reading("ｶﾅｻﾞﾜ", "金沢") == "カナザワ"
    assert reading("", "もりの里会館") == "モリノ"
    assert reading("", "金沢") == ""
