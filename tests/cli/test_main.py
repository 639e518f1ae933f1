"""The installed `outreach` command: venue import (with --dry-run), export, demo, database commands."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from booking.tables import BoothResult, Slot
from core.calendar import is_year_end_closure
from core.tables import StaffUser
from core.users import authenticate
from counter.tables import Ticket
from planner.tables import Session
from tests.conftest import DATA
from venues.tables import Venue

OUTREACH = str(Path(sys.executable).parent / "outreach")


def outreach(*args: str, lang: str = "ja") -> subprocess.CompletedProcess:
    """Run the command against the test database, with a time limit (a hung SQLite thread must not hang CI)."""
    env = {**os.environ, "OUTREACH_LANG": lang}
    return subprocess.run([OUTREACH, *args], capture_output=True, text=True, timeout=300, env=env)


def write_csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "facilities.csv"
    path.write_bytes(text.encode(encoding))
    return path


BAD = (
    "ID,名称,緯度,経度,利用可能曜日,開始時間,終了時間\n"
    "B1,弥生公民館,36.5501,136.6401,月火水木金,09:00,17:00\n"
    "B2,泉公民館,136.6402,36.5512,月火水木金,09:00,17:00\n"
)


async def test_dry_run_reports_and_changes_nothing():
    result = outreach("venues", "import", str(DATA / "public_facilities.csv"), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "1106" in result.stdout and "116" in result.stdout
    assert "証明書交付機" in result.stdout  # the kiosks are reported as left out, with their row
    assert await Venue.count() == 0


def test_dry_run_works_before_the_database_is_set_up(tmp_path):
    empty = tmp_path / "fresh.sqlite"
    env = {
        **os.environ,
        "OUTREACH_LANG": "en",
        "OUTREACH_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{empty}",
    }
    result = subprocess.run(
        [OUTREACH, "venues", "import", str(DATA / "commercial_venues.csv"), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "not set up" in result.stderr
    assert "4 importable" in result.stdout and "Dry run" in result.stdout


async def test_import_with_errors_imports_nothing_unless_accepted(tmp_path):
    path = write_csv(tmp_path, BAD, "cp932")
    refused = outreach("venues", "import", str(path), lang="en")
    assert refused.returncode == 1
    line = next(line for line in refused.stdout.splitlines() if line.startswith("ERROR"))
    assert "row 3" in line and "136.6402" in line and "swapped" in line
    assert await Venue.count() == 0
    accepted = outreach("venues", "import", str(path), "--accept-partial")
    assert accepted.returncode == 0, accepted.stderr
    assert [v["venue_id"] for v in await Venue.select(Venue.venue_id)] == ["B1"]


async def test_importing_twice_updates_in_place(tmp_path):
    path = DATA / "commercial_venues.csv"
    assert outreach("venues", "import", str(path)).returncode == 0
    second = outreach("venues", "import", str(path), lang="en")
    assert "0 created, 0 updated, 4 unchanged" in second.stdout
    assert await Venue.count() == 4


async def test_kind_override_from_the_command_line(tmp_path):
    path = write_csv(tmp_path, "ID,名称,緯度,経度\nK1,ふれあいプラザ,36.56,136.65\n")
    assert outreach("venues", "import", str(path), "--kind", "2=welfare").returncode == 0
    assert (await Venue.select(Venue.kind).first())["kind"] == "welfare"
    assert outreach("venues", "import", str(path), "--kind", "two=welfare").returncode != 0


async def test_export_writes_a_file_that_imports_unchanged(tmp_path):
    assert outreach("venues", "import", str(DATA / "commercial_venues.csv")).returncode == 0
    out = tmp_path / "export.csv"
    assert outreach("venues", "export", "--out", str(out)).returncode == 0
    again = outreach("venues", "import", str(out), lang="en")
    assert "0 created, 0 updated, 4 unchanged" in again.stdout
    # Shift_JIS has no 〜 (WAVE DASH): it comes back as ～, so the notes change, but no venue is duplicated.
    assert outreach("venues", "export", "--out", str(out), "--encoding", "cp932").returncode == 0
    assert "0 created, 4 updated" in outreach("venues", "import", str(out), lang="en").stdout
    assert await Venue.count() == 4


async def test_demo_as_of_a_day_in_the_year_end_closure_prints_working_logins():
    result = outreach("demo", "--date", "2026-12-30", lang="en")
    assert result.returncode == 0, result.stderr
    assert await Venue.count() == 120  # 116 from the facility list + 4 shopping facilities
    logins = [line.split() for line in result.stdout.splitlines() if "password:" in line]
    assert len(logins) == 4 and await StaffUser.count() == 4
    for words in logins:
        username, password = words[words.index("username:") + 1], words[words.index("password:") + 1]
        assert await authenticate(username, password) is not None
    assert result.stdout.count("try first:") == 4
    assert "held up to yesterday" in result.stdout and "submitted for review" in result.stdout
    held = await Session.select(Session.date).where(
        (Session.state == "published") & (Session.date < dt.date(2026, 12, 30))
    )
    assert len(held) > 50 and not any(is_year_end_closure(row["date"]) for row in held)
    assert await BoothResult.count() == len(held)
    published = await Session.count().where(Session.state == "published")
    assert published >= 100 and await Slot.count() == published * 14
    # City Hall's last two opening days have queue tickets: the fourth Sunday's opening and Monday; today is closed.
    tickets = await Ticket.count()
    assert f"City Hall's counter (CITYHALL): {tickets} queue tickets simulated, 2 days" in result.stdout
    days = {row["day"] for row in await Ticket.select(Ticket.day).distinct()}
    assert days == {dt.date(2026, 12, 27), dt.date(2026, 12, 28)}
    assert outreach("demo", "--date", "2026-12-30").returncode == 0  # again: the same story, new passwords
    assert await Venue.count() == 120 and await StaffUser.count() == 4 and await Ticket.count() == tickets
    assert await Session.count().where(Session.state == "published") == published
    assert await BoothResult.count() == len(held)


def test_demo_refuses_a_date_it_cannot_read():
    result = outreach("demo", "--date", "2026-13-01", lang="en")
    assert result.returncode == 2 and "2026-13-01" in result.stderr


async def test_remind_command_queues_tomorrows_reminders_once():
    import datetime as dt

    from booking.bookings import BookingRequest, create_booking
    from core import clock
    from core.tables import OutboxMessage
    from tests.booking.factories import publish_booth

    # `outreach remind` means tomorrow in Japan, whatever the machine's time zone and hour (issue 17)
    booth = await publish_booth(clock.today() + dt.timedelta(days=1))
    await create_booking(BookingRequest(slot_id=booth["slots"][-1]["id"], name_kana="テスト", email="a@example.jp"))
    first = outreach("remind", lang="en")
    assert first.returncode == 0 and "1 reminder queued" in first.stdout
    assert "0 reminders queued" in outreach("remind", lang="en").stdout
    assert await OutboxMessage.count().where(OutboxMessage.kind == "booking.reminder") == 1


async def test_db_commands():
    assert outreach("db", "migrate").returncode == 0
    assert outreach("db", "check").stdout.strip() == "ok"
