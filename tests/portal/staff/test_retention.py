"""The personal-data deletion page (/staff/retention): the runs with their counts, who and when, what waits for the
next purge, and the deletion reports to download — only PDF files under var/ are ever served."""

from __future__ import annotations

from booking import retention
from booking.deletion_report import write_deletion_report
from booking.tables import PurgeRun
from core import clock
from core.tables import Role
from tests.booking.test_retention import PURGE_AT, personal_values, scenario
from tests.conftest import soup


async def end_of_contract_run(var_dir, name: str = "deletion-report-test.pdf") -> retention.PurgeResult:
    path = var_dir / "reports" / name
    result = await retention.purge_end_of_contract("佐藤 一郎", PURGE_AT, report_file=str(path))
    await write_deletion_report(result, path)
    return result


async def test_a_city_reviewer_sees_every_run_and_downloads_the_deletion_report(client, signed_in, var_dir):
    await scenario()
    scheduled = await retention.purge_expired(PURGE_AT, 30)
    final = await end_of_contract_run(var_dir)
    await signed_in(Role.city_reviewer)

    response = await client.get("/staff/retention")

    assert response.status_code == 200
    page = soup(response)
    assert "/staff/retention" in [a["href"] for a in page.select(".staff-nav a")]
    rows = {int(row["data-run"]): row for row in page.select("#runs tbody tr[data-run]")}
    assert list(rows) == [final.run_id, scheduled.run_id]  # newest first
    first = rows[scheduled.run_id]
    assert "system" in first.get_text() and first.find("a") is None
    assert [li.get_text(" ", strip=True) for li in first.select("ul.counts li")] == [
        f"{retention.count_label('bookings_anonymised')}: 4",
        f"{retention.count_label('waitlist_entries_anonymised')}: 1",
        f"{retention.count_label('resident_messages_deleted')}: {scheduled.counts['resident_messages_deleted']}",
    ]
    last = rows[final.run_id]
    assert "佐藤 一郎" in last.get_text()
    assert f"{retention.count_label('venue_contacts_erased')}: 1" in [
        li.get_text(" ", strip=True) for li in last.select("ul.counts li")
    ]
    link = last.find("a", href=f"/staff/retention/{final.run_id}/report.pdf")
    assert link is not None

    pdf = await client.get(link["href"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == (var_dir / "reports" / "deletion-report-test.pdf").read_bytes()
    assert "attachment" in pdf.headers["content-disposition"]
    assert not [value for value in personal_values() if value in response.text]


async def test_only_pdf_files_under_var_are_served(client, signed_in, var_dir, tmp_path):
    outside = tmp_path / "elsewhere.pdf"
    outside.write_bytes(b"%PDF-1.7 not ours")
    link = var_dir / "reports" / "link.pdf"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(outside)
    runs = []
    for report_file in (
        str(outside),
        "/etc/passwd",
        str(var_dir / "secret_key"),
        str(link),
        str(var_dir / "reports" / ".." / ".." / outside.name),
    ):
        runs.append(
            (
                await PurgeRun.insert(
                    PurgeRun(kind="end_of_contract", actor="x", counts={}, report_file=report_file)
                ).returning(PurgeRun.id)
            )[0]["id"]
        )
    await signed_in(Role.admin)
    page = soup(await client.get("/staff/retention"))
    assert page.select("#runs a[href$='report.pdf']") == []
    for run_id in runs:
        response = await client.get(f"/staff/retention/{run_id}/report.pdf")
        assert response.status_code == 404 and b"%PDF" not in response.content
    assert (await client.get("/staff/retention/999999/report.pdf")).status_code == 404


async def test_what_waits_for_the_next_purge_is_shown(client, signed_in):
    await scenario()
    await signed_in(Role.contractor_lead)
    with clock.frozen(PURGE_AT):
        page = soup(await client.get("/staff/retention"))
        assert page.find(id="pending-bookings").get_text(strip=True) == "4"
        assert page.find(id="pending-notice") is not None
        assert page.select("#runs tbody tr[data-run]") == []
        await retention.purge_expired(PURGE_AT)
        page = soup(await client.get("/staff/retention"))
    assert page.find(id="pending-bookings").get_text(strip=True) == "0" and page.find(id="pending-notice") is None
    assert len(page.select("#runs tbody tr[data-run]")) == 1


async def test_contractor_staff_and_signed_out_visitors_cannot_open_it(client, signed_in, var_dir):
    result = await end_of_contract_run(var_dir, "deletion-report-roles.pdf")
    response = await client.get("/staff/retention", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")
    await signed_in(Role.contractor_staff)
    page = await client.get("/staff/venues")
    assert "/staff/retention" not in [a["href"] for a in soup(page).select(".staff-nav a")]
    assert (await client.get("/staff/retention")).status_code == 403
    assert (await client.get(f"/staff/retention/{result.run_id}/report.pdf")).status_code == 403


async def test_the_table_becomes_cards_on_a_phone_with_every_cell_labelled(client, signed_in):
    await retention.purge_expired(PURGE_AT, 30)
    await signed_in(Role.admin)
    page = soup(await client.get("/staff/retention"))
    table = page.find(id="runs")
    assert "data-table--cards" in table["class"] and table.find_parent(attrs={"role": "region"})
    headers = [th.get_text(strip=True) for th in table.select("thead th")]
    assert all(th.get("scope") == "col" for th in table.select("thead th"))
    cells = table.select("tbody tr[data-run] td")
    assert [td["data-label"] for td in cells] == headers
    assert cells[-1].get_text(strip=True) == "—"  # a scheduled run has no report
