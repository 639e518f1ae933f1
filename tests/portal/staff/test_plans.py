"""The plan pages as staff use them: create a plan (solved in a background process, with progress), read it as
calendar, table and map, download the 実施計画書, edit sessions with refusals in words, re-plan."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import subprocess
from dataclasses import replace
from urllib.parse import unquote

from openpyxl import load_workbook

from core.jobs import Registry, Worker
from core.settings import configure, get_settings
from core.tables import Role
from planner import jobs as planner_jobs
from planner import services, workflow
from planner.model import PARAMETER_DEFAULTS
from planner.schemas import PlanVersionDetail
from planner.tables import Plan, PlanVersion, SolveState
from tests.conftest import csrf_token, post_form, soup


async def wait_until_solved(plan_id: int) -> PlanVersionDetail:
    """Run the deployment's job runner as a worker process would: the queued solve runs (in its own process)."""
    registry = Registry()
    planner_jobs.register(registry)
    await Worker(registry).run_once()
    version = await services.latest_version(plan_id)
    assert version.solve_state in (SolveState.done, SolveState.failed), version.solve_state
    return version


async def create_plan(client) -> int:
    form = {
        "title": "六月の計画",
        "start": "2027-06-01",
        "end": "2027-06-30",
        "weekday_per_month": "3",
        "holiday_per_month": "2",
        "teams": "1",
        "min_gap_days": "7",
        "time_limit_seconds": "30",
        "month_overrides": "",
    }
    response = await post_form(client, "/staff/plans/new", "/staff/plans/new", form, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def test_create_watch_progress_and_read_the_plan(client, signed_in, city):
    await signed_in(Role.contractor_staff)
    plan_id = await create_plan(client)
    page = soup(await client.get(f"/staff/plans/{plan_id}"))
    progress = await client.get(f"/staff/plans/{plan_id}/progress.json")
    assert progress.json()["solve_state"] in ("queued", "running", "done")
    version = await wait_until_solved(plan_id)
    assert version.solve_state == SolveState.done, version.error
    page = soup(await client.get(f"/staff/plans/{plan_id}"))
    assert page.find(id="plan-status").get_text(strip=True) == "最適（証明済み）"
    rows = page.select("table.sessions tbody tr")
    assert len(rows) == 5
    assert all(row.select_one("td.reason").get_text(strip=True) for row in rows)
    holidays = page.select(".month-calendar td.is-holiday a.cal-session")
    weekdays = page.select(".month-calendar td:not(.is-holiday) a.cal-session")
    assert (len(weekdays), len(holidays)) == (3, 2)
    assert all("badge--holiday" in a["class"] for a in holidays)
    frame = await client.get(f"/staff/plans/{plan_id}/map.html")
    assert frame.status_code == 200 and "session-marker" in frame.text
    assert "'unsafe-inline'" in frame.headers["content-security-policy"]


async def test_downloads_of_the_plan(client, signed_in, city):
    await signed_in(Role.contractor_lead)
    plan_id = await create_plan(client)
    await wait_until_solved(plan_id)
    data = json.loads((await client.get(f"/staff/plans/{plan_id}/plan.json")).content)
    assert data["status"] == "optimal" and len(data["sessions"]) == 5
    workbook = load_workbook(io.BytesIO((await client.get(f"/staff/plans/{plan_id}/plan.xlsx")).content))
    assert "実施計画" in workbook.sheetnames
    pdf = await client.get(f"/staff/plans/{plan_id}/plan.pdf")
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"


def disposition_name(response) -> str:
    """The file name a browser saves under: RFC 6266 filename* (UTF-8), checked against its ASCII fallback."""
    header = response.headers["content-disposition"]
    assert re.search(r'filename="[A-Za-z0-9._-]+"', header), header
    encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
    assert encoded, header
    return unquote(encoded.group(1))


async def test_the_plans_files_carry_plan_version_and_state_and_the_cover_says_who(
    client, signed_in, city, people, tmp_path
):
    configure(replace(get_settings(), plan_addressee="金沢市長 宛", contractor_name="株式会社北陸アウトリーチ"))
    await signed_in(Role.contractor_lead)
    plan_id = await create_plan(client)
    version = await wait_until_solved(plan_id)
    pdf = await client.get(f"/staff/plans/{plan_id}/plan.pdf")
    assert disposition_name(pdf) == "実施計画-2027年6月-第1版-案.pdf"
    assert pdf.headers["content-disposition"].startswith('inline; filename="plan-2027-06-v1-draft.pdf"')

    await workflow.submit(people[Role.contractor_staff], version.id)
    version = await services.latest_version(plan_id)
    await workflow.approve(people[Role.city_reviewer], version.id, version.revision, "承認します")
    pdf = await client.get(f"/staff/plans/{plan_id}/plan.pdf")
    xlsx = await client.get(f"/staff/plans/{plan_id}/plan.xlsx")
    plan_json = await client.get(f"/staff/plans/{plan_id}/plan.json")
    assert disposition_name(pdf) == "実施計画-2027年6月-第1版-承認済み.pdf"
    assert disposition_name(xlsx) == "実施計画-2027年6月-第1版-承認済み.xlsx"
    assert disposition_name(plan_json) == "実施計画-2027年6月-第1版-承認済み.json"
    assert xlsx.headers["content-disposition"].startswith("attachment; ")

    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf.content)
    cover = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    staff, reviewer = people[Role.contractor_staff].display_name, people[Role.city_reviewer].display_name
    for text in (
        "金沢市長 宛",
        "株式会社北陸アウトリーチ",
        "六月の計画",
        "2027年6月 実施計画書 第1版（承認済み）",
        "令和9年6月1日～令和9年6月30日",
        "2027年6月1日～2027年6月30日",
        staff,
        reviewer,
        "承認します",
    ):
        assert text in cover, text
    assert "承認 令和" in cover and "到達度" in cover
    assert "目的関数" not in cover and "最適" not in cover
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert workbook.sheetnames[0] == "表紙"
    assert workbook.properties.title == "2027年6月 実施計画書 第1版（承認済み）"


async def test_refused_edit_says_why_and_changes_nothing(client, signed_in, city):
    await signed_in(Role.contractor_staff)
    plan_id = await create_plan(client)
    await wait_until_solved(plan_id)
    version = await services.latest_version(plan_id)
    first, second = (await services.sessions_of(version.id))[:2]
    url = f"/staff/sessions/{first.id}"
    response = await post_form(client, url, f"{url}/move", {"date": second.date.isoformat()})
    assert response.status_code == 422
    alert = soup(response).find(role="alert").get_text(strip=True)
    assert second.date.isoformat() in alert and "班数" in alert
    assert (await services.sessions_of(version.id))[0].date == first.date
    locked = await post_form(client, url, f"{url}/lock", {}, follow_redirects=False)
    assert locked.status_code == 303
    assert (await services.session_detail(first.id)).locked is True


async def test_replan_from_the_page_keeps_locks(client, signed_in, city):
    await signed_in(Role.contractor_staff)
    plan_id = await create_plan(client)
    await wait_until_solved(plan_id)
    version = await services.latest_version(plan_id)
    sessions = await services.sessions_of(version.id)
    keep = sessions[-1]
    await post_form(client, f"/staff/sessions/{keep.id}", f"/staff/sessions/{keep.id}/lock", {})
    for other in sessions[:2]:
        await post_form(
            client, f"/staff/sessions/{other.id}", f"/staff/sessions/{other.id}/remove", {"confirmed": "yes"}
        )
    assert len(await services.sessions_of(version.id)) == 3
    response = await post_form(
        client,
        f"/staff/plans/{plan_id}",
        f"/staff/plans/{plan_id}/replan",
        {"confirmed": "yes"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    await wait_until_solved(plan_id)
    after = await services.sessions_of(version.id)
    assert len(after) == 5 and any(s.date == keep.date and s.locked for s in after)


async def test_replan_form_states_the_allowed_loss_and_shows_what_was_kept(client, signed_in, city):
    await signed_in(Role.contractor_staff)
    plan_id = await create_plan(client)
    await wait_until_solved(plan_id)
    url = f"/staff/plans/{plan_id}"
    page = soup(await client.get(url))
    field = page.find("input", {"name": "max_reach_loss"})
    assert field is not None and field["value"] == "0" and field["max"] == "10"
    assert page.find("label", {"for": "max-reach-loss"}) is not None

    refused = await post_form(client, url, f"{url}/replan", {"max_reach_loss": "50"})
    assert refused.status_code == 422
    error = soup(refused).find(id="replan-error")
    assert error is not None and "10" in error.get_text()

    version = await services.latest_version(plan_id)
    total = len(await services.sessions_of(version.id))
    asked = soup(await post_form(client, url, f"{url}/replan", {"max_reach_loss": "1.5"}))
    assert asked.select_one("form#confirm-form input[name=max_reach_loss]")["value"] == "1.5"  # carried on
    response = await post_form(
        client, url, f"{url}/replan", {"max_reach_loss": "1.5", "confirmed": "yes"}, follow_redirects=False
    )
    assert response.status_code == 303
    await wait_until_solved(plan_id)
    outcome = soup(await client.get(url)).find(id="replan-outcome")
    assert outcome is not None
    text = outcome.get_text()
    assert f"{total}" in text and "1.5" in text  # kept out of the previous sessions, and the loss allowed
    data = json.loads((await client.get(f"{url}/plan.json")).content)
    assert data["kept"] + data["changed"] == total and data["reach_loss"]["allowed_percent"] == 1.5


async def test_new_plan_form_shows_errors_next_to_fields(client, signed_in):
    await signed_in(Role.contractor_staff)
    form = {
        "title": "",
        "start": "2027-06-30",
        "end": "2027-06-01",
        "weekday_per_month": "x",
        "teams": "1",
        "min_gap_days": "14",
        "time_limit_seconds": "60",
        "holiday_per_month": "6",
        "month_overrides": "8月 4",
    }
    response = await post_form(client, "/staff/plans/new", "/staff/plans/new", form)
    assert response.status_code == 422
    page = soup(response)
    for field in ("weekday_per_month", "month_overrides"):
        assert page.find(id=f"p-{field}")["aria-invalid"] == "true"
    assert await Plan.count() == 0


async def test_new_plan_form_shows_every_error_at_once_with_correct_attributes(client, signed_in):
    await signed_in(Role.contractor_staff)
    form = {
        "title": "",
        "start": "2027-06-30",
        "end": "2027-06-01",
        "weekday_per_month": "99",
        "holiday_per_month": "6",
        "teams": "0",
        "min_gap_days": "x",
        "time_limit_seconds": "60",
        "month_overrides": "",
    }
    response = await post_form(client, "/staff/plans/new", "/staff/plans/new", form)
    assert response.status_code == 422
    page = soup(response)
    wrong = ("title", "end", "weekday_per_month", "teams", "min_gap_days")
    for field in wrong:  # each next to its field, in Japanese
        assert page.find(id=f"p-{field}")["aria-invalid"] == "true"
        error = page.find(id=f"p-{field}-error").get_text(strip=True)
        assert error and not error.isascii(), (field, error)
    summary = page.find(id="form-errors")
    assert [a["href"] for a in summary.select("a")] == [f"#p-{field}" for field in wrong]
    assert "5" in summary.p.get_text()
    for field in ("start", "holiday_per_month", "time_limit_seconds"):
        assert not page.find(id=f"p-{field}").has_attr("aria-invalid")
    weekday = page.find(id="p-weekday_per_month")
    assert (weekday["min"], weekday["max"]) == ("0", "62")
    assert "&quot;" not in response.text and "&#34;" not in response.text
    assert await Plan.count() == 0


async def test_new_plan_form_takes_month_overrides_in_the_command_lines_syntax(client, signed_in, city):
    await signed_in(Role.contractor_staff)
    form = {
        "title": "六月の計画",
        "start": "2027-06-01",
        "end": "2027-07-31",
        "month_overrides": "2027-06:weekday=2,holiday=1\r\n\r\n2027-07:holiday=0\r\n",
    }
    # the solve is only queued (no job runner here): the stored parameters are what this test reads
    response = await post_form(client, "/staff/plans/new", "/staff/plans/new", form, follow_redirects=False)
    assert response.status_code == 303, response.text
    version = await services.latest_version(int(response.headers["location"].rsplit("/", 1)[1]))
    assert services.parameters_from_row(version).month_overrides == {
        "2027-06": {"weekday": 2, "holiday": 1},
        "2027-07": {"holiday": 0},
    }
    page = soup(
        await post_form(client, "/staff/plans/new", "/staff/plans/new", {**form, "month_overrides": "August weekday=4"})
    )
    error = page.find(id="p-month_overrides-error").get_text()
    assert "August weekday=4" in error and "YYYY-MM:weekday=N,holiday=N" in error


async def test_new_plan_form_starts_from_the_models_defaults(client, signed_in):
    await signed_in(Role.contractor_staff)
    page = soup(await client.get("/staff/plans/new"))
    for name in ("weekday_per_month", "holiday_per_month", "teams", "min_gap_days", "time_limit_seconds"):
        assert float(page.find(id=f"p-{name}")["value"]) == PARAMETER_DEFAULTS[name]


async def test_city_reviewer_reads_plans_but_cannot_create_or_edit(client, signed_in, city, make_user):
    staff = await make_user(Role.contractor_staff)
    version_id = await services.create_plan(
        staff,
        "計画",
        services.Parameters(
            start=dt.date(2027, 6, 1),
            end=dt.date(2027, 6, 30),
            weekday_per_month=2,
            holiday_per_month=1,
            time_limit_seconds=20,
        ),
    )
    await services.run_solve(version_id)
    plan_id = (await PlanVersion.select(PlanVersion.plan).where(PlanVersion.id == version_id).first())["plan"]
    await signed_in(Role.city_reviewer)
    assert (await client.get(f"/staff/plans/{plan_id}")).status_code == 200
    assert (await client.get("/staff/plans/new")).status_code == 403
    session = (await services.sessions_of(version_id))[0]
    token = csrf_token((await client.get(f"/staff/plans/{plan_id}")).text)
    for action in ("lock", "remove"):
        response = await client.post(f"/staff/sessions/{session.id}/{action}", data={"_csrf_token": token})
        assert response.status_code == 403
    assert (await client.post(f"/staff/plans/{plan_id}/replan", data={"_csrf_token": token})).status_code == 403


async def test_remove_and_replan_ask_first_and_edits_say_they_worked(client, signed_in, city):
    await signed_in(Role.contractor_staff)
    plan_id = await create_plan(client)
    await wait_until_solved(plan_id)
    version = await services.latest_version(plan_id)
    first, second = (await services.sessions_of(version.id))[:2]
    url = f"/staff/sessions/{first.id}"
    asked = await post_form(client, url, f"{url}/remove", {})
    assert asked.status_code == 200
    page = soup(asked)
    assert first.venue_name in page.find(id="confirm-consequences").get_text()
    assert page.select_one("form#confirm-form")["action"] == f"{url}/remove"
    assert page.select_one("a.button[href]")["href"] == url  # a way back that changes nothing
    assert len(await services.sessions_of(version.id)) == 5
    removed = soup(await post_form(client, url, f"{url}/remove", {"confirmed": "yes"}))
    assert removed.find(id="flash").get_text(strip=True) == "実施回を削除しました。"
    assert len(await services.sessions_of(version.id)) == 4
    assert not soup(await client.get(f"/staff/plans/{plan_id}")).find(id="flash")  # shown once
    other = f"/staff/sessions/{second.id}"
    locked = soup(await post_form(client, other, f"{other}/lock", {}))
    assert locked.find(id="flash").get_text(strip=True) == "実施回を固定しました。"
    replan = soup(await post_form(client, f"/staff/plans/{plan_id}", f"/staff/plans/{plan_id}/replan", {}))
    assert "1" in replan.find(id="confirm-consequences").get_text()  # the one locked session stays
    assert (await services.latest_version(plan_id)).solve_state == SolveState.done  # nothing queued yet


async def test_venue_choices_are_in_gojuon_order_and_unsuitable_ones_are_set_apart(client, signed_in, city):
    from tests.venues.factories import make_venue

    await signed_in(Role.contractor_staff)
    plan_id = await create_plan(client)
    await wait_until_solved(plan_id)
    await make_venue(venue_id="W1", name="割出公民館", name_kana="ワリダシコウミンカン")
    await make_venue(venue_id="A1", name="浅野川会館", name_kana="アサノガワカイカン")
    await make_venue(venue_id="K1", name="北部会館", name_kana="ホクブカイカン")
    await make_venue(venue_id="G1", name="銀座会館", name_kana="ギンザカイカン")
    await make_venue(venue_id="N1", name="時間不明館", name_kana="ジカンフメイカン", open_from=None, open_until=None)
    await make_venue(venue_id="S1", name="短時間館", name_kana="タンジカンカン", open_from="15:00", open_until="17:00")
    page = soup(await client.get(f"/staff/plans/{plan_id}"))
    select = page.find(id="add-venue")
    offered = [o["value"] for o in select.find_all("option", recursive=False)]
    ours = [venue_id for venue_id in offered if venue_id in {"W1", "A1", "K1", "G1"}]
    assert ours == ["A1", "G1", "K1", "W1"]  # アサノガワ, ギンザ, ホクブ, ワリダシ
    assert not {"N1", "S1"} & set(offered)
    apart = select.find("optgroup")
    assert apart and "使えない" in apart["label"]
    left_out = {o["value"]: o for o in apart.find_all("option")}
    assert set(left_out) == {"N1", "S1"} and all(o.has_attr("disabled") for o in left_out.values())
    assert "開館時間" in left_out["N1"].get_text() and "4" in left_out["S1"].get_text()
