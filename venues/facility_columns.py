"""The columns of the standard facility list 「公共施設一覧」 and how a file's header is matched to them."""

from __future__ import annotations

import re
import unicodedata

STANDARD_COLUMNS: tuple[str, ...] = (
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "名称",
    "名称_カナ",
    "名称_英字",
    "名称_通称",
    "POIコード",
    "外部識別子",
    "外部識別子の値",
    "所在地_全国地方公共団体コード",
    "町字ID",
    "所在地_連結表記",
    "所在地_都道府県",
    "所在地_市区町村",
    "所在地_町字",
    "所在地_番地以下",
    "建物名等(方書)",
    "緯度",
    "経度",
    "高度の種別",
    "高度の値",
    "電話番号",
    "内線番号",
    "連絡先メールアドレス",
    "連絡先FormURL",
    "連絡先備考（その他、SNSなど）",
    "郵便番号",
    "法人番号",
    "団体名",
    "利用可能曜日",
    "開始時間",
    "終了時間",
    "利用可能時間特記事項",
    "説明",
    "車椅子可",
    "車椅子貸出",
    "ツエ貸出",
    "バリアフリートイレ",
    "スロープ、エレベータ、エスカレータ",
    "点字ブロック等の移動支援",
    "点字や読上による支援",
    "盲導犬・介助犬、聴導犬同伴",
    "字幕",
    "筆談対応",
    "優先駐車場",
    "オストメイト対応トイレ",
    "授乳室",
    "おむつ替えコーナー",
    "飲食可否",
    "ベビーカー貸出",
    "ベビーカー利用",
    "URL",
    "画像",
    "画像_ライセンス",
    "備考",
)
"""The columns of the standard 「公共施設一覧」 layout, in the standard order."""

KIND_COLUMN = "会場種別"
"""Optional extra column with the venue kind (English code or Japanese label); it overrides the POI code."""

EXPORT_COLUMNS: tuple[str, ...] = STANDARD_COLUMNS + (KIND_COLUMN,)
"""Header written by :func:`venues.facility_export.export_facility_list`."""

REQUIRED_COLUMNS: tuple[str, ...] = ("名称", "緯度", "経度")
"""Columns without which a file cannot be read at all."""

FLAG_COLUMNS: tuple[tuple[str, str], ...] = (
    ("wheelchair", "車椅子可"),
    ("barrier_free_toilet", "バリアフリートイレ"),
    ("accessible_route", "スロープ、エレベータ、エスカレータ"),
    ("priority_parking", "優先駐車場"),
)
"""The accessibility columns modelled as booleans: (VenueRecord attribute, column)."""

# Other accepted spellings of a few headers (compared after NFKC, without spaces, case-folded).
_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "名称": ("name",),
    "緯度": ("lat", "latitude"),
    "経度": ("lon", "lng", "longitude"),
    KIND_COLUMN: ("kind",),
}


def header_key(header: str) -> str:
    """A header compared loosely: BOM and spaces removed, NFKC (full-width to half-width), case-folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", header.replace("\ufeff", ""))).casefold()


_CANONICAL_BY_KEY: dict[str, str] = {header_key(column): column for column in EXPORT_COLUMNS}
for _column, _aliases in _HEADER_ALIASES.items():
    for _alias in _aliases:
        _CANONICAL_BY_KEY[header_key(_alias)] = _column
del _column, _aliases, _alias


def canonical_column(header: str) -> str | None:
    """The standard column a header cell names (``" 緯度 "``, ``"ＩＤ"``, ``"lat"``...), ``None`` if none."""
    return _CANONICAL_BY_KEY.get(header_key(header))
