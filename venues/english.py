"""English names of venues where the facility list gives none (名称_英字 empty): the reading in romaji, title-cased,
with the words of facility names said in English (米丸公民館 ヨネマルコウミンカン → Yonemaru Community Hall)."""

from __future__ import annotations

import re

import jaconv

# Facility words (kanji, reading, English), longest first so that 市民センター wins over センター.
FACILITY_WORDS: tuple[tuple[str, str, str], ...] = (
    ("福祉健康センター", "フクシケンコウセンター", "Health and Welfare Center"),
    ("市民センター", "シミンセンター", "Civic Center"),
    ("地区センター", "チクセンター", "District Center"),
    ("公民館", "コウミンカン", "Community Hall"),
    ("図書館", "トショカン", "Library"),
    ("児童館", "ジドウカン", "Children's Center"),
    ("体育館", "タイイクカン", "Gymnasium"),
    ("美術館", "ビジュツカン", "Art Museum"),
    ("博物館", "ハクブツカン", "Museum"),
    ("史料館", "シリョウカン", "Archives"),
    ("資料館", "シリョウカン", "Museum"),
    ("市役所", "シヤクショ", "City Hall"),
    ("文化ホール", "ブンカホール", "Culture Hall"),
    ("分館", "ブンカン", "Branch"),
    ("会館", "カイカン", "Hall"),
    ("集会所", "シュウカイジョ", "Meeting Hall"),
    ("センター", "センター", "Center"),
    ("ホール", "ホール", "Hall"),
)
_WORDS = {kanji: (kana, english) for kanji, kana, english in FACILITY_WORDS}
_SPLIT = re.compile("(" + "|".join(re.escape(kanji) for kanji, _kana, _english in FACILITY_WORDS) + ")")


def romaji(kana: str) -> str:
    """A reading in Hepburn romaji without macrons, title-cased (ジョウナン → Jonan)."""
    text = jaconv.kata2alphabet(jaconv.hira2kata(kana)).replace("-", "")
    text = re.sub(r"ou|oo", "o", text)
    return re.sub(r"uu", "u", text).title()


def _plain(kanji: str, reading: str) -> str:
    """A part of a name that is no facility word: its romaji, with a city said as such (金沢市 → Kanazawa City)."""
    if kanji.endswith("市") and reading.endswith("シ") and len(reading) > 1:
        return romaji(reading[:-1]) + " City"
    return romaji(reading)


def english_name(name: str, kana: str) -> str:
    """The venue's name in English, or "" when its reading is unknown (then the Japanese name is shown)."""
    kana = jaconv.hira2kata(re.sub(r"\s", "", kana or ""))
    if not kana or not re.fullmatch(r"[ァ-ヶー]+", kana):
        return ""
    parts = [part for part in _SPLIT.split(name) if part]
    words: list[str] = []
    cursor, before = 0, ""
    for part in parts:
        if part not in _WORDS:
            before = part
            continue
        reading, english = _WORDS[part]
        found = kana.find(reading, cursor)
        if found < 0:
            return romaji(kana)
        if found > cursor:
            words.append(_plain(before, kana[cursor:found]))
        words.append(english)
        cursor, before = found + len(reading), ""
    if cursor < len(kana):
        words.append(_plain(before, kana[cursor:]))
    return " ".join(words)
