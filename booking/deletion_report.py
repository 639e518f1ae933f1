"""The deletion report (個人情報の削除報告書) of the end-of-contract deletion, as an A4 PDF for the city (WeasyPrint):
the contract's reason, what was deleted (data item, table, number of records, method), when (with 和暦), by whom, on
which database engine, what is kept, and a signature block. It holds counts only, never a personal value."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from booking.retention import PurgeResult
from core import clock
from core.db import engine, is_sqlite
from core.printing import print_pdf, template_environment
from core.wareki import wareki

TEMPLATE_DIR = Path(__file__).parent / "templates"
TITLE = "個人情報の削除報告書"


@dataclass(frozen=True)
class ReportItem:
    """One row of the table of deleted data."""

    key: str
    item: str  # 削除したデータ項目 (Japanese)
    item_en: str
    table: str  # where it was stored
    method: str  # 削除 | 匿名化 | ...


ITEMS = (
    ReportItem(
        "bookings_anonymised",
        "予約者の氏名（カナ）・電話番号・メールアドレス・配慮事項・事前確認の回答",
        "Residents' names, phones, emails, needs and answers",
        "resident_booking",
        "匿名化（項目を消去）",
    ),
    ReportItem(
        "waitlist_entries_anonymised",
        "キャンセル待ちの登録者の氏名（カナ）・電話番号・メールアドレス",
        "Waiting list entries' names, phones and emails",
        "waitlist_entry",
        "匿名化（項目を消去）",
    ),
    ReportItem(
        "resident_messages_deleted",
        "住民あてメール（予約の確認・変更・取消・前日案内など）",
        "Emails to residents",
        "outbox_message",
        "削除",
    ),
    ReportItem(
        "partner_messages_deleted",
        "会場担当者あてメール（カレンダー招待）",
        "Emails to venue partners (calendar invitations)",
        "outbox_message",
        "削除",
    ),
    ReportItem("staff_messages_deleted", "職員あて通知メール", "Staff notification emails", "outbox_message", "削除"),
    ReportItem(
        "venue_contacts_erased",
        "会場担当者の氏名・メールアドレス",
        "Venue partners' names and emails",
        "venue",
        "削除（項目を消去）",
    ),
    ReportItem(
        "invitation_contacts_erased",
        "招待状の宛先（担当者の氏名・メールアドレス）",
        "Invitation recipients' names and emails",
        "partner_invitation",
        "削除（項目を消去）",
    ),
    ReportItem(
        "invitation_notes_erased",
        "招待への回答に添えられたコメント",
        "Partners' answer notes",
        "partner_invitation",
        "削除（項目を消去）",
    ),
    ReportItem(
        "audit_entries_scrubbed",
        "監査ログに含まれる個人情報（担当者の連絡先の変更履歴など）",
        "Personal data in the audit log",
        "audit_event",
        "該当部分を削除",
    ),
    ReportItem(
        "free_texts_scrubbed",
        "備考・コメント欄に記載された個人情報",
        "Personal data in notes and comments",
        "venue, publicity_placement, booth_result, report_note, plan_session, plan_version, venue_blackout_date",
        "該当部分を削除",
    ),
    ReportItem(
        "staff_accounts_deactivated",
        "受託者職員のアカウント（メールアドレス）",
        "Contractor staff accounts (email addresses)",
        "staff_user",
        "無効化・メールアドレスを削除",
    ),
)
KEPT = (
    "予約の件数・人数・状態（予約・来場・取消・無断欠席）・時間枠・会場・流入元（広報の掲示場所コード）・言語・受付日時",
    "キャンセル待ちの件数・人数・状態（待機・案内・予約・辞退・期限切れ・取り下げ・終了）・希望の時間枠",
    "当日受付（ウォークイン）の受付番号と人数、会場ごとの実績（申請件数・写真撮影件数・相談件数）、窓口実績",
    "実施計画・会場・広報掲示場所の情報（個人を特定する情報を含まないもの）",
    "監査ログ（職員のユーザー名と操作の記録。個人情報に当たる部分は削除済み）、職員のユーザー名と表示名",
)


async def database_engine() -> str:
    """The database the deletion ran on: the engine and its version only (never a URL, host or password)."""
    if is_sqlite():
        return f"SQLite {sqlite3.sqlite_version}"
    rows = await engine().run_ddl("SHOW server_version")
    version = str(rows[0]["server_version"]).split()[0] if rows else ""
    return f"PostgreSQL {version}".strip()


def _when(moment: dt.datetime) -> dict[str, str]:
    local = moment.astimezone(clock.JST)
    date = f"{local.year}年{local.month}月{local.day}日"
    return {
        "date": date,
        "western": f"{date} {local:%H:%M}",
        "wareki_date": wareki(local.date()),
        "wareki": f"{wareki(local.date())} {local:%H時%M分}",
    }


def deletion_report_html(result: PurgeResult, database: str) -> str:
    """The report as the HTML document the PDF is printed from."""
    rows = [{"item": item, "count": int(result.counts.get(item.key, 0))} for item in ITEMS]
    compacted = bool(result.counts.get("storage_compacted"))
    return (
        template_environment(TEMPLATE_DIR)
        .get_template("deletion_report.html")
        .render(
            title=TITLE,
            rows=rows,
            total=sum(row["count"] for row in rows),
            started=_when(result.started_at),
            finished=_when(result.finished_at),
            issued=_when(clock.now()),
            actor=result.actor,
            database=database,
            run_id=result.run_id,
            compacted=compacted,
            kept=KEPT,
        )
    )


def deletion_report_pdf(result: PurgeResult, database: str) -> bytes:
    """The report as A4 PDF bytes."""
    return print_pdf(deletion_report_html(result, database), TEMPLATE_DIR)


async def write_deletion_report(result: PurgeResult, path: Path) -> Path:
    """Render the report of a run and write it to ``path`` (folders created); returns the path."""
    content = deletion_report_pdf(result, await database_engine())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path
