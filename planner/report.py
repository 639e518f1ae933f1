"""What the 実施計画書 (the implementation plan the city reads and approves) says, shared by its Excel and PDF forms:
the session table, the monthly summary, the parameters and the solver's result, as plain values in Japanese."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.calendar import WEEKDAY_LETTERS, DayType, month_key, national_holiday_name
from core.geo import haversine_km
from core.i18n import using_locale
from core.wareki import wareki, wareki_year
from planner.model import PlannedSession, PlanResult
from venues.facility_kinds import kind_label

DAY_TYPE_LABELS = {DayType.weekday: "平日", DayType.holiday: "休日"}
STATUS_LABELS = {
    "optimal": "この条件で到達度が最も高い計画（確認済み）",
    "feasible": "時間内に見つかった最良の計画（最も高いとは確認できていない）",
}

SESSION_HEADERS: tuple[str, ...] = (
    "回",
    "日付",
    "和暦",
    "曜日",
    "平日/休日",
    "会場",
    "所在地",
    "実施時間",
    "従事者数",
    "見込み件数",
    "選定理由",
)
MONTHLY_HEADERS: tuple[str, ...] = (
    "月",
    "和暦",
    "平日 回数",
    "平日 計画",
    "休日 回数",
    "休日 計画",
    "合計 回数",
    "合計 計画",
    "見込み件数",
    "従事者延べ人数",
)


# --- dates -----------------------------------------------------------------------------------------------------


def wareki_month(month: str) -> str:
    """A ``YYYY-MM`` month in the Japanese calendar, by its first day: 令和9年4月."""
    first = dt.date.fromisoformat(f"{month}-01")
    return f"{wareki_year(first)}{first.month}月"


def seireki(date: dt.date) -> str:
    """The date the Western way in Japanese: 2027年4月4日."""
    return f"{date.year}年{date.month}月{date.day}日"


def month_label(month: str) -> str:
    """``2027-04`` → 2027年4月."""
    year, number = month.split("-")
    return f"{int(year)}年{int(number)}月"


def weekday_letter(date: dt.date) -> str:
    """曜日 as one letter: 月 … 日."""
    return WEEKDAY_LETTERS[date.weekday()]


def weekday_text(date: dt.date) -> str:
    """曜日 as shown in the table: 木, or 木・祝（昭和の日） on a national holiday."""
    name = national_holiday_name(date)
    letter = weekday_letter(date)
    return f"{letter}・祝（{name}）" if name else letter


def period_text(start: dt.date, end: dt.date) -> str:
    """2027年4月1日～2027年9月30日."""
    return f"{seireki(start)}～{seireki(end)}"


def period_wareki_text(start: dt.date, end: dt.date) -> str:
    """令和9年4月1日～令和9年9月30日."""
    return f"{wareki(start)}～{wareki(end)}"


def time_range(start: dt.time, end: dt.time) -> str:
    """10:00–17:00."""
    return f"{start:%H:%M}–{end:%H:%M}"


# --- the session table ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    """One row of the session table (実施計画): a booth with its sequence number 回."""

    number: int
    date: dt.date
    date_text: str
    wareki_text: str
    weekday: str
    holiday_name: str
    weekday_text: str
    day_type: str
    venue_id: str
    venue_name: str
    venue_address: str
    venue_kind: str
    time_text: str
    hours: float
    staff: int
    expected_applicants: int
    reason: str
    locked: bool
    lat: float
    lon: float

    @property
    def month(self) -> str:
        """``YYYY-MM`` of the session."""
        return month_key(self.date)

    def cells(self) -> tuple[object, ...]:
        """The values under SESSION_HEADERS (the date as a date, the rest as shown)."""
        return (
            self.number,
            self.date,
            self.wareki_text,
            self.weekday_text,
            self.day_type,
            self.venue_name,
            self.venue_address,
            self.time_text,
            self.staff,
            self.expected_applicants,
            self.reason_text,
        )

    @property
    def reason_text(self) -> str:
        """The reason, marked 【固定】 when re-planning had to keep the session."""
        return f"【固定】{self.reason}" if self.locked else self.reason


def ordered_sessions(result: PlanResult) -> list[PlannedSession]:
    """The plan's sessions in the order of their 回 numbers (date, start, venue)."""
    return sorted(result.sessions, key=lambda s: (s.date, s.start, s.venue_id))


def _hours(start: dt.time, end: dt.time) -> float:
    return (dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)).total_seconds() / 3600


def session_rows(result: PlanResult) -> list[SessionRow]:
    """The session table: one row per session, numbered 1..n in date order."""
    with using_locale("ja"):
        kinds = {s.venue_kind: kind_label(s.venue_kind) if s.venue_kind else "" for s in result.sessions}
    rows = []
    for number, session in enumerate(ordered_sessions(result), start=1):
        rows.append(
            SessionRow(
                number=number,
                date=session.date,
                date_text=seireki(session.date),
                wareki_text=wareki(session.date),
                weekday=weekday_letter(session.date),
                holiday_name=national_holiday_name(session.date) or "",
                weekday_text=weekday_text(session.date),
                day_type=DAY_TYPE_LABELS.get(session.day_type, str(session.day_type)),
                venue_id=session.venue_id,
                venue_name=session.venue_name,
                venue_address=session.venue_address,
                venue_kind=kinds[session.venue_kind],
                time_text=time_range(session.start, session.end),
                hours=_hours(session.start, session.end),
                staff=session.staff,
                expected_applicants=session.expected_applicants,
                reason=session.reason,
                locked=session.locked,
                lat=session.lat,
                lon=session.lon,
            )
        )
    return rows


# --- the monthly summary -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthRow:
    """Sessions held against the quota asked, for one month (or the totals, with month ``""``)."""

    month: str
    label: str
    wareki_label: str
    weekday: int
    weekday_quota: int
    holiday: int
    holiday_quota: int
    expected_applicants: int
    staff_days: int

    @property
    def sessions(self) -> int:
        """Weekday and holiday sessions together."""
        return self.weekday + self.holiday

    @property
    def quota(self) -> int:
        """Weekday and holiday quotas together."""
        return self.weekday_quota + self.holiday_quota

    def cells(self) -> tuple[object, ...]:
        """The values under MONTHLY_HEADERS."""
        return (
            self.label,
            self.wareki_label,
            self.weekday,
            self.weekday_quota,
            self.holiday,
            self.holiday_quota,
            self.sessions,
            self.quota,
            self.expected_applicants,
            self.staff_days,
        )


def monthly_summary(result: PlanResult) -> tuple[list[MonthRow], MonthRow]:
    """Per month: weekday and holiday sessions against their quotas, expected applicants; and the totals."""
    months = sorted({month_key(s.date) for s in result.sessions} | set(result.quotas))
    rows = []
    for month in months:
        sessions = [s for s in result.sessions if month_key(s.date) == month]
        quota = result.quotas.get(month, {})
        rows.append(
            MonthRow(
                month=month,
                label=month_label(month),
                wareki_label=wareki_month(month),
                weekday=sum(1 for s in sessions if s.day_type == DayType.weekday),
                weekday_quota=int(quota.get("weekday", 0)),
                holiday=sum(1 for s in sessions if s.day_type == DayType.holiday),
                holiday_quota=int(quota.get("holiday", 0)),
                expected_applicants=sum(s.expected_applicants for s in sessions),
                staff_days=sum(s.staff for s in sessions),
            )
        )
    total = MonthRow(
        month="",
        label="合計",
        wareki_label="",
        weekday=sum(r.weekday for r in rows),
        weekday_quota=sum(r.weekday_quota for r in rows),
        holiday=sum(r.holiday for r in rows),
        holiday_quota=sum(r.holiday_quota for r in rows),
        expected_applicants=sum(r.expected_applicants for r in rows),
        staff_days=sum(r.staff_days for r in rows),
    )
    return rows, total


# --- parameters and result -----------------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:g}"


def _per_kind(values: dict[str, float], default: float, unit: str = "") -> str:
    with using_locale("ja"):
        parts = [f"{kind_label(kind)} {_number(v)}{unit}" for kind, v in sorted(values.items())]
    parts.append(f"{'その他' if values else 'すべて'} {_number(default)}{unit}")
    return "、".join(parts)


def status_label(status: str) -> str:
    """最適 or 実行可能 (the solver's status in Japanese)."""
    return STATUS_LABELS.get(status, status)


def gap_text(gap: float) -> str:
    """The relative gap as a percentage, or — when it is not finite."""
    return f"{gap:.2%}" if math.isfinite(gap) else "—"


def parameter_items(result: PlanResult) -> list[tuple[str, str]]:
    """The plan's conditions (the model's parameters) as label/value pairs in Japanese."""
    p = result.parameters
    items = [
        ("期間", f"{period_text(p.start, p.end)}（{period_wareki_text(p.start, p.end)}）"),
        ("平日の回数/月", f"{p.weekday_per_month} 回"),
        ("休日の回数/月", f"{p.holiday_per_month} 回"),
    ]
    if p.month_overrides:
        overrides = []
        for month, values in sorted(p.month_overrides.items()):
            kinds = "、".join(
                f"{DAY_TYPE_LABELS[DayType(k)]} {n} 回" for k, n in sorted(values.items()) if k in DayType.__members__
            )
            overrides.append(f"{month_label(month)}: {kinds}")
        items.append(("月別の回数（上書き）", "／".join(overrides)))
    in_period = dict.fromkeys(first.month for first in _months(p.start, p.end))
    seasons = [f"{n}月 {p.seasonality[n]:.2f}" for n in in_period if n in p.seasonality]
    items += [
        ("班数（1日の最大回数）", f"{p.teams} 班"),
        ("1回の従事者数", f"{p.staff_per_session} 人"),
        ("同一会場の最小間隔（日）", f"{p.min_gap_days} 日"),
        ("実施時間帯", time_range(p.booth_start, p.booth_end)),
        ("最低実施時間", f"{_number(p.min_hours)} 時間"),
        ("到達半径", _per_kind(dict(p.radius_km), p.default_radius_km, " km")),
        ("集客係数", _per_kind(dict(p.draw), p.default_draw)),
        (
            "アクセス重み",
            f"min({_number(p.max_access_weight)}, 1 + d / {_number(p.access_km_per_step)})"
            "（d: 最寄りの常設申請窓口までの距離 km）",
        ),
        ("重複訪問の逓減", f"{_number(p.decay)} 倍ずつ（{p.levels} 回目まで）"),
        ("見込み件数の算定", f"{_number(p.base_rate_per_hour)} 件/時 × 実施時間 × 集客係数 × 月別係数"),
        ("月別係数", "、".join(seasons) if seasons else "なし（すべて 1）"),
        ("求解時間の上限", f"{_number(p.time_limit_seconds)} 秒"),
    ]
    return items


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, current = [], start.replace(day=1)
    while current <= end:
        months.append(current)
        current = (current + dt.timedelta(days=32)).replace(day=1)
    return months


def result_items(result: PlanResult) -> list[tuple[str, str]]:
    """How the plan was computed, for the appendix: how good it is, its reach (到達度), the best reach possible,
    the difference and the time."""
    items = [
        ("計画の評価", status_label(result.status)),
        ("到達度", f"{result.objective:,.2f}"),
        ("到達度の上限（理論値）", f"{result.bound:,.2f}"),
        ("上限との差", gap_text(result.gap)),
        ("計算時間", f"{result.solve_seconds:.1f} 秒"),
    ]
    if result.method:
        items.append(("計算方法", result.method))
    return items


# --- the towns the plan reaches ---------------------------------------------------------------------------------

Town = tuple[float, float, str]  # a demand point: lat, lon, town name (町名; "" when unknown)


def town_points(background: Iterable[Sequence[object]]) -> list[Town]:
    """Demand points as (lat, lon, name), from (lat, lon) or (lat, lon, name) tuples."""
    points = []
    for point in background:
        lat, lon = float(point[0]), float(point[1])  # type: ignore[arg-type]
        name = str(point[2]) if len(point) > 2 else ""
        points.append((lat, lon, name))
    return points


def point_visits(result: PlanResult, points: Sequence[Town]) -> list[int]:
    """For each point, how many of the plan's sessions reach it (within the radius of the venue's kind)."""
    venues: dict[str, tuple[float, float, float, int]] = {}
    for s in result.sessions:
        lat, lon, radius, n = venues.get(s.venue_id, (s.lat, s.lon, result.parameters.radius(s.venue_kind), 0))
        venues[s.venue_id] = (lat, lon, radius, n + 1)
    visits = []
    for lat, lon, _name in points:
        visits.append(
            sum(n for vlat, vlon, radius, n in venues.values() if haversine_km((lat, lon), (vlat, vlon)) <= radius)
        )
    return visits


def towns_reached(result: PlanResult, points: Sequence[Town]) -> tuple[int, int]:
    """(towns the plan reaches at least once, towns in all), a town being a name (or a point without one)."""
    reached: dict[str, bool] = {}
    for index, ((_lat, _lon, name), visits) in enumerate(zip(points, point_visits(result, points), strict=True)):
        key = name or f"#{index}"
        reached[key] = reached.get(key, False) or visits > 0
    return sum(reached.values()), len(reached)


def reach_sentence(result: PlanResult, towns: tuple[int, int] | None = None) -> str:
    """The plan's reach (到達度) explained in one sentence of plain Japanese, with how many towns it reaches."""
    p = result.parameters
    radii = _per_kind(dict(p.radius_km), p.default_radius_km, " km")
    sentence = (
        f"到達度 {result.objective:,.1f} は、ブースから近い（{radii} 以内）地区の数を、常設の申請窓口から遠い地区"
        f"ほど重く（最大 {_number(p.max_access_weight)} 倍）、同じ地区への2回目からの訪問は軽く数えた点数で"
    )
    if result.status == "optimal":
        sentence += "、この条件ではこれより高い計画はありません"
    elif math.isfinite(result.gap):
        sentence += f"、この条件で考えられる最高の値との差は {gap_text(result.gap)} 以内です"
    if towns and towns[1]:
        reached, total = towns
        sentence += f"（市内 {total:,} の町のうち {reached:,} の町、{reached / total:.0%} にブースが届きます）"
    return sentence + "。"


@dataclass(frozen=True)
class Summary:
    """The cover page's figures."""

    period: str
    period_wareki: str
    status: str
    sessions: int
    weekday_sessions: int
    holiday_sessions: int
    venues: int
    expected_applicants: int
    staff_days: int
    objective: str
    bound: str
    gap: str
    solve_seconds: str
    shortages: int
    reach: str = ""
    towns_reached: int = 0
    towns: int = 0


def summary(result: PlanResult, points: Sequence[Town] = ()) -> Summary:
    """The plan in a few figures: period, sessions, venues, expected applicants, its reach in words (with the towns
    among ``points`` it reaches) and the solver's figures."""
    p = result.parameters
    towns = towns_reached(result, points) if points else None
    return Summary(
        period=period_text(p.start, p.end),
        period_wareki=period_wareki_text(p.start, p.end),
        status=status_label(result.status),
        sessions=len(result.sessions),
        weekday_sessions=sum(1 for s in result.sessions if s.day_type == DayType.weekday),
        holiday_sessions=sum(1 for s in result.sessions if s.day_type == DayType.holiday),
        venues=len({s.venue_id for s in result.sessions}),
        expected_applicants=sum(s.expected_applicants for s in result.sessions),
        staff_days=sum(s.staff for s in result.sessions),
        objective=f"{result.objective:,.2f}",
        bound=f"{result.bound:,.2f}",
        gap=gap_text(result.gap),
        solve_seconds=f"{result.solve_seconds:.1f} 秒",
        shortages=len(result.shortages),
        reach=reach_sentence(result, towns),
        towns_reached=towns[0] if towns else 0,
        towns=towns[1] if towns else 0,
    )


def shortage_lines(result: PlanResult) -> list[str]:
    """Each month and day type whose quota cannot be met, in words."""
    return [s.message for s in result.shortages]


def note_lines(result: PlanResult) -> list[str]:
    """What the planner left out or skipped (candidates, demand rows), in words."""
    return list(result.notes)


def venue_numbers(rows: Sequence[SessionRow]) -> dict[str, list[int]]:
    """venue_id → the 回 numbers of its sessions, in order."""
    numbers: dict[str, list[int]] = {}
    for row in rows:
        numbers.setdefault(row.venue_id, []).append(row.number)
    return numbers
