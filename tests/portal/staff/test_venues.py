"""The venue registry pages as staff use them: list and filters, detail, edit with errors, blackout dates,
the upload-with-preview import, export and the map."""

from __future__ import annotations

from bs4 import BeautifulSoup

from core.tables import AuditEvent, Role
from tests.conftest import DATA, csrf_token, post_form, soup
from tests.venues.factories import make_venue
from venues.tables import BlackoutDate, Venue

KANAZAWA = (DATA / "public_facilities.csv").read_bytes()


def venue_names(response) -> list[str]:
    return [a.get_text(strip=True) for a in soup(response).select("table.data-table tbody td:first-child a")]


async def test_list_filters_by_kind_area_and_accessibility(client, signed_in):
    await signed_in(Role.contractor_staff)
    await make_venue(name="泉野図書館", kind="library", town="泉野", wheelchair=True)
    await make_venue(name="広坂公民館", kind="community_hall", town="広坂", priority_parking=True)
    await make_venue(name="閉館した館", kind="community_hall", town="広坂", active=False)
    assert sorted(venue_names(await client.get("/staff/venues"))) == ["広坂公民館", "泉野図書館"]
    assert venue_names(await client.get("/staff/venues?kind=library")) == ["泉野図書館"]
    assert venue_names(await client.get("/staff/venues?town=広坂")) == ["広坂公民館"]
    assert venue_names(await client.get("/staff/venues?access=priority_parking")) == ["広坂公民館"]
    assert venue_names(await client.get("/staff/venues?status=inactive")) == ["閉館した館"]
    options = [o["value"] for o in soup(await client.get("/staff/venues")).select("#f-town option") if o["value"]]
    assert options == sorted(["泉野", "広坂"])


async def test_edit_form_shows_every_error_next_to_its_field_and_keeps_the_input(client, signed_in):
    await signed_in(Role.contractor_staff)
    venue = await make_venue()
    url = f"/staff/venues/v/{venue['venue_id']}/edit"
    form = {
        "name": "新しい名前",
        "kind": "community_hall",
        "lat": "3656",
        "lon": "136.65",
        "open_days": ["月", "祝"],
        "open_from": "9時",
        "open_until": "17:00",
        "partner_email": "nobody",
    }
    response = await post_form(client, url, url, form)
    assert response.status_code == 422
    page = soup(response)
    for field in ("lat", "open_from", "partner_email"):
        control = page.find(id=f"v-{field}")
        assert control["aria-invalid"] == "true"
        assert page.find(id=f"v-{field}-error").get_text(strip=True)
    assert page.find(id="v-name")["value"] == "新しい名前"
    assert page.find(role="alert") is not None
    assert (await Venue.select(Venue.name).where(Venue.id == venue["id"]).first())["name"] == venue["name"]


async def test_edit_saves_partner_contact_and_writes_the_audit_log(client, signed_in):
    actor = await signed_in(Role.contractor_lead)
    venue = await make_venue()
    url = f"/staff/venues/v/{venue['venue_id']}/edit"
    form = {
        "name": venue["name"],
        "kind": "community_hall",
        "lat": "36.57",
        "lon": "136.65",
        "open_days": ["月", "火", "土"],
        "open_from": "09:00",
        "open_until": "21:00",
        "wheelchair": "on",
        "partner_name": "館長 山田",
        "partner_email": "yamada@example.jp",
    }
    response = await post_form(client, url, url, form, follow_redirects=False)
    assert response.status_code == 303
    saved = await Venue.select().where(Venue.id == venue["id"]).first()
    assert (saved["partner_email"], saved["open_days"], saved["wheelchair"]) == ("yamada@example.jp", "月火土", True)
    detail = await client.get(f"/staff/venues/v/{venue['venue_id']}")
    assert "yamada@example.jp" in detail.text
    event = await AuditEvent.select().where(AuditEvent.action == "venue.updated").first()
    assert event["actor_name"] == actor.username
    assert actor.username in soup(detail).select_one("ul.history").get_text()


async def test_blackout_dates_added_and_removed_from_the_venue_page(client, signed_in):
    await signed_in(Role.contractor_staff)
    venue = await make_venue()
    page_url = f"/staff/venues/v/{venue['venue_id']}"
    bad = await post_form(client, page_url, f"{page_url}/blackouts", {"date": "5月3日"})
    assert bad.status_code == 422 and soup(bad).find(id="b-date")["aria-invalid"] == "true"
    ok = await post_form(client, page_url, f"{page_url}/blackouts", {"date": "2027-05-03", "reason": "館まつり"})
    assert ok.status_code == 200 and "館まつり" in ok.text
    (blackout,) = await BlackoutDate.select().where(BlackoutDate.venue == venue["id"])
    duplicate = await post_form(client, page_url, f"{page_url}/blackouts", {"date": "2027-05-03"})
    assert duplicate.status_code == 409
    await post_form(client, page_url, f"{page_url}/blackouts/{blackout['id']}/delete", {})
    assert await BlackoutDate.count() == 0


async def test_deactivate_and_reactivate(client, signed_in):
    await signed_in(Role.admin)
    venue = await make_venue()
    page_url = f"/staff/venues/v/{venue['venue_id']}"
    await post_form(client, page_url, f"{page_url}/deactivate", {})
    assert (await Venue.select(Venue.active).where(Venue.id == venue["id"]).first())["active"] is False
    await post_form(client, page_url, f"{page_url}/activate", {})
    assert (await Venue.select(Venue.active).where(Venue.id == venue["id"]).first())["active"] is True


async def test_unknown_venue_is_a_404_page(client, signed_in):
    await signed_in(Role.contractor_staff)
    response = await client.get("/staff/venues/v/NOPE")
    assert response.status_code == 404 and soup(response).find(role="alert")


async def upload(client, content: bytes, filename: str = "facilities.csv"):
    page = await client.get("/staff/venues/import")
    return await client.post(
        "/staff/venues/import",
        files={"file": (filename, content, "text/csv")},
        data={"_csrf_token": csrf_token(page.text)},
    )


def form_fields(page: BeautifulSoup) -> dict:
    """The preview form's values as a browser would submit them."""
    form = page.select_one("form[action^='/staff/venues/import/']")
    data: dict = {}
    for field in form.select("input[type=hidden]"):
        data[field["name"]] = field["value"]
    for select in form.select("select"):
        chosen = select.select_one("option[selected]") or select.select_one("option")
        data[select["name"]] = chosen["value"]
    return data


async def test_upload_preview_then_import_the_real_kanazawa_file(client, signed_in):
    await signed_in(Role.contractor_staff)
    preview = await upload(client, KANAZAWA)
    assert preview.status_code == 200
    page = soup(preview)
    assert page.select_one("[data-count=new]").get_text() == "116"
    assert page.select_one("[data-count=errors]").get_text() == "0"
    assert await Venue.count() == 0  # nothing saved by a preview
    action = page.select_one("form[action^='/staff/venues/import/']")["action"]
    done = await client.post(action, data={**form_fields(page), "action": "import"})
    assert done.status_code == 200 and await Venue.count() == 116
    again = soup(await upload(client, KANAZAWA))
    assert again.select_one("[data-count=new]").get_text() == "0"
    # The same file again changes nothing, and the preview says so (it announced 「更新する会場: 116」).
    assert again.select_one("[data-count=update]").get_text() == "0"
    assert again.select_one("[data-count=unchanged]").get_text() == "116"
    assert {td["data-action"] for td in again.select("td.planned-action")} == {"unchanged"}


async def test_the_preview_counts_only_venues_that_really_change_and_names_what_changes(client, signed_in):
    await signed_in(Role.contractor_staff)
    header = "ID,名称,所在地_連結表記,緯度,経度,利用可能曜日,開始時間,終了時間\r\n"
    rows = [
        "K1,弥生公民館,金沢市弥生1丁目,36.5501,136.6401,月火水木金,09:00,17:00\r\n",
        "K2,泉公民館,金沢市泉1丁目,36.5512,136.6402,月火水木金,09:00,17:00\r\n",
    ]
    first = soup(await upload(client, (header + "".join(rows)).encode()))
    action = first.select_one("form[action^='/staff/venues/import/']")["action"]
    await client.post(action, data={**form_fields(first), "action": "import"})
    changed = rows[1].replace("09:00,17:00", "09:00,21:00")
    new_row = "K3,額公民館,金沢市額1丁目,36.5101,136.6201,月火水木金,09:00,17:00\r\n"
    page = soup(await upload(client, (header + rows[0] + changed + new_row).encode()))
    counts = {key: page.select_one(f"[data-count={key}]").get_text() for key in ("new", "update", "unchanged")}
    assert counts == {"new": "1", "update": "1", "unchanged": "1"}
    actions = {
        tr.select("td")[1].get_text(strip=True): tr.select_one("td.planned-action") for tr in page.select("tr.record")
    }
    assert {vid: td["data-action"] for vid, td in actions.items()} == {"K1": "unchanged", "K2": "update", "K3": "new"}
    assert "終了時刻" in actions["K2"].get_text()
    action = page.select_one("form[action^='/staff/venues/import/']")["action"]
    done = soup(await client.post(action, data={**form_fields(page), "action": "import"}))
    assert done.select_one("#import-outcome").get_text() == "新規 1 件、更新 1 件、変更なし 1 件、対象外 0 行"


async def test_preview_of_a_bad_file_lists_each_problem_and_imports_only_when_confirmed(client, signed_in):
    await signed_in(Role.contractor_staff)
    header = "ID,名称,所在地_連結表記,緯度,経度,利用可能曜日,開始時間,終了時間\r\n"
    rows = (
        "K1,弥生公民館,金沢市弥生1丁目,36.5501,136.6401,月火水木金,09:00,17:00\r\n"
        "K2,泉公民館,金沢市泉1丁目,365512,136.6402,月火水木金,09:00,17:00\r\n"
        "K3,額公民館,金沢市額1丁目,36.5101,136.6201,月;火;水,9時,17時\r\n"
    )
    preview = await upload(client, (header + rows).encode("cp932"))
    page = soup(preview)
    errors = [[td.get_text(strip=True) for td in tr.select("td")] for tr in page.select("tr.problem--error")]
    assert errors and errors[0][:3] == ["3", "緯度", "365512"]
    assert "36.5512" in errors[0][3]  # suggests the missing decimal point
    action = page.select_one("form[action^='/staff/venues/import/']")["action"]
    refused = await client.post(action, data={**form_fields(page), "action": "import"})
    assert refused.status_code == 422 and await Venue.count() == 0
    assert soup(refused).find(role="alert")
    accepted = await client.post(action, data={**form_fields(page), "action": "import", "accept_partial": "on"})
    assert accepted.status_code == 200
    assert sorted(v["venue_id"] for v in await Venue.select(Venue.venue_id)) == ["K1", "K3"]


async def test_kind_can_be_overridden_in_the_preview(client, signed_in):
    await signed_in(Role.contractor_staff)
    content = (
        "ID,名称,緯度,経度,利用可能曜日,開始時間,終了時間\r\nX1,ふれあいプラザ,36.56,136.65,月火水木金,09:00,17:00\r\n"
    ).encode()
    page = soup(await upload(client, content))
    assert page.select_one("[data-count=excluded]").get_text() == "1"
    action = page.select_one("form[action^='/staff/venues/import/']")["action"]
    fields = {**form_fields(page), "kind_2": "welfare"}
    refreshed = soup(await client.post(action, data={**fields, "action": "refresh"}))
    assert refreshed.select_one("[data-count=new]").get_text() == "1"
    await client.post(action, data={**form_fields(refreshed), "action": "import"})
    venue = await Venue.select().where(Venue.venue_id == "X1").first()
    assert (venue["kind"], venue["kind_source"]) == ("welfare", "override")


async def test_upload_of_another_user_cannot_be_used(client, signed_in, app):
    from litestar.testing import AsyncTestClient

    from tests.conftest import sign_in

    await signed_in(Role.contractor_staff)
    page = soup(await upload(client, KANAZAWA))
    action = page.select_one("form[action^='/staff/venues/import/']")["action"]
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other:
        from core.users import create_user
        from tests.conftest import PASSWORD

        intruder = await create_user("intruder", PASSWORD, Role.contractor_staff)
        await sign_in(other, intruder.username)
        token = csrf_token((await other.get("/staff/venues/import")).text)
        response = await other.post(action, data={"_csrf_token": token, "action": "import"})
        assert response.status_code == 404
    assert await Venue.count() == 0


async def test_export_downloads_the_standard_format(client, signed_in):
    await signed_in(Role.city_reviewer)
    await make_venue(venue_id="E1", name="輸出公民館")
    response = await client.get("/staff/venues/export.csv?encoding=cp932")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    text = response.content.decode("cp932")
    assert text.splitlines()[0].startswith("全国地方公共団体コード,ID,") and "輸出公民館" in text


async def test_map_is_served_with_local_assets_only(client, signed_in):
    await signed_in(Role.city_reviewer)
    await make_venue(name="地図の公民館")
    frame = await client.get("/staff/venues/map.html")
    assert frame.status_code == 200 and "地図の公民館" in frame.text
    page = soup(frame)
    sources = [tag.get("src") for tag in page.find_all("script") if tag.get("src")]
    sources += [tag.get("href") for tag in page.find_all("link") if tag.get("href")]
    assert sources and all(src.startswith("/static/") for src in sources), sources
    assert "/static/vendor/leaflet/leaflet.js" in sources
    for src in sources:
        assert (await client.get(src)).status_code == 200, src
    outer = soup(await client.get("/staff/venues/map"))
    assert outer.find("iframe")["title"]


async def test_venues_whose_ids_look_like_other_pages_can_be_opened(client, signed_in):
    await signed_in(Role.contractor_staff)
    for venue_id in ("map", "map.html", "export.csv", "import"):
        await make_venue(venue_id=venue_id, name=f"会場 {venue_id}")
    listed = soup(await client.get("/staff/venues")).select("table.data-table tbody td:first-child a")
    for link in listed:
        page = await client.get(link["href"])
        assert page.status_code == 200, link["href"]
        assert soup(page).h1.get_text(strip=True) == link.get_text(strip=True)
        edit = soup(await client.get(link["href"] + "/edit"))
        assert edit.select_one("form.form")["action"] == link["href"] + "/edit"
    assert len(listed) == 4


async def test_only_web_addresses_become_links(client, signed_in):
    await signed_in(Role.contractor_staff)
    bad = await make_venue(url="javascript:alert(document.domain)")
    good = await make_venue(url="https://www.city.kanazawa.ishikawa.jp/")
    bad_page = soup(await client.get(f"/staff/venues/v/{bad['venue_id']}"))
    assert bad_page.select("a[href^='javascript']") == [] and "javascript:alert" in bad_page.get_text()
    good_page = soup(await client.get(f"/staff/venues/v/{good['venue_id']}"))
    assert good_page.select_one("dl.facts a[href='https://www.city.kanazawa.ishikawa.jp/']") is not None


async def test_no_page_has_a_javascript_link(client, signed_in):
    await signed_in(Role.admin)
    venue = await make_venue()
    for url in ("/staff/venues", f"/staff/venues/v/{venue['venue_id']}", "/staff/venues/v/NOPE", "/staff/audit"):
        assert soup(await client.get(url)).select("[href^='javascript']") == [], url


async def test_history_names_actions_and_fields_in_the_users_language(client, signed_in):
    actor = await signed_in(Role.contractor_staff)
    venue = await make_venue()
    url = f"/staff/venues/v/{venue['venue_id']}/edit"
    form = {
        "name": venue["name"],
        "kind": "library",
        "lat": "36.57",
        "lon": "136.65",
        "open_days": ["月"],
        "open_from": "09:00",
        "open_until": "17:00",
    }
    await post_form(client, url, url, form)
    await post_form(
        client, f"/staff/venues/v/{venue['venue_id']}", f"/staff/venues/v/{venue['venue_id']}/deactivate", {}
    )
    history = soup(await client.get(f"/staff/venues/v/{venue['venue_id']}")).select_one("ul.history").get_text()
    assert "会場を編集" in history and "会場を無効化" in history and "利用可能曜日" in history and "種別" in history
    assert "venue.updated" not in history and "open_days" not in history and actor.username in history
    client.cookies.set("lang", "en")
    english = soup(await client.get(f"/staff/venues/v/{venue['venue_id']}")).select_one("ul.history").get_text()
    assert "Venue edited" in english and "Opening days" in english


async def test_filters_are_folded_away_on_the_list_until_one_is_used(client, signed_in):
    await signed_in(Role.contractor_staff)
    await make_venue()
    panel = soup(await client.get("/staff/venues")).select_one("details.filter-panel")
    assert panel is not None and not panel.has_attr("open")
    assert panel.summary.get_text(strip=True) and panel.select_one("form.filters") is not None
    for query in ("kind=library", "q=公民館", "status=all", "access=wheelchair"):
        assert soup(await client.get(f"/staff/venues?{query}")).select_one("details.filter-panel").has_attr("open")


async def test_name_search_ignores_letter_case(client, signed_in):
    await signed_in(Role.contractor_staff)
    await make_venue(name="AEON Mall 杜の里")
    await make_venue(name="泉野図書館")
    assert venue_names(await client.get("/staff/venues?q=aeon")) == ["AEON Mall 杜の里"]
    assert venue_names(await client.get("/staff/venues?q=Mall")) == ["AEON Mall 杜の里"]


async def test_the_footer_credits_the_configured_data(client, monkeypatch):
    from litestar.testing import AsyncTestClient

    from core.settings import environment_settings
    from portal.app import create_app

    default = soup(await client.get("/bookings/find")).select_one("footer").get_text()
    assert "地理院タイル" in default and "金沢" not in default and "Kanazawa" not in default
    monkeypatch.setenv("DATA_CREDIT", "会場データ: 金沢市オープンデータ（CC BY 4.0）")
    environment_settings.cache_clear()
    try:  # settings never change while a portal runs: a portal started with the variable set
        async with AsyncTestClient(app=create_app(), base_url="http://testserver.local") as started:
            credited = soup(await started.get("/bookings/find")).select_one("footer").get_text(strip=True)
    finally:
        monkeypatch.delenv("DATA_CREDIT")
        environment_settings.cache_clear()
    assert credited == "会場データ: 金沢市オープンデータ（CC BY 4.0）"


async def test_identical_rows_without_an_id_are_one_new_venue_and_one_error(client, signed_in):
    await signed_in(Role.contractor_staff)
    row = "弥生公民館,金沢市弥生1丁目,36.5501,136.6401,月火水木金,09:00,17:00\r\n"
    content = ("名称,所在地_連結表記,緯度,経度,利用可能曜日,開始時間,終了時間\r\n" + row + row).encode()
    page = soup(await upload(client, content))
    assert page.select_one("[data-count=new]").get_text() == "1"
    assert page.select_one("[data-count=errors]").get_text() == "1"
    action = page.select_one("form[action^='/staff/venues/import/']")["action"]
    refused = await client.post(action, data={**form_fields(page), "action": "import"})
    assert refused.status_code == 422
    done = await client.post(action, data={**form_fields(page), "action": "import", "accept_partial": "on"})
    assert done.status_code == 200 and await Venue.count() == 1


async def test_abandoned_uploads_are_deleted_when_a_new_one_is_saved(client, signed_in, var_dir):
    import os
    import time

    await signed_in(Role.contractor_staff)
    uploads = var_dir / "uploads"
    uploads.mkdir(exist_ok=True)
    stale, recent = uploads / ("s" * 32 + ".csv"), uploads / ("r" * 32 + ".csv")
    for path in (stale, stale.with_suffix(".json"), recent):
        path.write_text("x")
    day_and_a_bit = time.time() - 25 * 3600
    for path in (stale, stale.with_suffix(".json")):
        os.utime(path, (day_and_a_bit, day_and_a_bit))
    os.utime(recent, (time.time() - 23 * 3600,) * 2)
    page = soup(await upload(client, KANAZAWA))
    token = page.select_one("form[action^='/staff/venues/import/']")["action"].rsplit("/", 1)[1]
    assert not stale.exists() and not stale.with_suffix(".json").exists()
    assert recent.exists() and (uploads / f"{token}.csv").exists()


async def test_the_venue_page_shows_the_opening_rules_in_words_and_staff_confirm_unread_notes(client, signed_in):
    await signed_in(Role.contractor_staff)
    preview = soup(await upload(client, KANAZAWA))
    action = preview.select_one("form[action^='/staff/venues/import/']")["action"]
    await client.post(action, data={**form_fields(preview), "action": "import"})

    yonemaru = soup(await client.get("/staff/venues/v/AA0000000863"))
    words = [li.get_text(strip=True) for li in yonemaru.select("#rule-words li")]
    assert "土曜 08:30–12:00 開館" in words and "休館：8/13～8/16" in words
    assert yonemaru.select("#hours-unread") == []

    url = "/staff/venues/v/AA0000000911"  # 玉川図書館: 「特別整理期間」 has no dates
    library = soup(await client.get(url))
    assert [li.get_text(strip=True) for li in library.select("#hours-unread li")] == ["「特別整理期間」"]
    action = f"{url}/opening-rules"
    refused = await post_form(client, url, action, {"opening_hours": "月曜 休館"})
    assert refused.status_code == 422
    page = soup(refused)
    assert page.find(id="opening-hours")["aria-invalid"] == "true"
    assert page.find(id="opening-hours")["value"] == "月曜 休館"
    assert page.find(id="opening-hours-error").get_text(strip=True)
    saved = await Venue.select().where(Venue.venue_id == "AA0000000911").first()
    assert not saved["hours_confirmed"]

    rule = "Tu-Su 09:30-18:00; PH off; Mo off; Dec 29-Jan 04 off; Feb 01-Feb 10 off"
    done = await post_form(client, url, action, {"opening_hours": rule}, follow_redirects=False)
    assert done.status_code == 303
    saved = await Venue.select().where(Venue.venue_id == "AA0000000911").first()
    assert (saved["opening_hours"], saved["hours_confirmed"]) == (rule, True)
    confirmed = soup(await client.get(url))
    assert confirmed.select("#hours-unread") == []
    assert "休館：2/1～2/10" in [li.get_text(strip=True) for li in confirmed.select("#rule-words li")]
    assert await AuditEvent.count().where(AuditEvent.action == "venue.hours_confirmed") == 1
