"""In Chromium on a 360 px phone: the home page's booth map, drawn by static/js/booth-map.js from /api/sessions with
Leaflet served by us — markers, the place searched from, and a booth reached and opened with the keyboard alone —
and a booth page's map of its venue with the directions link, without an accessibility violation."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_accessibility import violations
from tests.e2e.test_booking import booths, focus_is_visible, tab_to


async def test_the_booth_map_draws_the_booths_on_a_small_phone_and_works_by_keyboard(page, live_server):
    chosen = await booths()
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.set_viewport_size({"width": 360, "height": 740})

    await page.goto(live_server + "/?q=片町&src=aeon-board")
    await page.locator("#booth-map").scroll_into_view_if_needed()
    await page.wait_for_selector("#booth-map.leaflet-container[data-markers='3']")
    drawn = page.locator("#booth-map .booth-pin, #booth-map .marker-cluster")
    assert await drawn.count() >= 2  # three booths: pins, or a cluster of the two near each other and a pin
    assert await page.locator("#booth-map .here-marker").count() == 1  # 片町, where the resident searched from
    tiles = await page.eval_on_selector_all("#booth-map img.leaflet-tile", "tiles => tiles.map(t => t.src)")
    assert tiles and all(src.endswith("/static/img/blank-tile.png") for src in tiles)
    box = await page.locator("#booth-map").bounding_box()
    assert box is not None and box["width"] <= 360 and box["height"] >= 300
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    assert not [url for url in page.requests if "/map.html" in url]  # type: ignore[attr-defined]

    await tab_to(page, "#booth-map .booth-pin")  # Tab reaches a booth's pin, which says which booth it is
    label = await page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert re.search(r"(森本公民館|片町きらら|金沢駅西公民館) 2027年6月\d+日", label), label
    assert await focus_is_visible(page)
    await page.keyboard.press("Enter")  # opens its popup, and the focus goes to the popup's link
    await page.wait_for_selector("#booth-map .leaflet-popup a.booth-popup__link")
    link = await page.evaluate("document.activeElement.getAttribute('href')")
    ids = {str(booth["session"]) for booth in chosen.values()}
    assert re.fullmatch(r"/booths/(\d+)\?src=aeon-board", link) and link.split("/")[2].split("?")[0] in ids, link
    popup = await page.locator("#booth-map .leaflet-popup").inner_text()
    assert label.split(" ")[0] in popup and "残り" in popup
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r".*/booths/\d+\?src=aeon-board$"))

    assert problems == [], problems  # no script error, nothing refused by the Content-Security-Policy
    assert page.outside == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("language", ["ja", "en"])
async def test_a_booth_page_shows_its_venue_on_a_map_with_directions_and_no_accessibility_violation(
    page, live_server, language
):
    chosen = await booths()
    booth = chosen["near"]
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    await page.set_viewport_size({"width": 360, "height": 740})

    await page.goto(f"{live_server}/booths/{booth['session']}?src=flyer")
    await page.locator("#booth-map").scroll_into_view_if_needed()
    await page.wait_for_selector("#booth-map.leaflet-container[data-markers='1']")
    assert await page.locator("#booth-map .booth-pin").count() == 1
    tiles = await page.eval_on_selector_all("#booth-map img.leaflet-tile", "tiles => tiles.map(t => t.src)")
    assert tiles and all(src.endswith("/static/img/blank-tile.png") for src in tiles)
    label = await page.locator("#booth-map .booth-pin").get_attribute("aria-label")
    assert ("片町きらら" if language == "ja" else "Katamachi Kirara") in label
    directions = page.locator(".booth-where__links a[href^='https://www.google.com/maps/dir/']")
    assert await directions.is_visible()
    box = await page.locator("#booth-map").bounding_box()
    assert box is not None and box["width"] <= 360 and box["height"] >= 250
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360

    assert await violations(page) == []
    assert problems == [], problems
    assert page.outside == []  # type: ignore[attr-defined]
