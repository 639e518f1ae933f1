"""The review on the plan page: the contractor submits, the reviewer comments and returns, the contractor sees the
comments, fixes and resubmits, the reviewer sees what changed and approves; forbidden steps get 403/409 pages."""

from __future__ import annotations

import datetime as dt

from core import clock
from core.tables import Role
from planner import services
from planner.tables import PlanVersion, VersionState
from tests.conftest import PASSWORD, csrf_token, post_form, sign_in, soup
from tests.planner.factories import JUNE


async def test_submit_return_fix_resubmit_see_changes_approve(app, city, make_user):
    from litestar.testing import AsyncTestClient

    staff = await make_user(Role.contractor_staff)
    reviewer = await make_user(Role.city_reviewer)
    version_id = await services.create_plan(staff, "六月", JUNE)
    await services.run_solve(version_id)
    plan_id = (await PlanVersion.select(PlanVersion.plan).where(PlanVersion.id == version_id).first())["plan"]
    url = f"/staff/plans/{plan_id}"
    async with (
        AsyncTestClient(app=app, base_url="http://t.local") as contractor,
        AsyncTestClient(app=app, base_url="http://t.local") as city_client,
    ):
        await sign_in(contractor, staff.username, PASSWORD)
        await sign_in(city_client, reviewer.username, PASSWORD)
        asked = soup(await post_form(contractor, url, f"{url}/submit", {}))  # a confirmation step first
        assert asked.select_one("form#confirm-form input[name=confirmed]")["value"] == "yes"
        assert (await services.latest_version(plan_id)).state == VersionState.draft
        submitted = await post_form(contractor, url, f"{url}/submit", {"confirmed": "yes"}, follow_redirects=False)
        assert submitted.status_code == 303
        page = soup(await city_client.get(url))
        assert page.find(id="version-state").get_text(strip=True) == "提出済み"
        session = (await services.sessions_of(version_id))[0]
        await post_form(city_client, url, f"{url}/sessions/{session.id}/comment", {"comment": "この日は混みます"})
        form = page.select_one(f"form[action='{url}/decide']")
        revision = form.select_one("input[name=revision]")["value"]
        no_comment = await post_form(
            city_client, url, f"{url}/decide", {"version": str(version_id), "revision": revision, "decision": "return"}
        )
        assert no_comment.status_code == 422 and soup(no_comment).find(id="decide-error")
        returned = await post_form(
            city_client,
            url,
            f"{url}/decide",
            {"version": str(version_id), "revision": revision, "decision": "return", "comment": "日程を見直して"},
            follow_redirects=False,
        )
        assert returned.status_code == 303
        fix = soup(await contractor.get(url))
        assert "日程を見直して" in fix.find(id="returned-comment").get_text()
        assert "この日は混みます" in fix.select_one("table.sessions").get_text()
        draft = await services.latest_version(plan_id)
        moved = next(s for s in await services.sessions_of(draft.id) if s.reviewer_comment)
        taken = {s.date for s in await services.sessions_of(draft.id)}
        for day in range(1, 31):
            date = dt.date(2027, 6, day)
            if date in taken:
                continue
            response = await post_form(
                contractor,
                f"/staff/sessions/{moved.id}",
                f"/staff/sessions/{moved.id}/move",
                {"date": date.isoformat()},
            )
            if response.status_code == 200:
                break
        await post_form(contractor, url, f"{url}/submit", {"confirmed": "yes"})
        review = soup(await city_client.get(url))
        changes = review.select("table.changes tr.change")
        assert [row["class"][1] for row in changes] == ["change--moved"]
        assert "この日は混みます" in changes[0].get_text()
        form = review.select_one(f"form[action='{url}/decide']")
        approved = await post_form(
            city_client,
            url,
            f"{url}/decide",
            {
                "version": form.select_one("input[name=version]")["value"],
                "revision": form.select_one("input[name=revision]")["value"],
                "decision": "approve",
                "confirmed": "yes",
            },
            follow_redirects=False,
        )
        assert approved.status_code == 303
        assert (await services.latest_version(plan_id)).state == VersionState.approved
        final = soup(await contractor.get(url))
        assert final.find(id="version-state").get_text(strip=True) == "承認済み"
        assert not final.select(f"form[action='{url}/submit']") and not final.select("a[href^='/staff/sessions/']")


async def test_forbidden_review_steps_get_403_or_409(client, signed_in, city, make_user):
    staff = await make_user(Role.contractor_staff)
    version_id = await services.create_plan(staff, "六月", JUNE)
    await services.run_solve(version_id)
    plan_id = (await PlanVersion.select(PlanVersion.plan).where(PlanVersion.id == version_id).first())["plan"]
    url = f"/staff/plans/{plan_id}"
    await signed_in(Role.city_reviewer)
    token = csrf_token((await client.get(url)).text)
    assert (await client.post(f"{url}/submit", data={"_csrf_token": token})).status_code == 403
    stale = await client.post(
        f"{url}/decide", data={"_csrf_token": token, "version": str(version_id), "revision": "0", "decision": "approve"}
    )
    assert stale.status_code == 409  # a draft cannot be approved
    assert soup(stale).find(role="alert").get_text(strip=True)


async def test_audit_trail_of_a_plan_filtered_by_plan_user_and_date(client, signed_in, city, make_user):
    import csv
    import io

    staff = await make_user(Role.contractor_staff)
    version_id = await services.create_plan(staff, "六月", JUNE)
    await services.run_solve(version_id, actor=staff)
    await services.create_plan(staff, "七月", JUNE)  # another plan: its events stay out of this trail
    plan_id = (await PlanVersion.select(PlanVersion.plan).where(PlanVersion.id == version_id).first())["plan"]
    session = (await services.sessions_of(version_id))[0]
    await services.set_locked(staff, session.id, True)
    from planner import workflow

    await workflow.submit(staff, version_id)
    lead = await signed_in(Role.contractor_lead)
    page = soup(await client.get(f"/staff/audit?plan={plan_id}"))
    actions = [row.select("td")[2].get_text(" ", strip=True) for row in page.select("tbody tr")]
    assert len(actions) == 4  # created, solved, session locked, submitted — not the other plan's creation
    today = clock.today().isoformat()
    exported = await client.get(f"/staff/audit/export.csv?plan={plan_id}&user={staff.username}&since={today}")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r[2] for r in rows[1:]] == ["plan.submitted", "session.locked", "plan.solved", "plan.created"]
    assert soup(await client.get(f"/staff/audit?plan={plan_id}&user={lead.username}")).select("tbody tr td")[
        0
    ].get_text(strip=True) in ("記録はありません。", "No entries.")
    yesterday = (clock.today() - dt.timedelta(days=2)).isoformat()
    assert "記録はありません" in (await client.get(f"/staff/audit?plan={plan_id}&until={yesterday}")).text


async def test_history_shows_who_approved_which_version_when(client, signed_in, city, make_user):
    from planner import workflow

    staff = await make_user(Role.contractor_staff)
    reviewer = await make_user(Role.city_reviewer)
    version_id = await services.create_plan(staff, "六月", JUNE)
    await services.run_solve(version_id)
    await workflow.submit(staff, version_id)
    version = await services.get_version(version_id)
    await workflow.approve(reviewer, version_id, version.revision)
    await signed_in(Role.contractor_lead)
    history = soup(await client.get(f"/staff/plans/{version.plan}")).select_one("ul.history").get_text(" ")
    assert "承認済み" in history and reviewer.display_name in history and staff.display_name in history


async def test_audit_log_numbers_versions_as_the_plan_page_and_shows_before_and_after(
    client, signed_in, city, make_user
):
    from planner import workflow

    staff = await make_user(Role.contractor_staff)
    reviewer = await make_user(Role.city_reviewer)
    await services.create_plan(staff, "別の計画", JUNE)  # an earlier plan: version ids and numbers part ways
    version_id = await services.create_plan(staff, "六月", JUNE)
    await services.run_solve(version_id, actor=staff)
    plan_id = (await PlanVersion.select(PlanVersion.plan).where(PlanVersion.id == version_id).first())["plan"]
    session = (await services.sessions_of(version_id))[0]
    await services.set_locked(staff, session.id, True)
    await workflow.submit(staff, version_id)
    await workflow.comment_session(reviewer, session.id, "この日は混みます")
    version = await services.get_version(version_id)
    await workflow.return_for_changes(reviewer, version_id, version.revision, "見直して")
    await signed_in(Role.contractor_lead)
    page = soup(await client.get(f"/staff/audit?plan={plan_id}"))
    text = page.select_one("table").get_text(" ", strip=True)
    objects = [cell.get_text(" ", strip=True) for cell in page.select("tbody td.object")]
    assert "版 1" in objects and not any(str(version_id) == o.split()[-1] for o in objects if "版" in o)
    returned = next(row for row in page.select("tbody tr") if "差戻" in row.select("td")[2].get_text())
    assert "新しい版 : 版 2" in returned.get_text(" ", strip=True)
    assert "提出済み → 差戻し" in returned.get_text(" ", strip=True)
    commented = next(row for row in page.select("tbody tr") if "この日は混みます" in row.get_text())
    assert "— → この日は混みます" in commented.get_text(" ", strip=True)
    locked = next(row for row in page.select("tbody tr") if "固定" in row.select("td")[2].get_text())
    assert "いいえ → はい" in locked.get_text(" ", strip=True)
    for raw in ("sessions", "new_version", "plan_version", "submitted", "optimal"):
        assert raw not in text, raw


async def test_comments_in_several_rows_are_all_kept_and_the_decision_comes_last(client, signed_in, city, make_user):
    from planner import workflow

    staff = await make_user(Role.contractor_staff)
    version_id = await services.create_plan(staff, "六月", JUNE)
    await services.run_solve(version_id)
    await workflow.submit(staff, version_id)
    plan_id = (await PlanVersion.select(PlanVersion.plan).where(PlanVersion.id == version_id).first())["plan"]
    url = f"/staff/plans/{plan_id}"
    await signed_in(Role.city_reviewer)
    page = soup(await client.get(url))
    sessions = await services.sessions_of(version_id)
    inputs = page.select("table.sessions input[name^=comment-]")
    assert len(inputs) == len(sessions) and all(i["form"] == "review-form" for i in inputs)
    elements = [str(e.get("id")) for e in page.find_all(id=True)]
    assert elements.index("sessions") < elements.index("decide") < elements.index("review-form")
    first, second, third = sessions[:3]
    saved = await post_form(
        client,
        url,
        f"{url}/comments",  # the first row's button: every row's words go with it
        {f"comment-{first.id}": "雨天時は?", f"comment-{second.id}": "駐車場が狭い", "focus": str(first.id)},
    )
    assert soup(saved).find(id="flash").get_text(strip=True) == "コメントを保存しました。"
    kept = {s.id: s.reviewer_comment for s in await services.sessions_of(version_id)}
    assert (kept[first.id], kept[second.id]) == ("雨天時は?", "駐車場が狭い")
    revision = (await services.get_version(version_id)).revision
    asked = await post_form(
        client,
        url,
        f"{url}/decide",
        {"version": str(version_id), "revision": str(revision), "decision": "approve", f"comment-{third.id}": "可"},
    )
    confirm = soup(asked).select_one("form#confirm-form")
    assert confirm and confirm.select_one(f"input[name=comment-{third.id}]")["value"] == "可"
    assert (await services.get_version(version_id)).state == VersionState.submitted  # not yet approved
    assert {s.id: s.reviewer_comment for s in await services.sessions_of(version_id)}[third.id] == "可"


async def test_a_refused_edit_names_the_state_in_words(client, signed_in, city, make_user):
    from planner import workflow

    staff = await make_user(Role.contractor_staff)
    version_id = await services.create_plan(staff, "六月", JUNE)
    await services.run_solve(version_id)
    session = (await services.sessions_of(version_id))[0]
    await signed_in(Role.contractor_staff)
    url = f"/staff/sessions/{session.id}"
    page_url = url  # read the form while the plan is a draft, then someone submits it
    token = csrf_token((await client.get(page_url)).text)
    await workflow.submit(staff, version_id)
    refused = await client.post(f"{url}/lock", data={"_csrf_token": token})
    assert refused.status_code == 409
    alert = soup(refused).find(role="alert").get_text(strip=True)
    assert "「提出済み」" in alert and "submitted" not in alert


async def test_the_plan_page_lists_booths_in_the_past_and_submitting_is_refused(client, city, signed_in):
    staff = await signed_in(Role.contractor_staff)
    version_id = await services.create_plan(staff, "六月", JUNE)
    await services.run_solve(version_id)
    plan_id = (await PlanVersion.select(PlanVersion.plan).where(PlanVersion.id == version_id).first())["plan"]
    first = (await services.sessions_of(version_id))[0]
    url = f"/staff/plans/{plan_id}"
    with clock.frozen(dt.datetime.combine(first.date, first.start, clock.JST) + dt.timedelta(hours=1)):
        page = soup(await client.get(url))
        warning = page.select_one("#past-booths")
        assert warning is not None and "この版の1件のブースは開始日時が過ぎており" in warning.get_text()
        assert [a["href"] for a in warning.select("li a")] == [f"#session-{first.id}"]
        assert first.venue_name in warning.get_text()
        refused = await post_form(client, url, f"{url}/submit", {"confirmed": "yes"})
    assert refused.status_code == 422
    assert first.venue_name in soup(refused).select_one("#submit-error").get_text()
    assert (await services.get_version(version_id)).state == VersionState.draft
    with clock.frozen(dt.datetime(2027, 5, 20, 9, 0, tzinfo=clock.JST)):
        assert soup(await client.get(url)).select_one("#past-booths") is None
