"""Venue kinds (会場種別) and how a row of the standard facility list 「公共施設一覧」 gets one.

A kind comes, in order of precedence, from a staff choice in the upload preview, the optional
``会場種別`` column, the ``POIコード`` (facility classification code of the standard) or, when the
row has no POI code, keywords in the facility's name.  Rows that are not booth venues or
application points (parks, schools, sports grounds, certificate kiosks, ...) are *excluded*:
not an error, just not imported.  Everything here is pure: strings in, decisions out.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from core.i18n import N_
from core.i18n import gettext as _

VENUE_KINDS: tuple[str, ...] = (
    "commercial",
    "community_hall",
    "library",
    "welfare",
    "rental_hall",
    "city_hall",
    "civic_center",
)
"""Every kind a venue can have."""

CANDIDATE_KINDS: tuple[str, ...] = ("commercial", "community_hall", "library", "welfare", "rental_hall")
"""Kinds that are booth candidates for the planner."""

PERMANENT_KINDS: tuple[str, ...] = ("city_hall", "civic_center")
"""Permanent application points (窓口): not candidates, they shape demand."""

EXCLUDED = "excluded"
"""Pseudo-kind of a row that is not a venue; accepted in ``kind_overrides`` and the 会場種別 column."""

_KIND_LABELS: dict[str, str] = {
    "commercial": N_("Commercial facility"),
    "community_hall": N_("Community hall"),
    "library": N_("Library"),
    "welfare": N_("Welfare facility"),
    "rental_hall": N_("Hall for hire"),
    "city_hall": N_("City hall"),
    "civic_center": N_("Civic center"),
    EXCLUDED: N_("Not a venue"),
}


def kind_label(kind: str) -> str:
    """Display label of a kind in the current locale (商業施設, 公民館, ...); unknown kinds as given."""
    label = _KIND_LABELS.get(kind)
    return _(label) if label else kind


# --- the 会場種別 column -------------------------------------------------------------------------

_COLUMN_VALUES: dict[str, tuple[str, ...]] = {
    "commercial": ("商業施設", "商業", "ショッピングセンター", "ショッピングモール", "スーパー", "店舗"),
    "community_hall": ("公民館", "集会所", "コミュニティセンター", "地区会館"),
    "library": ("図書館", "図書室"),
    "welfare": ("福祉施設", "福祉"),
    "rental_hall": ("貸館・ホール", "貸館", "ホール", "貸しホール", "貸館ホール"),
    "city_hall": ("市役所", "本庁舎", "区役所", "町役場", "村役場", "役場"),
    "civic_center": ("市民センター", "支所", "出張所"),
    EXCLUDED: ("対象外", "除外"),
}


def _fold(text: str) -> str:
    """NFKC (full-width to half-width, half-width kana to full-width), trimmed and case-folded."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


_COLUMN_LOOKUP: dict[str, str] = {}
for _kind, _values in _COLUMN_VALUES.items():
    _COLUMN_LOOKUP[_kind] = _kind
    _COLUMN_LOOKUP[_kind.replace("_", " ")] = _kind
    _COLUMN_LOOKUP[_kind.replace("_", "-")] = _kind
    for _value in _values:
        _COLUMN_LOOKUP[_fold(_value)] = _kind
    _COLUMN_LOOKUP[_fold(_KIND_LABELS[_kind])] = _kind  # the English label, e.g. "Hall for hire"
del _kind, _values, _value


def kind_from_column(value: str) -> str | None:
    """The kind written in a 会場種別 cell (English code or Japanese label), ``None`` if unknown.

    Returns one of ``VENUE_KINDS`` or ``"excluded"`` (対象外).
    """
    return _COLUMN_LOOKUP.get(_fold(value))


# --- POIコード ------------------------------------------------------------------------------------

POI_KINDS: dict[str, str] = {
    "1302": "city_hall",
    "1304": "civic_center",
    "1307": "community_hall",
    "1512": "library",
    "1409": "welfare",
    "1499": "welfare",
    "1602": "welfare",
    "1016": "rental_hall",
    "1305": "rental_hall",
    "1306": "rental_hall",
    "1399": "rental_hall",
    "1514": "rental_hall",
}
"""POI codes of venues and application points; every other code is excluded."""


def normalize_poi_code(value: str) -> str:
    """A POI code cell as plain digits: full-width digits folded, Excel's trailing ``.0`` dropped."""
    code = unicodedata.normalize("NFKC", value).strip()
    if code.endswith(".0") and code[:-2].isdigit():
        code = code[:-2]
    return code


def _poi_exclusion(code: str) -> str:
    """Problem code for a POI code outside the venue kinds."""
    if code == "1003":
        return "excluded_park"
    if code.startswith("15"):
        return "excluded_school"
    if code.startswith("11"):
        return "excluded_sports"
    return "excluded_poi_code"


# --- the facility's name --------------------------------------------------------------------------

# Checked before anything else: names that show the row is an unstaffed corner, not a venue.
_UNSTAFFED_WORDS: tuple[str, ...] = ("証明書交付機", "自動交付機", "交付機コーナー")

# Checked in this order; the first group with a matching word wins ("公民館" beats everything,
# "市民センター" and "交流センター" come before the generic "文化センター" / "研修センター").
_NAME_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("community_hall", ("公民館",)),
    ("civic_center", ("市民センター", "支所", "出張所")),
    ("city_hall", ("市役所", "本庁舎")),
    ("library", ("図書館", "図書室")),
    ("community_hall", ("コミュニティセンター", "地区会館", "集会所", "交流センター")),
    ("welfare", ("福祉", "老人", "高齢者", "介護", "障害者")),
    ("rental_hall", ("ホール", "会館", "文化センター", "研修センター")),
    ("commercial", ("イオン", "ショッピング", "モール", "商業", "スーパー")),
    ("excluded_park", ("公園", "緑地", "広場")),
    ("excluded_school", ("学校", "小学校", "中学校")),
)


def kind_from_name(name: str) -> tuple[str, str] | None:
    """Kind inferred from keywords in a name, as ``(kind, matched_word)``; ``None`` if nothing matched.

    ``kind`` is one of ``VENUE_KINDS`` or an exclusion code (``excluded_park``, ``excluded_school``).
    """
    folded = unicodedata.normalize("NFKC", name)
    for kind, words in _NAME_RULES:
        for word in words:
            if word in folded:
                return kind, word
    return None


def unstaffed_word(name: str) -> str | None:
    """The word that marks a name as an unstaffed corner (e.g. 証明書交付機コーナー), if any."""
    folded = unicodedata.normalize("NFKC", name)
    return next((word for word in _UNSTAFFED_WORDS if word in folded), None)


# --- putting it together --------------------------------------------------------------------------


@dataclass(frozen=True)
class KindDecision:
    """The outcome of :func:`resolve_kind` for one row.

    Either ``kind`` is one of ``VENUE_KINDS`` (and there is no problem), or ``kind`` is ``None`` and
    ``problem_code`` says why, with ``severity`` ``"excluded"`` (not a venue) or ``"error"`` (an
    unknown value in the 会場種別 column).  ``source`` is where the decision came from: ``"override"``,
    ``"column"``, ``"poi"`` or ``"name"``.  ``params`` feed the problem's message.
    """

    kind: str | None
    source: str
    problem_code: str | None = None
    severity: str = ""
    params: tuple[tuple[str, str], ...] = ()


def _derived_kind(name: str, poi_code: str) -> KindDecision:
    """The kind from the row's own data (name and POI code), without the 会場種別 column."""
    word = unstaffed_word(name)
    if word:
        return KindDecision(None, "name", "excluded_unstaffed", "excluded", (("word", word),))
    if poi_code:
        kind = POI_KINDS.get(poi_code)
        if kind:
            return KindDecision(kind, "poi")
        return KindDecision(None, "poi", _poi_exclusion(poi_code), "excluded", (("poi_code", poi_code),))
    inferred = kind_from_name(name)
    if inferred is None:
        return KindDecision(None, "name", "excluded_kind_unknown", "excluded")
    kind, word = inferred
    if kind in VENUE_KINDS:
        return KindDecision(kind, "name")
    return KindDecision(None, "name", kind, "excluded", (("word", word),))


def resolve_kind(name: str, poi_code: str, column_value: str, override: str | None = None) -> KindDecision:
    """Decide the kind of one row.

    Precedence: ``override`` (staff choice in the preview, ``source="override"``), then a non-empty
    会場種別 cell, then an unstaffed-corner name, then the POI code, then the name.  When the
    会場種別 cell agrees with what the POI code or the name give, the source stays ``"poi"`` /
    ``"name"``, so that an exported list (which always writes 会場種別) re-imports unchanged.
    """
    if override is not None:
        if override == EXCLUDED:
            return KindDecision(None, "override", "excluded_by_staff", "excluded")
        return KindDecision(override, "override")
    derived = _derived_kind(name, poi_code)
    if column_value.strip():
        kind = kind_from_column(column_value)
        if kind is None:
            return KindDecision(None, "column", "kind_unknown", "error")
        if kind == EXCLUDED:
            return KindDecision(None, "column", "excluded_by_column", "excluded")
        if kind == derived.kind:
            return derived
        return KindDecision(kind, "column")
    return derived
