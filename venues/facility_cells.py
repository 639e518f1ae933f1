"""Readers for single cells of the standard facility list 「公共施設一覧」.

Opening days (利用可能曜日), times (開始時間 / 終了時間), coordinates (緯度 / 経度), yes/no
accessibility cells, postal codes, web addresses and the town (町字) of an address, as cities really write them:
full-width or half-width characters, several separators, ranges, 平日, 祝日, 9時30分, ...  Each
reader returns a plain value and leaves reporting to the caller; nothing here knows about rows.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

DAY_ORDER = "月火水木金土日祝"
"""Canonical order of ``open_days``: Monday to Sunday, then national holidays (祝)."""

_WEEK = "月火水木金土日"

# Words replaced before reading the days, in this order ("曜日" first so that 日曜日 becomes 日).
_DAY_WORDS: tuple[tuple[str, str], ...] = (
    ("曜日", ""),
    ("曜", ""),
    ("祝祭日", "祝"),
    ("祝日", "祝"),
    ("祭日", "祝"),
    ("平日", "月火水木金"),
    ("毎日", "月火水木金土日"),
    ("から", "~"),
)
_DAY_SEPARATORS = re.compile(r"[;,、・/()\[\]「」『』【】\s]+|及び|および")
_RANGE_MARKS = "~〜-−‐–—ー"


def nfkc(text: str) -> str:
    """Unicode NFKC: full-width letters, digits and punctuation to half-width, half-width kana to full-width."""
    return unicodedata.normalize("NFKC", text)


def _read_day_part(part: str) -> set[str] | None:
    """Days of one separator-free part such as ``月火水`` or ``月~金土``; ``None`` if it is not only days."""
    days: set[str] = set()
    index = 0
    while index < len(part):
        char = part[index]
        if char not in DAY_ORDER:
            return None
        if index + 2 < len(part) and part[index + 1] in _RANGE_MARKS and char in _WEEK and part[index + 2] in _WEEK:
            start, end = _WEEK.index(char), _WEEK.index(part[index + 2])
            length = (end - start) % 7 + 1  # ranges wrap around the week: 金~月 is 金土日月
            days.update(_WEEK[(start + offset) % 7] for offset in range(length))
            index += 3
            continue
        days.add(char)
        index += 1
    return days


def parse_open_days(text: str) -> tuple[str, list[str]]:
    """Read a 利用可能曜日 cell into ``(days, unreadable_parts)``.

    ``days`` is the canonical subset of ``月火水木金土日祝`` in that order.  Accepted: runs of day
    characters in any order (``日月火水木金土``), separators ``; , 、 ・ /`` and spaces, ranges
    (``月～金``, ``月-金``, ``月から金``), ``平日`` (月火水木金), ``毎日`` (月火水木金土日), ``祝`` /
    ``祝日`` / ``祭日``, ``曜`` / ``曜日`` suffixes and full-width characters.  A part that is not
    only days (``第２第４土``, ``無``) is returned in ``unreadable_parts`` and contributes nothing.
    祝 is only included when holidays are written explicitly.
    """
    normalized = nfkc(text).strip()
    for word, replacement in _DAY_WORDS:
        normalized = normalized.replace(word, replacement)
    days: set[str] = set()
    unreadable: list[str] = []
    for part in _DAY_SEPARATORS.split(normalized):
        if not part:
            continue
        part_days = _read_day_part(part)
        if part_days is None:
            unreadable.append(part)
        else:
            days |= part_days
    return "".join(day for day in DAY_ORDER if day in days), unreadable


_TIME_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::\d{2})?"),
    re.compile(r"(?P<h>\d{1,2})時(?:(?P<m>\d{1,2})分|(?P<half>半))?"),
    re.compile(r"(?P<h>\d{1,2})(?P<m>\d{2})"),
)
_BARE_HOUR = re.compile(r"(?P<h>\d{1,2})")
_AM_PM = re.compile(r"^(?P<pre>午前|午後|am|pm)?(?P<time>.+?)(?P<post>am|pm)?$")


def parse_time(text: str) -> str | None:
    """Read a 開始時間 / 終了時間 cell as ``"HH:MM"`` (24-hour); ``None`` when it is not a time.

    Accepted: ``9:00``, ``09:00``, ``09:00:00``, ``０９：００``, ``9時``, ``9時30分``, ``9時半``,
    ``0900``, with an optional 午前 / 午後 (am / pm).  Hours run 0-23 (``24:00`` is not read, so
    that every value is a valid ``datetime.time``).
    """
    normalized = re.sub(r"\s+", "", nfkc(text)).casefold()
    match = _AM_PM.match(normalized)
    if not match:
        return None
    meridiem = match.group("pre") or match.group("post")
    patterns = _TIME_PATTERNS + ((_BARE_HOUR,) if meridiem else ())  # "5pm", but not a bare "5"
    for pattern in patterns:
        found = pattern.fullmatch(match.group("time"))
        if not found:
            continue
        hour = int(found.group("h"))
        groups = found.groupdict()
        minute = 30 if groups.get("half") else int(groups.get("m") or 0)
        if meridiem in ("午後", "pm") and hour < 12:
            hour += 12
        elif meridiem in ("午前", "am") and hour == 12:
            hour = 0
        if minute > 59 or hour > 23:
            return None
        return f"{hour:02d}:{minute:02d}"
    return None


# Japan, generously: Okinotorishima (20.4N) to Etorofu (45.6N), Yonaguni (122.9E) to Minamitorishima (153.9E).
LAT_RANGE: tuple[float, float] = (20.0, 46.0)
LON_RANGE: tuple[float, float] = (122.0, 154.0)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def parse_coordinate(text: str) -> float | None:
    """Read a 緯度 / 経度 cell as decimal degrees; ``None`` when it is not a plain decimal number."""
    normalized = nfkc(text).strip().rstrip("°").strip()
    if not _NUMBER.fullmatch(normalized):
        return None
    return float(normalized)


def in_range(value: float, bounds: tuple[float, float]) -> bool:
    """Whether ``value`` lies within ``bounds`` (inclusive)."""
    return bounds[0] <= value <= bounds[1]


def suggest_decimal_point(text: str, bounds: tuple[float, float]) -> str | None:
    """The value with its decimal point moved to where it gives a coordinate in ``bounds``, if one does.

    ``36561437`` becomes ``36.561437`` for a latitude, ``1366562`` becomes ``136.6562`` for a
    longitude: the usual result of a lost decimal point.  ``None`` when no placement fits.
    """
    normalized = nfkc(text).strip()
    if not _NUMBER.fullmatch(normalized) or normalized.startswith("-"):
        return None
    digits = normalized.lstrip("+").replace(".", "").lstrip("0")
    whole = len(str(int(bounds[1])))  # 2 digits before the point for latitude, 3 for longitude
    if len(digits) <= whole:
        return None
    suggestion = f"{digits[:whole]}.{digits[whole:]}"
    return suggestion if in_range(float(suggestion), bounds) else None


_FLAG_TRUE = {"1", "○", "◯", "〇", "◎", "有", "有り", "あり", "可", "可能", "対応", "yes", "y", "true", "はい"}
_FLAG_FALSE = {"0", "×", "✕", "✖", "x", "無", "無し", "なし", "不可", "否", "no", "n", "false", "いいえ", "-"}
_FLAG_SPLIT = re.compile(r"[;,、・/()\s]+")
_FLAG_POSITIVE_WORDS = ("有", "可", "○", "対応", "段差無", "階段無")  # 段差無し (no steps) is accessible
_FLAG_NEGATIVE_WORDS = ("無", "不可", "×", "なし")


def parse_flag(text: str) -> bool | None:
    """Read a yes/no accessibility cell (車椅子可, バリアフリートイレ, ...).

    Empty means ``False`` (not stated).  Short marks (``1``, ``○``, ``有``, ``可``, ``×``, ``無``,
    ``不可``) and free text such as ``多目的トイレ有り`` or ``スロープ有、エレベータ無`` are read: any
    part stating something is available (有, 可, 対応, 段差無し) makes it ``True``.  ``None`` when the
    text says neither.
    """
    normalized = nfkc(text).strip().casefold()
    if not normalized:
        return False
    if normalized in _FLAG_TRUE:
        return True
    if normalized in _FLAG_FALSE:
        return False
    parts = [part for part in _FLAG_SPLIT.split(normalized) if part]
    if any(any(word in part for word in _FLAG_POSITIVE_WORDS) and "不可" not in part for part in parts):
        return True
    if any(any(word in part for word in _FLAG_NEGATIVE_WORDS) for part in parts):
        return False
    return None


def normalize_postal_code(text: str) -> str:
    """A 郵便番号 as ``NNN-NNNN``; ``""`` for empty or ``-``; anything else trimmed as written."""
    normalized = nfkc(text).strip().lstrip("〒").strip()
    match = re.fullmatch(r"(\d{3})-?(\d{4})", normalized)
    if match:
        return f"{match.group(1)}-{match.group(2)}"
    return "" if normalized in ("", "-") else text.strip()


_PREFECTURE = re.compile(r"^(?:東京都|北海道|大阪府|京都府|.{2,3}県)")
_TOWN = re.compile(r"^(\D+?(?:\d+丁目)?)(?=\d|$)")


def derive_town(address: str, prefecture: str = "", city: str = "", municipality: str = "") -> str:
    """The 町字 of an address (``石川県金沢市福久2-58`` gives ``福久``), or ``""`` when unsure.

    The prefecture and city are removed using the row's own cells (所在地_都道府県,
    所在地_市区町村, or 地方公共団体名 such as ``石川県金沢市``); without a known city nothing is
    derived, since city names cannot be cut off reliably by pattern (野々市市, 四日市市).
    """
    rest = nfkc(address).strip()
    municipality, prefecture, city = nfkc(municipality).strip(), nfkc(prefecture).strip(), nfkc(city).strip()
    if municipality and rest.startswith(municipality):
        rest = rest[len(municipality) :]
    else:
        if prefecture and rest.startswith(prefecture):
            rest = rest[len(prefecture) :]
        else:
            rest = _PREFECTURE.sub("", rest)
        if not city or not rest.startswith(city):
            return ""
        rest = rest[len(city) :]
    match = _TOWN.match(rest.strip())
    return match.group(1).strip() if match else ""


_WEB_SCHEMES = ("http", "https")
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\\]")


def is_web_url(text: str) -> bool:
    """Whether ``text`` is an ``http(s)://host/...`` address, safe to use as a link.

    Anything else (``javascript:``, ``data:``, a bare ``www.example.jp``, text with spaces or control
    characters, which browsers strip and so can hide a scheme) is not.
    """
    if not text or _URL_UNSAFE.search(text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in _WEB_SCHEMES and bool(parts.netloc)
