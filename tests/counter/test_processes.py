"""Windows in separate processes (as several portal workers are): calling at once, they never get the same ticket,
on SQLite and on PostgreSQL; and the `outreach tickets` commands."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

from core import clock
from core.errors import ValidationFailed
from counter import offices
from counter.tables import ServiceKind, Ticket, TicketState
from tests.counter.factories import make_office, put_waiting

ROOT = Path(__file__).resolve().parents[2]
OUTREACH = str(Path(sys.executable).parent / "outreach")
PROCESSES = 4
TICKETS = 60


def outreach(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OUTREACH_LANG": "ja"}
    return subprocess.run([OUTREACH, *args], capture_output=True, text=True, timeout=120, env=env)


async def test_windows_in_separate_processes_calling_at_once_get_different_tickets(tmp_path):
    office = await make_office()
    ids = await put_waiting(office, ServiceKind.pickup, TICKETS, clock.today())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    windows = [
        subprocess.Popen(  # they start calling together, once all are connected (tmp_path is their barrier)
            [sys.executable, "-m", "tests.counter.caller", "CITYHALL", str(n), str(tmp_path), str(PROCESSES)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(1, PROCESSES + 1)
    ]
    results = [window.communicate(timeout=180) for window in windows]
    assert all(window.returncode == 0 for window in windows), [err[-2000:] for _, err in results]
    per_window = [json.loads(out) for out, _ in results]
    called = [ticket for got in per_window for ticket in got]
    assert sorted(called) == sorted(ids)  # every ticket called, none twice
    assert sum(1 for got in per_window if got) >= 2, per_window  # the windows did call side by side
    rows = await Ticket.select(Ticket.id, Ticket.window, Ticket.state)
    assert all(row["state"] == TicketState.served.value for row in rows)  # each call finished the one before
    assert {row["id"]: row["window"] for row in rows} == {t: n for n, got in enumerate(per_window, 1) for t in got}


async def test_the_commands_issue_a_ticket_and_call_it():
    office = await make_office(kinds=(ServiceKind.pickup, ServiceKind.certificate))
    today = clock.today()
    # open all day today, so that the command (on the real clock) may issue at any hour; on 12/29-1/3 the counter
    # is closed whatever the days say, and the command must say so
    with contextlib.suppress(ValidationFailed):
        await offices.set_office_day(None, office.id, today, True, "00:00", "23:59")
    open_now = await offices.is_open_now(office)
    issued = outreach("tickets", "issue", "CITYHALL", "--service", "certificate")
    if not open_now:
        assert issued.returncode == 1 and "閉庁" in issued.stderr, issued.stderr
        await put_waiting(office, ServiceKind.certificate, 1, today)
        label = "B-001"
    else:
        assert issued.returncode == 0, issued.stderr
        label, code = issued.stdout.split()
        assert label == "B-001" and len(code) == 16
        assert await Ticket.exists().where(Ticket.code == code)
    called = outreach("tickets", "next", str(office.id), "--window", "4", "--service", "certificate")
    assert called.returncode == 0, called.stderr
    assert called.stdout.startswith(label) and "窓口 4" in called.stdout
    nobody = outreach("tickets", "next", "CITYHALL", "--window", "4")
    assert nobody.returncode == 3 and "待っている" in nobody.stderr
    unknown = outreach("tickets", "issue", "NOWHERE", "--service", "pickup")
    assert unknown.returncode == 1 and "NOWHERE" in unknown.stderr and "Traceback" not in unknown.stderr
