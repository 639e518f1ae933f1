"""Read a facility list's 利用可能時間特記事項 (free Japanese text) into an OpenStreetMap ``opening_hours`` rule.

:func:`read_hours` joins the list's 利用可能曜日 / 開始時間 / 終了時間 (the base) with what the note says: hours of
one weekday (「なお土曜日8：30～12：00迄開館」), closed weekdays, weeks of the month (「第1･3水曜日」,
「毎月最終月曜日」), the day after a holiday (「祝日の場合はその翌日」), date ranges
(「12月28日から１月４日は利用不可」), 旧盆 and seasons.
Every clause it cannot read is returned in ``unread`` (staff decide before the venue becomes a candidate); clauses that
do not restrict the opening (「館長が必要と認めた場合は臨時に開館…」, 「申し込みがあった場合には夜間…」) are in
``ignored``.  Where a note is ambiguous the reading closes more rather than less (a booth at a closed hall is worse
than a booth not planned).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from venues.facility_cells import nfkc

OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
DAY_LETTERS = "月火水木金土日"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
OBON = ((8, 13), (8, 16))
"""旧盆 / お盆 when the note gives no dates: 13–16 August (the widest span the Kanazawa list uses)."""
YEAR_END = ((12, 29), (1, 3))


@dataclass(frozen=True)
class HoursReading:
    """What :func:`read_hours` made of a row: the ``opening_hours`` rule and the clauses it read, ignored or not."""

    rule: str
    unread: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()


@dataclass
class _Rules:
    hours: list[str] = field(default_factory=list)  # weekday and season hours, after the base
    closures: list[str] = field(default_factory=list)  # "... off", last so that they win
    holiday_hours: bool = False  # a note gave hours for PH
    season: str = ""  # the base applies only in this date range
    unread: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def close(self, selector: str) -> None:
        rule = f"{selector} off"
        if rule not in self.closures:
            self.closures.append(rule)


_TIME = r"(?:午前|午後)?\d{1,2}(?::\d{2}|時(?:\d{1,2}分|半)?)"
_TIME_RANGE = rf"({_TIME})\s*(?:~|-|から)\s*({_TIME})\s*(?:迄|まで)?"
_DATE = r"(\d{1,2})月(\d{1,2})日?(?:正午)?"
_DATE_RANGE = rf"{_DATE}\s*(?:~|-|から)\s*(?:翌年)?(?:{_DATE}|(\d{{1,2}})日)\s*(?:まで)?"
_SLASH_RANGE = r"(\d{1,2})/(\d{1,2})\s*(?:~|-)\s*(\d{1,2})/(\d{1,2})"
_HOLIDAY_WORDS = ("国民の祝日", "国民の休日", "祝祭日", "振替休日", "祝日", "祝", "休日")
_INFORMATIONAL = (
    "館長が",
    "申し込み",
    "申込み",
    "事前",
    "許可",
    "夜間",
    "臨時",
    "貸館",
    "予約",
    "必要と認めた",
    "利用は",
    "利用可",
    "場合あり",
    "場合有",
    "要確認",  # 「営業時間は仮置き（要確認）」: the columns' hours stand until staff correct them
)
_LEADING = re.compile(r"^(?:および|及び|また|その他|原則|なお|尚|毎週|※|-|・|\s)+")
_PREFIX = re.compile(r"^\s*(?:休館日|閉所日|閉館日|休業日|休館)\s*(?:は|:)?\s*")
_SHIFT = re.compile(r"\(([^()]*(?:祝日|休日)[^()]*(?:翌日|次の平日|直後[^()]*))\)")
_EXCEPT_WEEK = re.compile(r"\(第(\d(?:[・,]\d)*)を除く\)")
_NTH = re.compile(r"第(\d(?:\s*[・,]\s*\d)*)\s*([月火水木金土日])曜日?(の翌日)?")
_LAST = re.compile(r"(?:毎月)?最終\s*([月火水木金土日])曜日?")


def _normalise(text: str) -> str:
    text = nfkc(text.replace("\u3000", "\n"))
    for mark, plain in (("〜", "~"), ("～", "~"), ("−", "-"), ("－", "-"), ("･", "・")):
        text = text.replace(mark, plain)
    return re.sub(r"[ \t\u3000]+", " ", text).strip()


def _clauses(text: str) -> list[str]:
    """The note cut at 、 。 ; and line ends outside parentheses, and after a closing parenthesis."""
    parts: list[str] = []
    depth, current = 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if depth == 0 and (char in "、。;\n" or (char == "," and not (current[-1:].isdigit()))):
            parts.append(current)
            current = ""
            continue
        current += char
        if char == ")" and depth == 0:
            parts.append(current)
            current = ""
    parts.append(current)
    result: list[str] = []
    for part in parts:
        part = _LEADING.sub("", part.strip()).strip()
        if part:
            if result and part.startswith("("):  # a parenthesis cut from its clause by a separator
                result[-1] += part
            else:
                result.append(part)
    return result


def _time(text: str) -> str:
    match = re.fullmatch(r"(午前|午後)?(\d{1,2})(?::(\d{2})|時(?:(\d{1,2})分|(半))?)", text)
    if match is None:
        raise ValueError(text)
    hours = int(match[2])
    minutes = int(match[3] or match[4] or (30 if match[5] else 0))
    if match[1] == "午後" and hours < 12:
        hours += 12
    return f"{hours:02d}:{minutes:02d}"


def _span(start: tuple[int, int], end: tuple[int, int]) -> str:
    return f"{MONTHS[start[0] - 1]} {start[1]:02d}-{MONTHS[end[0] - 1]} {end[1]:02d}"


def _date_range(text: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    match = re.search(_DATE_RANGE, text)
    if match:
        start = (int(match[1]), int(match[2]))
        end = (int(match[3]), int(match[4])) if match[3] else (start[0], int(match[5]))
        return (start, end) if _valid(start) and _valid(end) else None
    match = re.search(_SLASH_RANGE, text)
    if match:
        start, end = (int(match[1]), int(match[2])), (int(match[3]), int(match[4]))
        return (start, end) if _valid(start) and _valid(end) else None
    return None


def _valid(month_day: tuple[int, int]) -> bool:
    return 1 <= month_day[0] <= 12 and 1 <= month_day[1] <= 31


def _days(text: str) -> tuple[list[str], bool] | None:
    """The weekdays (OSM) and whether holidays are named in a list such as 「土・日・祝日」 or 「土曜日及び日曜日」."""
    days: list[str] = []
    holiday = False
    for token in re.split(r"[・,/]|及び|および|と|、", text):
        token = token.strip()
        if not token:
            continue
        if token in _HOLIDAY_WORDS:
            holiday = True
            continue
        match = re.fullmatch(r"(?:毎週)?([月火水木金土日]+)(?:曜日?|曜)?", token)
        if match is None:
            return None
        days.extend(OSM_DAYS[DAY_LETTERS.index(letter)] for letter in match[1])
    if not days and not holiday:
        return None
    return sorted(set(days), key=OSM_DAYS.index), holiday


def _closed_days(clause: str, rules: _Rules) -> bool:
    """Closures by weekday, week of the month and holidays; ``False`` if the clause is not such a list."""
    body = clause
    shift = _SHIFT.search(body)
    if shift:
        body = body.replace(shift[0], "")
    body = re.sub(r"\((?:祝日は開館|[^()]*除く|\d+/\d+は開館)\)", lambda m: m[0] if "第" in m[0] else "", body)
    except_week = _EXCEPT_WEEK.search(body)
    if except_week:
        body = body.replace(except_week[0], "")
    selectors: list[str] = []

    def nth(match: re.Match[str]) -> str:
        weeks = ",".join(re.findall(r"\d", match[1]))
        selectors.append(f"{OSM_DAYS[DAY_LETTERS.index(match[2])]}[{weeks}]" + (" +1 day" if match[3] else ""))
        return ""

    def last(match: re.Match[str]) -> str:
        selectors.append(f"{OSM_DAYS[DAY_LETTERS.index(match[1])]}[-1]")
        return ""

    body = _LAST.sub(last, _NTH.sub(nth, body))
    listed = _days(body) if re.sub(r"[・,/及びおよびと\s]", "", body) else ([], False)
    if listed is None or (not selectors and not listed[0] and not listed[1]):
        return False
    days, holiday = listed
    if except_week and len(days) == 1:
        kept = [str(week) for week in range(1, 6) if str(week) not in except_week[1]]
        selectors.append(f"{days[0]}[{','.join(kept)}]")
    elif except_week:
        return False
    elif days:
        selectors.append(",".join(days))
    for selector in selectors:
        rules.close(selector)
    if holiday:
        rules.close("PH")
    if shift:
        rules.close("PH +1 day")
    return True


def _day_hours(clause: str, rules: _Rules) -> bool:
    """Hours of named days: 「土曜日8:30~12:00迄開館」, 「土曜日の開館時間は9:00~12:45」, 「日曜は9時から19時」."""
    clause = re.sub(r"^開館時間\s*:?\s*", "", clause)
    match = re.fullmatch(
        rf"(.+?)\s*(?:の開館時間は|の開館時間\s*:|は|開館|:)?\s*{_TIME_RANGE}\s*(?:迄|まで)?\s*(?:開館)?\s*(?:となります|です)?",
        clause,
    )
    if match is None:
        return False
    listed = _days(match[1])
    if listed is None:
        return False
    days, holiday = listed
    hours = f"{_time(match[2])}-{_time(match[3])}"
    if days:
        rules.hours.append(f"{','.join(days)} {hours}")
    if holiday:
        rules.hours.append(f"PH {hours}")
        rules.holiday_hours = True
    return True


def _season_hours(clause: str, rules: _Rules, base_days: str) -> bool:
    """Hours for part of the year: 「11月~3月:午前9時から午後9時まで」."""
    match = re.fullmatch(rf"(\d{{1,2}})月\s*~\s*(\d{{1,2}})月\s*:\s*{_TIME_RANGE}", clause)
    if match is None or not (1 <= int(match[1]) <= 12 and 1 <= int(match[2]) <= 12):
        return False
    days = f" {base_days}" if base_days else ""
    months = f"{MONTHS[int(match[1]) - 1]}-{MONTHS[int(match[2]) - 1]}"
    rules.hours.append(f"{months}{days} {_time(match[3])}-{_time(match[4])}")
    return True


def _read_clause(clause: str, rules: _Rules, closing: bool, base_days: str) -> None:
    if re.fullmatch(r"なし(?:\(.*\))?", clause):
        return
    if any(word in clause for word in _INFORMATIONAL):
        rules.ignored.append(clause)
        if re.search(r"旧盆|お盆", clause):  # 「その他館長が指定する日（旧盆含）」: closed for 旧盆 at least
            rules.close(_span(*(_date_range(clause) or OBON)))
        return
    if clause.startswith("年末年始"):
        span = _date_range(clause)
        if span is not None or clause == "年末年始":
            rules.close(_span(*span) if span else _span(*YEAR_END))
            return
    if re.match(r"(?:旧盆|お盆|夏季休館日)", clause):
        span = _date_range(clause) or (OBON if re.fullmatch(r"(?:旧盆|お盆)(?:休暇|期間)?", clause) else None)
        if span is not None:
            rules.close(_span(*span))
            return
    if re.fullmatch(rf"(?:毎年)?(?:{_DATE_RANGE}|{_SLASH_RANGE})\s*(?:は)?\s*(利用不可|休館|閉館)?", clause):
        span = _date_range(clause)
        if span is None:
            rules.unread.append(clause)
        elif closing or re.search(r"利用不可|休館|閉館", clause):
            rules.close(_span(*span))
        else:
            rules.season = _span(*span)
        return
    if re.fullmatch(r"(?:祝日|休日)の翌日", clause):
        rules.close("PH +1 day")
        return
    if re.fullmatch(r"(?:国民の祝日|祝日)?除く", clause):
        rules.close("PH")
        return
    try:
        if _closed_days(clause, rules) or _day_hours(clause, rules) or _season_hours(clause, rules, base_days):
            return
    except ValueError:
        pass
    pieces = [piece for piece in re.split(r"・(?![^()]*\))|及び|および", clause) if piece.strip()]
    if len(pieces) > 1:  # 「お盆期間・年末年始」: a list of closures joined by ・ or 及び
        trial = _Rules()
        for piece in pieces:
            _read_clause(piece.strip(), trial, closing, base_days)
        if not trial.unread and not trial.hours and not trial.season:
            for rule in trial.closures:
                if rule not in rules.closures:
                    rules.closures.append(rule)
            rules.ignored.extend(trial.ignored)
            return
    rules.unread.append(clause)


def base_rule(open_days: str, open_from: str | None, open_until: str | None) -> tuple[str, str]:
    """The list's own columns as a rule (``Mo-Sa 08:30-17:20``) and the PH part (``PH 08:30-17:20`` or ``PH off``)."""
    days = [OSM_DAYS[DAY_LETTERS.index(letter)] for letter in DAY_LETTERS if letter in open_days]
    if not days or not _is_time(open_from) or not _is_time(open_until):
        return "", ""
    hours = f"{open_from}-{open_until}"
    return f"{_day_list(days)} {hours}", (f"PH {hours}" if "祝" in open_days else "PH off")


def _is_time(value: str | None) -> bool:
    return bool(value and re.fullmatch(r"\d{2}:\d{2}", value))


def _day_list(days: list[str]) -> str:
    """Mo,Tu,We,Th,Fr → Mo-Fr (runs of three or more days become a range)."""
    indices = [OSM_DAYS.index(day) for day in days]
    parts, run = [], [indices[0]]
    for index in indices[1:]:
        if index == run[-1] + 1:
            run.append(index)
            continue
        parts.append(run)
        run = [index]
    parts.append(run)
    text = []
    for run in parts:
        if len(run) >= 3:
            text.append(f"{OSM_DAYS[run[0]]}-{OSM_DAYS[run[-1]]}")
        else:
            text.extend(OSM_DAYS[i] for i in run)
    return ",".join(text)


def read_hours(open_days: str, open_from: str | None, open_until: str | None, note: str) -> HoursReading:
    """The ``opening_hours`` rule of a facility-list row and the clauses of its note it read or could not read.

    The rule is empty when the row has no opening days or hours (it is then no candidate anyway).
    """
    base, holiday = base_rule(open_days, open_from, open_until)
    text = _normalise(note)
    closing = bool(_PREFIX.match(text))
    text = re.sub(r"\([^()]*号\)", "", _PREFIX.sub("", text))  # 「(昭和23年法律第178号)」 inside a parenthesis
    text = re.sub(r"(?<![\d:])-(?![\d:])", "、", text)  # 「-毎週水曜日-年末年始」: dashes as list marks
    rules = _Rules()
    base_days = base.split(" ")[0] if base else ""
    for clause in _clauses(text):
        _read_clause(_PREFIX.sub("", clause), rules, closing, base_days)
    if not base:
        return HoursReading("", tuple(rules.unread), tuple(rules.ignored))
    parts = [f"{rules.season} {base}" if rules.season else base, *rules.hours]
    if not rules.holiday_hours and "PH off" not in rules.closures:
        parts.append(holiday)
    parts.extend(rules.closures)
    return HoursReading("; ".join(parts), tuple(rules.unread), tuple(rules.ignored))
