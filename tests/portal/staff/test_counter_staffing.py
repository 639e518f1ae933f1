"""The counter staffing page (/staff/counter/staffing): the contractor lead sees, for an office and a day, the
windows needed per hour against the contract's 5, as a chart and as a table; nobody else sees it."""

from __future__ import annotations

import datetime as dt

from core.tables import Role
from tests.conftest import soup
from tests.counter.test_staffing import kanazawa_stats, make_office  # noqa: F401 (a fixture)

URL = "/staff/counter/staffing"


async def test_the_lead_sees_a_december_day_needing_more_windows_than_the_contract(
    client,
    signed_in,
    kanazawa_stats,  # noqa: F811
):
    office_id = await make_office()
    await signed_in(Role.contractor_lead)

    response = await client.get(URL, params={"office": office_id, "date": "2026-12-09", "target": "20"})

    assert response.status_code == 200
    page = soup(response)
    assert URL in [a["href"] for a in page.select(".staff-nav a")]
    assert page.select_one("#s-office option[selected]")["value"] == str(office_id)
    assert page.select_one("#s-date")["value"] == "2026-12-09"
    peak = int(page.select_one("#peak").get_text())
    assert peak > 5 and page.select_one("#contract").get_text() == "5"
    assert page.select_one("#short-notice") is not None
    rows = page.select("#staffing tbody tr")
    assert [row["data-hour"] for row in rows] == [f"{h:02d}:00" for h in range(9, 18)]
    totals = [int(row.select_one("[data-column=total] strong").get_text()) for row in rows]
    assert max(totals) == peak
    for row in rows:  # the total is the services' windows added up, and more than 5 is marked
        services = sum(int(row.select_one(f"[data-column={kind}]").get_text()) for kind in ("pickup", "certificate"))
        assert int(row.select_one("[data-column=total] strong").get_text()) == services
        assert ("over" in row.get("class", [])) == (services > 5)
    assert page.select_one("[data-column=pin_reset]").get_text() == "0"
    assert page.select_one("#no-statistics") is not None  # no statistics for PIN resets: said, not hidden
    # The chart, drawn on the server, says what it shows to screen readers; its numbers are the table's.
    svg = page.select_one("figure svg[role=img]")
    assert svg is not None and svg.select_one("title").get_text()
    assert f"{peak}" in svg.select_one("desc").get_text()
    bar_values = [t.get_text() for t in svg.select("rect > title")]
    assert len(bar_values) == 2 * len(rows)


async def test_a_closed_day_says_so(client, signed_in, kanazawa_stats):  # noqa: F811
    office_id = await make_office()
    await signed_in(Role.contractor_lead)
    sunday = dt.date(2026, 12, 13)
    page = soup(await client.get(URL, params={"office": office_id, "date": sunday.isoformat()}))
    assert page.select_one("#closed") is not None and page.select_one("#staffing") is None


async def test_other_roles_cannot_see_it_and_an_unknown_office_is_not_found(client, signed_in, make_user):
    office_id = await make_office()
    await signed_in(Role.contractor_staff)
    response = await client.get(URL, params={"office": office_id})
    assert response.status_code == 403
    assert URL not in [a["href"] for a in soup(await client.get("/staff/")).select(".staff-nav a")]
    await signed_in(Role.contractor_lead)
    assert (await client.get(URL, params={"office": 999_999})).status_code == 404
    assert (await client.get(URL, params={"office": office_id, "target": "0"})).status_code == 400
    assert (await client.get(URL, params={"office": office_id, "date": "2026-13-01"})).status_code == 400
