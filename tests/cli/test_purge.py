"""`outreach purge` as cron and the operator run it (the installed command, on the test database): the scheduled purge,
--dry-run, the refusals of --end-of-contract without --by or --yes, the deletion report, exit codes, and output
that carries counts only."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from booking.bookings import BookingRequest, create_booking
from booking.tables import Booking, PurgeRun
from core import clock
from tests.booking.factories import publish_booth

OUTREACH = str(Path(sys.executable).parent / "outreach")
PAST_BOOTH = dt.date(2024, 5, 11)  # long before today: past any retention period
RESIDENTS = [
    ("ハヤシ トモコ", "09024681012", "tomoko.hayashi@resident.example.jp"),
    ("モリタ ジュンペイ", "08011235813", "junpei.morita@resident.example.jp"),
]


def outreach(*args: str, lang: str = "en") -> subprocess.CompletedProcess:
    """The command against the test database, stdin not a terminal (as from cron), with a time limit."""
    env = {**os.environ, "OUTREACH_LANG": lang}
    return subprocess.run(
        [OUTREACH, *args], check=False, capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL
    )


def personal(result: subprocess.CompletedProcess) -> list[str]:
    output = result.stdout + result.stderr
    return [value for resident in RESIDENTS for value in resident if value in output]


async def bookings() -> dict:
    """A past booth's and a coming booth's booking for each resident; returns the booths' session ids."""
    with clock.frozen(dt.datetime(2024, 5, 1, 9, tzinfo=clock.JST)):
        past = await publish_booth(PAST_BOOTH)
        for n, (name, phone, email) in enumerate(RESIDENTS):
            await create_booking(
                BookingRequest(slot_id=past["slots"][n]["id"], name_kana=name, phone=phone, email=email)
            )
    coming = await publish_booth(clock.today() + dt.timedelta(days=20))
    for n, (name, phone, email) in enumerate(RESIDENTS):
        await create_booking(BookingRequest(slot_id=coming["slots"][n]["id"], name_kana=name, phone=phone, email=email))
    return {"past": past["session"], "coming": coming["session"]}


async def names(session: int) -> list[str]:
    return [
        row["name_kana"]
        for row in await Booking.select(Booking.name_kana).where(Booking.session == session).order_by(Booking.id)
    ]


async def test_the_scheduled_purge_from_cron_and_its_dry_run():
    booths = await bookings()

    dry = outreach("purge", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Bookings anonymised (name, phone, email, needs, answers): 2" in dry.stdout and "Dry run" in dry.stdout
    assert await names(booths["past"]) == [r[0] for r in RESIDENTS] and await PurgeRun.count() == 0

    done = outreach("purge")
    assert done.returncode == 0, done.stderr
    assert "Bookings anonymised (name, phone, email, needs, answers): 2" in done.stdout
    assert await names(booths["past"]) == ["", ""] and await names(booths["coming"]) == [r[0] for r in RESIDENTS]
    assert (await PurgeRun.select().first())["kind"] == "scheduled"

    again = outreach("purge", "--days", "0")  # even with no days kept, a coming booth is not touched
    assert again.returncode == 0 and "Bookings anonymised (name, phone, email, needs, answers): 0" in again.stdout
    assert await names(booths["coming"]) == [r[0] for r in RESIDENTS]
    assert not personal(dry) and not personal(done) and not personal(again)


async def test_the_end_of_contract_deletion_is_refused_without_a_name_and_a_confirmation():
    booths = await bookings()
    for args, hint in ((("--yes",), "--by"), (("--by", "佐藤 一郎"), "--yes"), (("--by", " ", "--yes"), "--by")):
        refused = outreach("purge", "--end-of-contract", *args)
        assert refused.returncode == 2 and hint in refused.stderr, refused.stderr
    for args in (("--report", "x.pdf"), ("--end-of-contract", "--days", "3", "--by", "x", "--yes"), ("--days", "-1")):
        assert outreach("purge", *args).returncode == 2
    assert await names(booths["coming"]) == [r[0] for r in RESIDENTS] and await PurgeRun.count() == 0

    dry = outreach("purge", "--end-of-contract", "--dry-run")
    assert dry.returncode == 0 and "Bookings anonymised (name, phone, email, needs, answers): 4" in dry.stdout
    assert await names(booths["coming"]) == [r[0] for r in RESIDENTS] and await PurgeRun.count() == 0


async def test_the_end_of_contract_deletion_writes_the_report_and_prints_its_path(var_dir):
    booths = await bookings()
    result = outreach("purge", "--end-of-contract", "--by", "佐藤 一郎", "--yes", lang="ja")
    assert result.returncode == 0, result.stderr
    assert await names(booths["past"]) == ["", ""] and await names(booths["coming"]) == ["", ""]
    run = await PurgeRun.select().first()
    assert run["kind"] == "end_of_contract" and run["actor"] == "佐藤 一郎"
    report = Path(run["report_file"])
    assert report.parent == (var_dir / "reports").resolve() and report.name.startswith("deletion-report-")
    assert report.read_bytes().startswith(b"%PDF") and str(report) in result.stdout
    assert not personal(result)

    chosen = var_dir / "city" / "report.pdf"
    second = outreach("purge", "--end-of-contract", "--by", "佐藤 一郎", "--yes", "--report", str(chosen))
    assert second.returncode == 0 and chosen.read_bytes().startswith(b"%PDF") and str(chosen) in second.stdout
