"""Staff sign in, import a facility list through the upload preview, and see the venues on the map —
in Chromium, with no request leaving localhost."""

from __future__ import annotations

from core.tables import Role
from core.users import create_user
from tests.conftest import PASSWORD
from venues.tables import Venue

FILE = (
    "ID,名称,所在地_連結表記,緯度,経度,利用可能曜日,開始時間,終了時間,車椅子可\r\n"
    "E2E-1,弥生公民館,石川県金沢市弥生1丁目,36.5501,136.6401,月火水木金,09:00,17:00,可\r\n"
    "E2E-2,泉野図書館,石川県金沢市泉野出町3丁目,36.5412,136.6468,火水木金土日,10:00,19:00,\r\n"
    "E2E-3,森本市民センター,石川県金沢市吉原町ハ,36.6341,136.7068,月火水木金,08:30,17:15,\r\n"
    "E2E-4,壊れた公民館,石川県金沢市どこか,365512,136.6402,月火水木金,09:00,17:00,\r\n"
).encode("cp932")


async def test_sign_in_import_with_preview_and_see_the_map(page, live_server, tmp_path):
    await create_user("e2e-staff", PASSWORD, Role.contractor_staff, display_name="担当 花子")
    csv_path = tmp_path / "shisetsu.csv"
    csv_path.write_bytes(FILE)

    await page.goto(live_server + "/staff/venues/import")
    assert "/staff/login" in page.url  # signed out: sent to sign in, then back
    await page.get_by_label("ユーザー名").fill("e2e-staff")
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_role("button", name="ログイン").click()
    await page.wait_for_url("**/staff/venues/import")

    await page.get_by_label("CSVファイル").set_input_files(str(csv_path))
    await page.get_by_role("button", name="アップロードしてプレビュー").click()
    await page.wait_for_selector("#import-summary")
    assert await page.locator("[data-count=new]").inner_text() == "3"
    error_row = page.locator("tr.problem--error").first
    assert "365512" in await error_row.inner_text() and "36.5512" in await error_row.inner_text()

    await page.get_by_role("button", name="取り込む").click()  # refused: the file has an error row
    await page.wait_for_selector("[role=alert]")
    assert await Venue.count() == 0
    await page.get_by_label("エラーのない行だけを取り込む").check()
    await page.get_by_role("button", name="取り込む").click()
    await page.wait_for_selector("#import-outcome")
    assert "新規 3 件" in await page.locator("#import-outcome").inner_text()
    assert await Venue.count() == 3

    await page.get_by_role("link", name="会場マップ").first.click()
    frame = page.frame_locator("iframe.map-frame")
    markers = frame.locator("path.venue-marker")
    await markers.first.wait_for(state="attached", timeout=15000)
    clusters = await frame.locator(".marker-cluster span").all_inner_texts()
    assert await markers.count() + sum(int(n) for n in clusters) == 3
    await page.wait_for_load_state("networkidle")
    assert any("/static/vendor/leaflet/leaflet.js" in url for url in page.requests)
    assert any("/static/img/blank-tile.png" in url for url in page.requests)  # tiles from the configured server
    assert page.outside == []
