"""The home page's weight: everything the browser fetches from us for it (page, styles, scripts, images), compressed
with gzip, stays at or under 200 KB in every language."""

from __future__ import annotations

import gzip

import pytest

from core.i18n import LOCALES
from tests.e2e.test_booking import booths

LIMIT = 200 * 1024


@pytest.mark.parametrize("language", LOCALES)
async def test_the_home_page_weighs_at_most_200_kb_with_gzip(page, live_server, language):
    await booths()
    await page.set_viewport_size({"width": 360, "height": 740})
    await page.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    responses = []
    page.on("response", lambda response: responses.append(response))
    await page.goto(live_server + "/?q=片町")
    await page.locator("#booth-map").scroll_into_view_if_needed()  # the map and its scripts load once in view
    await page.wait_for_selector("#booth-map[data-markers='3'] .booth-pin")
    await page.wait_for_load_state("networkidle")
    sizes = {}
    for response in responses:
        if response.url.startswith(live_server) and response.status == 200:
            sizes[response.url.removeprefix(live_server)] = len(gzip.compress(await response.body(), 9))
    assert any(path.startswith("/static/") for path in sizes) and "/?q=%E7%89%87%E7%94%BA" in sizes
    total = sum(sizes.values())
    print(f"{language}: {total / 1024:.1f} KB gzip in {len(sizes)} files")
    assert total <= LIMIT, sorted(sizes.items(), key=lambda item: -item[1])[:5]
