"""Write venues back as a standard facility list 「公共施設一覧」 CSV, for Excel and for other systems.

The standard columns in the standard order plus ``会場種別`` (the kind as its English code), CRLF
line endings, UTF-8 with BOM (what Excel needs to open UTF-8) or CP932 (Shift_JIS) on request.  A cell that
Excel would run as a formula gets a leading ``'`` (core.spreadsheet); the parser removes it again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

from core.spreadsheet import escape_formula
from venues.facility_columns import EXPORT_COLUMNS, FLAG_COLUMNS, KIND_COLUMN, header_key

if TYPE_CHECKING:
    from venues.facility_list import VenueRecord

EXPORT_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "cp932", "utf-8")

# Characters that look the same but that CP932 only has under another code point.
_CP932_LOOKALIKES = str.maketrans(
    {
        "\u301c": "\uff5e",  # 〜 WAVE DASH -> ～ FULLWIDTH TILDE
        "\u2016": "\u2225",  # ‖ -> ∥
        "\u2212": "\uff0d",  # − MINUS SIGN -> －
        "\u2014": "\u2015",  # — EM DASH -> ―
        "\u00a2": "\uffe0",  # ¢
        "\u00a3": "\uffe1",  # £
        "\u00ac": "\uffe2",  # ¬
        "\u00a5": "\uffe5",  # ¥
    }
)
_GETA = "〓"  # the conventional stand-in for a character a Japanese character set cannot hold


def _cp932_safe(char: str) -> str:
    """The character itself if CP932 has it, else 〓."""
    try:
        char.encode("cp932")
    except UnicodeEncodeError:
        return _GETA
    return char


def encode_cp932(text: str) -> bytes:
    """CP932 bytes for Excel: look-alike characters mapped, characters CP932 lacks written as 〓."""
    text = text.translate(_CP932_LOOKALIKES)
    try:
        return text.encode("cp932")
    except UnicodeEncodeError:
        return "".join(_cp932_safe(char) for char in text).encode("cp932")


def export_row(record: VenueRecord) -> list[str]:
    """The cells of one record in ``EXPORT_COLUMNS`` order.

    Modelled fields come from the record; every other standard column from ``record.raw`` (matched
    loosely by header, so a full-width variant in the source file still fills its column).
    """
    raw = {header_key(column): value for column, value in record.raw.items()}
    cells = {column: raw.get(header_key(column), "") for column in EXPORT_COLUMNS}
    cells.update(
        {
            "ID": record.venue_id,
            "名称": record.name,
            "名称_カナ": record.name_kana,
            "名称_英字": record.name_en,
            "POIコード": record.poi_code,
            "所在地_連結表記": record.address,
            "所在地_町字": record.town,
            "緯度": repr(float(record.lat)),  # repr reads back as the same float
            "経度": repr(float(record.lon)),
            "電話番号": record.phone,
            "郵便番号": record.postal_code,
            "利用可能曜日": record.open_days,
            "開始時間": record.open_from or "",
            "終了時間": record.open_until or "",
            "利用可能時間特記事項": record.hours_note,
            "URL": record.url,
            "備考": record.notes,
            KIND_COLUMN: record.kind,
        }
    )
    for attribute, column in FLAG_COLUMNS:
        cells[column] = "1" if getattr(record, attribute) else ""
    return [escape_formula(cells[column], keep_numbers=True) for column in EXPORT_COLUMNS]


def export_facility_list(records: Iterable[VenueRecord], *, encoding: str = "utf-8-sig") -> bytes:
    """Write records as a 「公共施設一覧」 CSV: the standard columns in order plus 会場種別, CRLF.

    Modelled fields (name, address, coordinates, opening days like ``月火水木金祝``, hours,
    accessibility as ``"1"`` / ``""``, the kind as its English code, ...) come from the record; the
    other standard columns from ``record.raw``.  ``encoding`` is ``"utf-8-sig"`` (default: UTF-8 with
    BOM, which Excel opens correctly), ``"cp932"`` (Shift_JIS for older Excel; characters it cannot
    hold are written as 〓) or ``"utf-8"``.  Cells that would be formulas in Excel (``=...``,
    ``+81...``, ``-abc``, ``@...``) start with ``'``; negative numbers and a lone ``-`` do not.
    Parsing the output gives the same records apart from ``row_number`` and ``raw``, except that a
    ``kind_source`` of ``"override"`` or ``"manual"`` comes back as ``"column"`` (the staff choice is
    now written in the file), or as ``"poi"`` / ``"name"`` when the POI code or the name give the same
    kind anyway.
    """
    if encoding not in EXPORT_ENCODINGS:
        raise ValueError(f"unsupported encoding for the facility list: {encoding!r}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for record in records:
        writer.writerow(export_row(record))
    text = buffer.getvalue()
    if encoding == "cp932":
        return encode_cp932(text)
    return text.encode(encoding)
