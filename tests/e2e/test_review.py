"""In Chromium: the contractor submits (after a confirmation step), the reviewer comments on several rows and returns
the plan, every comment kept, the contractor fixes and resubmits, the reviewer reads the difference before the
decision and approves (confirmed), and the booths appear as bookable."""

from __future__ import annotations

import datetime as dt

from core.tables import Role
from core.users import create_user
from planner import services
from planner.tables import DemandPoint, PlanVersion
from tests.conftest import PASSWORD
from tests.venues.factories import make_venue


async def sign_in(page, live_server, username):
    await page.goto(live_server + "/staff/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("form.form button[type=submit]")
    await page.wait_for_url("**/staff/")


async def submit(page, url):
    """The contractor submits: the button asks first, the confirmation submits."""
    await page.goto(url)
    await page.get_by_role("button", name="市に提出して承認を求める").click()
    await page.wait_for_selector("#confirm-form")
    assert await page.locator("#version-state").count() == 0  # nothing submitted yet: a page that asks
    await page.locator("#confirm-form").get_by_role("button", name="市に提出して承認を求める").click()
    await page.wait_for_selector("text=提出済み：市の審査を待っています")


async def test_review_round_trip_until_the_booths_are_bookable(browser, live_server):
    for n in range(4):
        await make_venue(
            venue_id=f"R{n}",
            name=f"審査{n}公民館",
            lat=36.50 + 0.03 * n,
            lon=136.60,
            open_days="月火水木金土日",
            open_from="09:00",
            open_until="17:00",
        )
    await DemandPoint.insert(*[DemandPoint(name=f"町{n}", lat=36.50 + 0.03 * n, lon=136.601) for n in range(4)])
    staff = await create_user("e2e-contractor", PASSWORD, Role.contractor_staff)
    await create_user("e2e-reviewer", PASSWORD, Role.city_reviewer)
    version_id = await services.create_plan(
        staff,
        "審査の計画",
        services.Parameters(
            start=dt.date(2027, 6, 1),
            end=dt.date(2027, 6, 30),
            weekday_per_month=2,
            holiday_per_month=1,
            min_gap_days=7,
        ),
    )
    await services.run_solve(version_id)
    plan_id = (await PlanVersion.select(PlanVersion.plan).where(PlanVersion.id == version_id).first())["plan"]
    url = f"{live_server}/staff/plans/{plan_id}"
    contractor = await (await browser.new_context(locale="ja-JP")).new_page()
    reviewer = await (await browser.new_context(locale="ja-JP")).new_page()
    await sign_in(contractor, live_server, "e2e-contractor")
    await sign_in(reviewer, live_server, "e2e-reviewer")

    await submit(contractor, url)
    assert "市に提出しました" in await contractor.locator("#flash").inner_text()

    await reviewer.goto(url)
    rows = reviewer.locator("table.sessions tbody tr")
    assert await rows.count() == 3
    words = ["この日は地区の運動会です", "駐車場が狭いので平日に", "この回は良いです"]
    await rows.nth(0).locator("input[name^=comment-]").fill(words[0])
    await rows.nth(1).locator("input[name^=comment-]").fill(words[1])
    await rows.nth(0).get_by_role("button", name="コメントを保存").click()  # one row's button...
    await reviewer.wait_for_selector("#flash")
    assert "コメントを保存しました" in await reviewer.locator("#flash").inner_text()
    for n in (0, 1):  # ...keeps what was typed in every row
        assert await rows.nth(n).locator("input[name^=comment-]").input_value() == words[n]
    await rows.nth(2).locator("input[name^=comment-]").fill(words[2])  # typed, then straight to the decision
    await reviewer.get_by_label("全体へのコメント").fill("運動会の日を避けてください")
    await reviewer.get_by_role("button", name="コメントを付けて差し戻す").click()
    await reviewer.wait_for_selector("#version-state")
    assert await reviewer.locator("#version-state").inner_text() == "下書き"

    await contractor.goto(url)
    assert "運動会の日を避けてください" in await contractor.locator("#returned-comment").inner_text()
    comments = await contractor.locator("table.sessions td.comment").all_inner_texts()
    assert [c.strip() for c in comments] == words
    commented = contractor.locator("table.sessions tbody tr", has_text="この日は地区の運動会です")
    await commented.get_by_role("link", name="編集").click()
    for day in range(1, 31):  # the first date the rules allow
        date = dt.date(2027, 6, day)
        await contractor.fill("#move-date", date.isoformat())
        await contractor.get_by_role("button", name="移動", exact=True).click()
        if "/staff/plans/" in contractor.url:
            break
    await submit(contractor, url)

    await reviewer.goto(url)
    changes = reviewer.locator("table.changes tr.change")
    assert await changes.count() == 1
    assert "日程を変更" in await changes.first.inner_text() and "運動会" in await changes.first.inner_text()
    approve = reviewer.get_by_role("button", name="承認する")
    changes_at = (await reviewer.locator("table.changes").bounding_box())["y"]
    assert (await approve.bounding_box())["y"] > changes_at  # the decision comes after what must be read
    await approve.click()
    assert "版 2 を承認しますか" in await reviewer.locator("h1").inner_text()
    await reviewer.locator("#confirm-form").get_by_role("button", name="承認する").click()
    await reviewer.wait_for_selector("text=市が承認しました")
    published = reviewer.locator(".badge--published")
    assert await published.count() == 3
    assert "14" in await published.first.inner_text()  # 10:00–17:00 in 30-minute slots
