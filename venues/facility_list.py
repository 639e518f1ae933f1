"""Read the Digital Agency standard facility list 「公共施設一覧」 (CSV) into venue records: no database, no web.

:func:`parse_facility_list` turns the bytes of an uploaded or bundled file into :class:`VenueRecord` s
that can be imported plus a list of :class:`Problem` s: errors skip a row, warnings flag a doubtful
one, exclusions drop rows that are not booth venues or application points (parks, schools, ...).
:func:`export_facility_list` writes records back in the same standard layout.  This module is the
public face of the facility-list import; the pieces live in ``facility_columns`` (the layout),
``facility_cells`` (reading single cells), ``facility_kinds`` (会場種別), ``facility_problems``
(problem codes and their translated texts) and ``facility_export`` (writing).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import jaconv

from core.geo import haversine_km
from core.spreadsheet import unescape_formula
from venues.facility_cells import (
    LAT_RANGE,
    LON_RANGE,
    derive_town,
    in_range,
    is_web_url,
    nfkc,
    normalize_postal_code,
    parse_coordinate,
    parse_flag,
    parse_open_days,
    parse_time,
    suggest_decimal_point,
)
from venues.facility_columns import (
    EXPORT_COLUMNS,
    FLAG_COLUMNS,
    KIND_COLUMN,
    REQUIRED_COLUMNS,
    STANDARD_COLUMNS,
    canonical_column,
)
from venues.facility_export import export_facility_list
from venues.facility_kinds import (
    CANDIDATE_KINDS,
    EXCLUDED,
    PERMANENT_KINDS,
    VENUE_KINDS,
    kind_label,
    normalize_poi_code,
    resolve_kind,
)
from venues.facility_problems import PROBLEM_CODES, Problem
from venues.hours_notes import read_hours

__all__ = [
    "CANDIDATE_KINDS",
    "EXPORT_COLUMNS",
    "FAR_FROM_CITY_KM",
    "KIND_COLUMN",
    "PERMANENT_KINDS",
    "PROBLEM_CODES",
    "STANDARD_COLUMNS",
    "VENUE_KINDS",
    "ParseResult",
    "Problem",
    "VenueRecord",
    "export_facility_list",
    "kind_label",
    "parse_facility_list",
]

FAR_FROM_CITY_KM = 30.0
"""A venue further than this from every other facility is taken to have wrong coordinates."""

MIN_POINTS_FOR_DISTANCE_CHECK = 5
GRID_DEGREES = 0.5
"""The distance check needs at least this many points (the file's and the registered venues')."""


@dataclass(frozen=True)
class VenueRecord:
    """One importable row of a facility list: a booth candidate or a permanent application point."""

    row_number: int
    venue_id: str
    name: str
    name_kana: str
    name_en: str
    kind: str
    kind_source: str
    poi_code: str
    address: str
    town: str
    postal_code: str
    phone: str
    lat: float
    lon: float
    open_days: str
    open_from: str | None
    open_until: str | None
    hours_note: str
    wheelchair: bool
    barrier_free_toilet: bool
    accessible_route: bool
    priority_parking: bool
    url: str
    notes: str
    raw: dict[str, str]
    opening_hours: str = ""
    """The opening rules in OpenStreetMap ``opening_hours`` syntax (venues.hours_notes)."""
    hours_unread: str = ""
    """The clauses of 利用可能時間特記事項 that could not be read, one a line."""


@dataclass
class ParseResult:
    """What :func:`parse_facility_list` found: importable records and every problem, in row order."""

    encoding: str
    records: list[VenueRecord]
    problems: list[Problem]
    total_rows: int

    def _with(self, severity: str) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == severity]

    @property
    def errors(self) -> list[Problem]:
        """Problems that made a row (or the file) unusable."""
        return self._with("error")

    @property
    def warnings(self) -> list[Problem]:
        """Problems on rows that were imported anyway."""
        return self._with("warning")

    @property
    def excluded(self) -> list[Problem]:
        """Rows left out because they are not booth venues or application points."""
        return self._with("excluded")

    @property
    def has_errors(self) -> bool:
        """Whether any row or the file itself has an error."""
        return any(problem.severity == "error" for problem in self.problems)


# --- reading ---------------------------------------------------------------------------------------

# C0/C1 controls, and what CP932 makes of the bytes 0xA0 and 0xFD-0xFF, which Shift_JIS text never has
# (user-defined characters, 外字, decode to U+E000-U+E757 and are let through).
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\uf8f0-\uf8f3]")


def _decode(data: bytes) -> tuple[str, str] | None:
    """The text and encoding of a file: UTF-8 with BOM, UTF-8, else CP932; ``None`` if none fits.

    Text with control characters is rejected too: that is how UTF-16 or binary files look once
    forced through CP932, which maps almost every byte to something.
    """
    if data.startswith(codecs.BOM_UTF8):
        attempts: tuple[str, ...] = ("utf-8-sig",)
    else:
        attempts = ("utf-8", "cp932")
    for encoding in attempts:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _NOT_TEXT.search(text):
            return text, encoding
    return None


def _map_columns(header: list[str]) -> tuple[dict[str, int], list[str], list[Problem]]:
    """Positions of the known columns (by canonical name), the cleaned header, and header problems."""
    positions: dict[str, int] = {}
    cleaned = [cell.replace("\ufeff", "").strip() for cell in header]
    problems: list[Problem] = []
    for index, cell in enumerate(cleaned):
        canonical = canonical_column(cell)
        if canonical is None:
            continue
        if canonical in positions:
            problems.append(Problem(0, canonical, cell, "column_duplicate", "warning", {"column": canonical}))
            continue
        positions[canonical] = index
    return positions, cleaned, problems


@dataclass
class _Row:
    """One data row, read by canonical column name."""

    number: int
    cells: list[str]
    positions: dict[str, int]
    header: list[str]

    def __getitem__(self, column: str) -> str:
        """The cell, trimmed, without the ``'`` our export puts before a leading ``= + - @`` (see facility_export)."""
        index = self.positions.get(column)
        if index is None or index >= len(self.cells):
            return ""
        return unescape_formula(self.cells[index].strip()).strip()

    def raw(self) -> dict[str, str]:
        """The row as written, header cell -> cell (the first of duplicate headers wins)."""
        raw: dict[str, str] = {}
        for index, column in enumerate(self.header):
            if column and column not in raw:
                raw[column] = self.cells[index] if index < len(self.cells) else ""
        return raw


_UNUSABLE_ID_CHARACTER = re.compile(r"[/\\\x00-\x1f\x7f]")


def usable_id(venue_id: str) -> bool:
    """Whether an ID can be one segment of the venue's addresses (/staff/venues/v/{id}/edit, its feed): a slash
    (also a backslash, which browsers read as one) splits the segment even when encoded, and "." or ".." is
    removed by the browser, so such a venue could never be opened or edited."""
    return not _UNUSABLE_ID_CHARACTER.search(venue_id) and venue_id.strip(".") != ""


def _derived_id(name: str, address: str) -> str:
    """A stable ID for a row without one: ``X-`` and a short hash of its name and address."""
    digest = hashlib.sha1(f"{nfkc(name).strip()}|{nfkc(address).strip()}".encode()).hexdigest()
    return f"X-{digest[:10]}"


def _address(row: _Row) -> str:
    """所在地_連結表記, or the address joined from its parts when that cell is empty."""
    joined = row["所在地_連結表記"]
    if joined:
        return joined
    parts = ("所在地_都道府県", "所在地_市区町村", "所在地_町字", "所在地_番地以下")
    return "".join(row[part] for part in parts)


def _kana(text: str) -> str:
    """名称_カナ in full-width katakana (half-width kana and hiragana converted)."""
    return jaconv.hira2kata(jaconv.h2z(text, kana=True, ascii=False, digit=False))


class _FileParser:
    """Parses the data rows of one decoded file; collects records, problems and valid points."""

    def __init__(self, overrides: Mapping[int, str]) -> None:
        self.overrides = overrides
        self.problems: list[Problem] = []
        self.records: list[VenueRecord] = []
        self.points: list[tuple[int, tuple[float, float]]] = []
        self.first_row_of_id: dict[str, int] = {}

    def problem(self, row: _Row, column: str, value: str, code: str, severity: str, **params: str) -> None:
        """Record a problem on a row."""
        self.problems.append(Problem(row.number, column, value, code, severity, params))

    def parse_row(self, row: _Row) -> None:
        """Parse one data row into a record, problems, or an exclusion."""
        first_problem = len(self.problems)
        width = len(row.header)
        if len(row.cells) > width and any(cell.strip() for cell in row.cells[width:]):
            self.problem(row, "", "", "row_too_long", "warning", cells=str(len(row.cells)), columns=str(width))
        name = row["名称"]
        given_id = nfkc(row["ID"]).strip()
        # A row without an ID gets one derived from its name and address, checked for duplicates like a given one
        # (two identical rows would otherwise both become the same new venue).
        venue_id = given_id or (_derived_id(name, _address(row)) if name else "")
        coordinates = self._coordinates(row)
        if coordinates is not None:
            self.points.append((row.number, coordinates))
        first_row = self.first_row_of_id.setdefault(venue_id, row.number) if venue_id else row.number

        poi_code = normalize_poi_code(row["POIコード"])
        decision = resolve_kind(name, poi_code, row[KIND_COLUMN], self.overrides.get(row.number))
        # A row without a name cannot be excluded *by its name*: that is a missing name (an error).
        if decision.severity == "excluded" and (name or decision.source != "name"):
            column, value = {
                "poi": ("POIコード", row["POIコード"]),
                "column": (KIND_COLUMN, row[KIND_COLUMN]),
                "name": ("名称", name),
            }.get(decision.source, ("", ""))
            self.problem(row, column, value, decision.problem_code or "", "excluded", **dict(decision.params))
            return

        if not name:
            self.problem(row, "名称", "", "name_missing", "error")
        if decision.severity == "error":
            choices = ", ".join(VENUE_KINDS)
            self.problem(row, KIND_COLUMN, row[KIND_COLUMN], "kind_unknown", "error", choices=choices)
        if given_id and not usable_id(given_id):
            self.problem(row, "ID", given_id, "id_unusable", "error")
        elif first_row != row.number:
            self.problem(row, "ID", venue_id, "id_duplicate", "error", first_row=str(first_row))
        self._check_coordinates(row)
        has_error = any(problem.severity == "error" for problem in self.problems[first_problem:])
        if has_error or decision.kind is None or coordinates is None:
            return
        if not given_id:
            self.problem(row, "ID", "", "id_missing", "warning", venue_id=venue_id)
        self.records.append(self._build_record(row, decision.kind, decision.source, venue_id, coordinates))

    @staticmethod
    def _coordinates(row: _Row) -> tuple[float, float] | None:
        """The row's (lat, lon) when both are numbers inside Japan, else ``None``."""
        lat, lon = parse_coordinate(row["緯度"]), parse_coordinate(row["経度"])
        if lat is None or lon is None or not in_range(lat, LAT_RANGE) or not in_range(lon, LON_RANGE):
            return None
        return lat, lon

    def _check_coordinates(self, row: _Row) -> None:
        """Report missing, unreadable, swapped or out-of-Japan coordinates (errors)."""
        texts = {"緯度": row["緯度"], "経度": row["経度"]}
        values: dict[str, float] = {}
        for column, text in texts.items():
            if not text:
                self.problem(row, column, "", "coordinate_missing", "error")
                continue
            value = parse_coordinate(text)
            if value is None:
                self.problem(row, column, text, "coordinate_not_number", "error")
            else:
                values[column] = value
        if len(values) < 2:
            return
        lat, lon = values["緯度"], values["経度"]
        if in_range(lat, LAT_RANGE) and in_range(lon, LON_RANGE):
            return
        if in_range(lat, LON_RANGE) and in_range(lon, LAT_RANGE):
            both = f"{texts['緯度']}, {texts['経度']}"
            self.problem(row, "", both, "coordinates_swapped", "error", lat=texts["経度"], lon=texts["緯度"])
            return
        for column, bounds, prefix in (("緯度", LAT_RANGE, "lat"), ("経度", LON_RANGE, "lon")):
            if in_range(values[column], bounds):
                continue
            suggestion = suggest_decimal_point(texts[column], bounds)
            if suggestion is not None:
                self.problem(row, column, texts[column], f"{prefix}_decimal_point", "error", suggested=suggestion)
            else:
                self.problem(row, column, texts[column], f"{prefix}_outside_japan", "error")

    def _build_record(
        self, row: _Row, kind: str, kind_source: str, venue_id: str, coordinates: tuple[float, float]
    ) -> VenueRecord:
        """The record of an error-free row, reporting doubtful cells as warnings."""
        candidate = kind in CANDIDATE_KINDS
        name, address = row["名称"], _address(row)
        open_days = self._open_days(row, candidate)
        open_from = self._time(row, "開始時間", candidate)
        open_until = self._time(row, "終了時間", candidate)
        if open_from and open_until and open_until <= open_from:
            self.problem(row, "終了時間", row["終了時間"], "time_order", "warning", opens=open_from, closes=open_until)
        hours = read_hours(open_days, open_from, open_until, row["利用可能時間特記事項"])
        if candidate:
            for clause in hours.unread:
                note = row["利用可能時間特記事項"]
                self.problem(row, "利用可能時間特記事項", note, "hours_note_unread", "warning", clause=clause)

        flags: dict[str, bool] = {}
        for attribute, column in FLAG_COLUMNS:
            value = parse_flag(row[column])
            if value is None:
                self.problem(row, column, row[column], "flag_unclear", "warning")
            flags[attribute] = bool(value)

        town = row["所在地_町字"] or derive_town(
            address, row["所在地_都道府県"], row["所在地_市区町村"], row["地方公共団体名"]
        )
        lat, lon = coordinates
        return VenueRecord(
            row_number=row.number,
            venue_id=venue_id,
            name=name,
            name_kana=_kana(row["名称_カナ"]),
            name_en=row["名称_英字"],
            kind=kind,
            kind_source=kind_source,
            poi_code=normalize_poi_code(row["POIコード"]),
            address=address,
            town=town,
            postal_code=normalize_postal_code(row["郵便番号"]),
            phone=row["電話番号"],
            lat=lat,
            lon=lon,
            open_days=open_days,
            open_from=open_from,
            open_until=open_until,
            hours_note=row["利用可能時間特記事項"],
            url=self._url(row),
            notes=row["備考"],
            raw=row.raw(),
            opening_hours=hours.rule,
            hours_unread="\n".join(hours.unread),
            **flags,
        )

    def _open_days(self, row: _Row, candidate: bool) -> str:
        """利用可能曜日 as canonical days, with warnings for unreadable or missing days."""
        text = row["利用可能曜日"]
        if not text:
            if candidate:
                self.problem(row, "利用可能曜日", "", "open_days_missing", "warning")
            return ""
        days, unreadable = parse_open_days(text)
        if unreadable and days:
            self.problem(
                row, "利用可能曜日", text, "open_days_partial", "warning", ignored="、".join(unreadable), days=days
            )
        elif unreadable or not days:
            self.problem(row, "利用可能曜日", text, "open_days_invalid", "warning")
        return days

    def _url(self, row: _Row) -> str:
        """URL when it is an http(s) address; anything else (``javascript:``, ...) is reported and left out."""
        text = row["URL"]
        if text and not is_web_url(text):
            self.problem(row, "URL", text, "url_not_web", "warning")
            return ""
        return text

    def _time(self, row: _Row, column: str, candidate: bool) -> str | None:
        """開始時間 / 終了時間 as ``HH:MM``, with warnings for unreadable or missing times."""
        text = row[column]
        if not text:
            if candidate:
                self.problem(row, column, "", "time_missing", "warning")
            return None
        value = parse_time(text)
        if value is None:
            self.problem(row, column, text, "time_invalid", "warning")
        return value

    def check_distances(self, reference_points: Iterable[tuple[str, float, float]]) -> None:
        """Turn records whose nearest other facility is more than FAR_FROM_CITY_KM away into errors.

        The other facilities are every other row of the file with valid coordinates (parks and schools
        included) and ``reference_points`` (``(venue_id, lat, lon)`` of venues already registered; the
        record's own ID is skipped).  Nearest neighbours rather than a centre, so that a file covering a
        whole prefecture is judged as fairly as one city.  Too few points and nothing can be told apart.
        """
        pool: list[tuple[tuple[str, object], tuple[float, float]]] = [
            (("row", number), point) for number, point in self.points
        ]
        pool += [(("id", venue_id), (lat, lon)) for venue_id, lat, lon in reference_points]
        if len(pool) < MIN_POINTS_FOR_DISTANCE_CHECK:
            return
        grid: dict[tuple[int, int], list[tuple[tuple[str, object], tuple[float, float]]]] = {}
        for entry in pool:
            grid.setdefault(_cell(entry[1]), []).append(entry)
        kept: list[VenueRecord] = []
        for record in self.records:
            own = {("row", record.row_number), ("id", record.venue_id)}
            point = (record.lat, record.lon)
            row, col = _cell(point)
            near = (
                p
                for dr in (-1, 0, 1)
                for dc in (-1, 0, 1)
                for key, p in grid.get((row + dr, col + dc), ())
                if key not in own
            )
            if any(haversine_km(point, p) <= FAR_FROM_CITY_KM for p in near):
                kept.append(record)
                continue
            # Every point within FAR_FROM_CITY_KM lies in the 3x3 cells, so this one is far: say how far.
            distance = min((haversine_km(point, p) for key, p in pool if key not in own), default=float("inf"))
            value = f"{record.lat}, {record.lon}"
            self.problems.append(
                Problem(record.row_number, "", value, "far_from_city", "error", {"km": f"{distance:.1f}"})
            )
        self.records = kept


def _cell(point: tuple[float, float]) -> tuple[int, int]:
    """A 0.5° grid cell: at least 38 km wide anywhere in Japan, so every point within 30 km is in the 3x3 block."""
    return int(point[0] // GRID_DEGREES), int(point[1] // GRID_DEGREES)


def _file_error(code: str, encoding: str = "", **params: str) -> ParseResult:
    """A result with one file-level error and nothing parsed."""
    problem = Problem(0, "", "", code, "error", params)
    return ParseResult(encoding=encoding, records=[], problems=[problem], total_rows=0)


def parse_facility_list(
    data: bytes,
    *,
    kind_overrides: Mapping[int, str] | None = None,
    reference_points: Iterable[tuple[str, float, float]] = (),
) -> ParseResult:
    """Parse a 「公共施設一覧」 CSV file (UTF-8 with or without BOM, or CP932; CRLF or LF).

    Columns are found by header name, in any order, with full-width/half-width variants accepted;
    名称, 緯度 and 経度 are required.  ``kind_overrides`` maps a row number (the header is row 1) to
    a kind chosen by staff in the upload preview (one of ``VENUE_KINDS``, or ``"excluded"``); it
    wins over the file.  ``reference_points`` are the ``(venue_id, lat, lon)`` of venues already
    registered, for the check that flags a facility far from every other one (see ``check_distances``).

    ``ParseResult.encoding`` is ``""`` when the file could not be decoded.
    """
    overrides = dict(kind_overrides or {})
    for row_number, kind in overrides.items():
        if kind not in VENUE_KINDS and kind != EXCLUDED:
            raise ValueError(f"kind override for row {row_number} is not a venue kind: {kind!r}")

    decoded = _decode(data)
    if decoded is None:
        return _file_error("encoding_unknown")
    text, encoding = decoded
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        return _file_error("csv_malformed", encoding, detail=str(exc))
    if not rows or not any(cell.strip() for cell in rows[0]):
        return _file_error("file_empty", encoding)

    positions, header, header_problems = _map_columns(rows[0])
    data_rows = [
        (number, cells) for number, cells in enumerate(rows[1:], start=2) if any(cell.strip() for cell in cells)
    ]
    missing = [column for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        problems = [Problem(0, column, "", "column_missing", "error", {"column": column}) for column in missing]
        return ParseResult(encoding, [], header_problems + problems, len(data_rows))

    parser = _FileParser(overrides)
    for number, cells in data_rows:
        parser.parse_row(_Row(number, cells, positions, header))
    parser.check_distances(reference_points)

    problems = header_problems + sorted(parser.problems, key=lambda problem: problem.row_number)
    return ParseResult(encoding=encoding, records=parser.records, problems=problems, total_rows=len(data_rows))
