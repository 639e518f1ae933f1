"""The audit log and staff account pages: who created an account, translated names, a CSV safe for Excel."""

from __future__ import annotations

import csv
import io

from bs4 import BeautifulSoup

from core.audit import record_event
from core.tables import AuditEvent, Role
from tests.conftest import post_form


async def test_an_admin_creating_an_account_is_in_the_audit_log(client, signed_in):
    admin = await signed_in(Role.admin)
    response = await post_form(
        client,
        "/staff/users",
        "/staff/users",
        {"username": "newbie", "role": "city_reviewer", "password": "a-long-password"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    event = (
        await AuditEvent.select()
        .where((AuditEvent.action == "user.created") & (AuditEvent.summary == "newbie"))
        .first()
    )
    assert (event["actor_id"], event["actor_name"], event["object_type"]) == (admin.id, admin.username, "staff_user")
    row = next(
        tr
        for tr in BeautifulSoup((await client.get("/staff/audit")).text, "html.parser").select("tbody tr")
        if "newbie" in tr.get_text()
    )
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[2].startswith("職員アカウントを作成") and cells[3].startswith("職員アカウント")
    assert "user.created" not in row.get_text() and "staff_user" not in row.get_text()


async def test_unknown_actions_are_shown_as_recorded(client, signed_in):
    await signed_in(Role.contractor_lead)
    await record_event(None, "venue.teleported", "venue", "V1", "", {"warp_factor": {"before": 1, "after": 9}})
    page = BeautifulSoup((await client.get("/staff/audit")).text, "html.parser")
    row = next(tr for tr in page.select("tbody tr") if "V1" in tr.get_text())
    assert "venue.teleported" in row.get_text() and "warp_factor" in row.get_text()


async def test_audit_export_writes_formulas_as_text(client, signed_in):
    await signed_in(Role.city_reviewer)
    await record_event(
        None,
        "venue.updated",
        "venue",
        '=HYPERLINK("http://evil.example")',
        "+81-76-220-2111",
        {"name": {"before": "a", "after": "@SUM(A1)"}},
    )
    response = await client.get("/staff/audit/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "occurred_at"
    (event,) = [row for row in rows[1:] if row[2] == "venue.updated"]
    assert event[4] == '\'=HYPERLINK("http://evil.example")' and event[5] == "'+81-76-220-2111"
    assert event[6].startswith("{") and "@SUM(A1)" in event[6]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
