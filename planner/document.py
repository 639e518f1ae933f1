"""The 実施計画書 as a document the city files: who it is addressed to and from, which version it is and where that
version stands in the review (提出・承認, by whom and when), the date of the document and the names of its files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from core import clock
from core.calendar import fiscal_year, fiscal_year_period
from core.clock import JST
from core.settings import get_settings
from core.wareki import wareki
from planner.report import Summary

# The version's state as a municipal office writes it (a file name carries it too).
STATE_LABELS = {"draft": "案", "submitted": "提出済み", "approved": "承認済み", "returned": "差し戻し"}
STATE_ASCII = {"draft": "draft", "submitted": "submitted", "approved": "approved", "returned": "returned"}
DOCUMENT_TITLE = "実施計画書"


def japanese_date(date: dt.date) -> str:
    """令和9年4月1日（2027年4月1日）: the 和暦 first, the Western date beside it."""
    return f"{wareki(date)}（{date.year}年{date.month}月{date.day}日）"


def japanese_time(moment: dt.datetime) -> str:
    """An instant as Japan's date and time: 令和8年12月3日（2026年12月3日）10:05."""
    local = moment.astimezone(JST)
    return f"{japanese_date(local.date())} {local:%H:%M}"


def period_label(start: dt.date, end: dt.date) -> str:
    """2027年度 for a whole fiscal year; else 2027年4月～2027年9月."""
    year = fiscal_year(start)
    if (start, end) == fiscal_year_period(year):
        return f"{year}年度"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.year}年{start.month}月"
    return f"{start.year}年{start.month}月～{end.year}年{end.month}月"


def _period_ascii(start: dt.date, end: dt.date) -> str:
    year = fiscal_year(start)
    if (start, end) == fiscal_year_period(year):
        return f"FY{year}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start:%Y-%m}"
    return f"{start:%Y%m}-{end:%Y%m}"


@dataclass(frozen=True)
class VersionStep:
    """One version in the review: its number, state, and who submitted and decided it, and when."""

    number: int
    state: str  # a VersionState value
    created_at: dt.datetime | None = None
    submitted_at: dt.datetime | None = None
    submitted_by: str = ""
    decided_at: dt.datetime | None = None
    decided_by: str = ""
    comment: str = ""

    @property
    def state_label(self) -> str:
        """案, 提出済み, 承認済み or 差し戻し."""
        return STATE_LABELS.get(self.state, self.state)

    @property
    def submitted_text(self) -> str:
        """令和8年12月1日（2026年12月1日）10:05 山田 太郎, or — before it is submitted."""
        if not self.submitted_at:
            return "—"
        return " ".join(filter(None, (japanese_time(self.submitted_at), self.submitted_by)))

    @property
    def decided_text(self) -> str:
        """承認 (or 差し戻し) with the date and the reviewer's name, or — before a decision."""
        if not self.decided_at:
            return "—"
        verb = "承認" if self.state == "approved" else "差し戻し"
        return " ".join(filter(None, (verb, japanese_time(self.decided_at), self.decided_by)))


@dataclass(frozen=True)
class PlanDocument:
    """The cover's facts that are not in the plan itself: addressee and contractor (settings), the plan's title,
    this version and the versions before it, and the date the document was made (today in Japan)."""

    issued: dt.date
    plan_title: str = ""
    addressee: str = ""  # PLAN_ADDRESSEE, e.g. 金沢市長 宛
    contractor: str = ""  # CONTRACTOR_NAME
    version: int | None = None  # None: a plan made without the database (outreach plan)
    state: str = ""
    history: Sequence[VersionStep] = ()

    @property
    def state_label(self) -> str:
        """The version's state in Japanese (案 when there is no version yet)."""
        return STATE_LABELS.get(self.state, "案")

    @property
    def version_label(self) -> str:
        """第2版（承認済み）, or 案 for a plan outside the review."""
        if self.version is None:
            return self.state_label
        return f"第{self.version}版（{self.state_label}）"

    @property
    def current(self) -> VersionStep | None:
        """This version's step in the history."""
        return next((step for step in self.history if step.number == self.version), None)

    def heading(self, start: dt.date, end: dt.date) -> str:
        """The document's title line: 2027年度 実施計画書 第2版（承認済み）; the PDF's and workbook's title."""
        return f"{period_label(start, end)} {DOCUMENT_TITLE} {self.version_label}"

    def subtitle(self, start: dt.date, end: dt.date) -> str:
        """The plan's own title under the heading, unless the heading already says it (2027年度 実施計画)."""
        squeeze = str.maketrans("", "", " 　")
        if self.plan_title.translate(squeeze) in self.heading(start, end).translate(squeeze):
            return ""
        return self.plan_title

    def file_name(self, start: dt.date, end: dt.date, extension: str) -> str:
        """実施計画-2027年度-第2版-承認済み.pdf."""
        parts = ["実施計画", period_label(start, end)]
        if self.version is not None:
            parts.append(f"第{self.version}版")
        parts.append(self.state_label)
        return "-".join(parts).replace("～", "-") + f".{extension}"

    def ascii_file_name(self, start: dt.date, end: dt.date, extension: str) -> str:
        """plan-FY2027-v2-approved.pdf: the fallback for clients without RFC 6266 filename*."""
        parts = ["plan", _period_ascii(start, end)]
        if self.version is not None:
            parts.append(f"v{self.version}")
        parts.append(STATE_ASCII.get(self.state, "draft"))
        return "-".join(parts) + f".{extension}"


def plan_document(
    *, plan_title: str = "", version: int | None = None, state: str = "", history: Sequence[VersionStep] = ()
) -> PlanDocument:
    """The document as of today in Japan, addressed and signed as the settings say (PLAN_ADDRESSEE,
    CONTRACTOR_NAME)."""
    settings = get_settings()
    return PlanDocument(
        issued=clock.today(),
        plan_title=plan_title,
        addressee=settings.plan_addressee,
        contractor=settings.contractor_name,
        version=version,
        state=state,
        history=tuple(history),
    )


HISTORY_HEADERS = ("版", "状態", "提出（日時・提出者）", "審査（結果・日時・審査者）", "審査の意見")


def cover_items(document: PlanDocument, summary: Summary) -> list[tuple[str, str]]:
    """The cover's table, shared by the PDF and the workbook's 表紙 sheet."""
    return [
        ("実施期間", f"{summary.period_wareki}（{summary.period}）"),
        ("版", document.version_label),
        (
            "実施回数",
            f"{summary.sessions} 回（平日 {summary.weekday_sessions} 回・休日 {summary.holiday_sessions} 回）",
        ),
        ("会場数", f"{summary.venues} 会場"),
        ("見込み件数（合計）", f"{summary.expected_applicants:,} 件"),
        ("従事者延べ人数", f"{summary.staff_days:,} 人"),
        ("到達度", summary.reach),
    ]


def history_rows(document: PlanDocument) -> list[tuple[str, str, str, str, str]]:
    """The review's course, one row per version (under HISTORY_HEADERS)."""
    return [
        (f"第{s.number}版", s.state_label, s.submitted_text, s.decided_text, s.comment or "—") for s in document.history
    ]
