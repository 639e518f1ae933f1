"""In Chromium, on a phone: a resident finds the booth nearest to their town, books a time, gets the email with the
manage link, moves the booking and cancels it — in Japanese, in English and with the keyboard alone; axe-core finds
no WCAG 2.1 A/AA violation on any public page in any of the six languages, and nothing overflows or is too small
to tap on a 360 px screen."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from booking.codes import display_code
from booking.tables import Booking, Slot
from core import outbox
from core.settings import get_settings
from tests.booking.factories import publish_booth
from tests.conftest import DATA
from tests.venues.factories import make_venue
from venues.places import import_places

AXE = Path(__file__).parent / "assets" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
KATAMACHI = (36.5615, 136.6525)


async def booths() -> dict[str, dict]:
    """Town points, and three booths in 2027: one in 片町 and two farther away (the nearest is not the earliest)."""
    await import_places(DATA / "town_points.csv")
    far = await publish_booth(
        dt.date(2027, 6, 5),
        venue=await make_venue(
            name="森本公民館", name_en="Morimoto Community Hall", address="石川県金沢市吉原町", lat=36.63, lon=136.71
        ),
    )
    near = await publish_booth(
        dt.date(2027, 6, 19),
        venue=await make_venue(
            name="片町きらら",
            name_en="Katamachi Kirara",
            address="石川県金沢市片町二丁目",
            lat=KATAMACHI[0],
            lon=KATAMACHI[1],
            wheelchair=True,
        ),
    )
    middle = await publish_booth(
        dt.date(2027, 6, 12),
        venue=await make_venue(
            name="金沢駅西公民館",
            name_en="Kanazawa Station West Hall",
            address="石川県金沢市広岡",
            lat=36.579,
            lon=136.645,
        ),
    )
    return {"near": near, "middle": middle, "far": far}


async def booking_row(code: str) -> dict:
    return await Booking.select().where(Booking.code == code).first()


async def booked(slot: dict) -> int:
    return (await Slot.select(Slot.booked).where(Slot.id == slot["id"]).first())["booked"]


def token_from(url: str) -> str:
    """The manage token of a booking page's address (it is shown once, in the link)."""
    return parse_qs(urlsplit(url).query)["token"][0]


def code_from(url: str) -> str:
    match = re.search(r"/bookings/([0-9A-Z]{16})\?token=", url)
    assert match, url
    return match.group(1)


def mail_text(content: bytes) -> tuple[str, str]:
    message = email.message_from_bytes(content, policy=email.policy.default)
    return str(message["Subject"]), message.get_body(("plain",)).get_content()


async def violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations of the page, and what it could not decide (such as an aria-label that
    screen readers ignore), colour contrast over images aside."""
    await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        "tags => axe.run(document, {iframes: false, runOnly: {type: 'tag', values: tags}})", TAGS
    )
    undecided = [v for v in result["incomplete"] if v["id"] != "color-contrast"]
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"] + undecided
    ]


async def focus_is_visible(page) -> bool:
    return await page.evaluate("""() => {
        const style = getComputedStyle(document.activeElement);
        const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
        return outline || (style.boxShadow && style.boxShadow !== 'none');
    }""")


async def tab_to(page, selector: str, *, limit: int = 80, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches ``selector``."""
    for _ in range(limit):
        await page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if await page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def test_a_resident_books_moves_and_cancels_in_japanese(page, live_server, smtp):
    booth = await booths()
    near, middle = booth["near"], booth["middle"]

    await page.goto(live_server + "/")
    assert await page.get_attribute("html", "lang") == "ja"
    await page.fill("#q", "片町")
    await page.click("form.search button[type=submit]")
    await page.wait_for_url("**/?q=*")
    cards = page.locator(".booth-card")
    assert await cards.count() == 3
    names = [await cards.nth(n).locator(".booth-card__title").inner_text() for n in range(3)]
    assert names == ["片町きらら", "金沢駅西公民館", "森本公民館"]  # nearest first, not earliest first
    distance = await cards.first.locator(".distance").inner_text()
    assert re.search(r"0\.\d km", distance), distance
    assert "2027年6月19日（土）" in await cards.first.locator(".booth-card__when").inner_text()
    assert "片町" in await page.locator("#results").inner_text()

    await cards.first.locator(".booth-card__title a").click()
    await page.wait_for_url(f"**/booths/{near['session']}")
    assert await page.locator("h1").inner_text() == "片町きらら"
    slots = page.locator("a.slot--open")
    assert await slots.count() == 14  # 10:00–17:00 in 30-minute slots
    chosen = near["slots"][2]
    await slots.nth(2).click()
    await page.wait_for_url(f"**/booths/{near['session']}/book?slot={chosen['id']}")
    assert await page.locator(f"input[name=slot][value='{chosen['id']}']").is_checked()
    await page.fill("#name_kana", "かなざわ はなこ")
    await page.fill("#email", "hanako@example.jp")
    await page.select_option("#party_size", "2")
    await page.click("form.booking-form button[type=submit]")
    await page.wait_for_url("**/bookings/*new=1")

    code, token = code_from(page.url), token_from(page.url)
    row = await booking_row(code)
    assert (row["state"], row["slot"], row["session"], row["party_size"]) == (
        "confirmed",
        chosen["id"],
        near["session"],
        2,
    )
    assert row["name_kana"] == "カナザワ ハナコ" and row["email"] == "hanako@example.jp" and row["language"] == "ja"
    assert await booked(chosen) == 2
    assert await page.locator(".notice--success[role=status]").count() == 1
    assert await page.locator(".code").inner_text() == display_code(code)
    assert await page.locator(".qr svg").count() == 1
    facts = await page.locator(".facts").inner_text()
    assert "2027年6月19日（土）" in facts and "令和9年" in facts and "11:00–11:30" in facts
    assert "片町きらら" in facts and "カナザワ ハナコ" in facts

    assert await outbox.send_pending() == 1  # the confirmation, through a real SMTP server
    recipients, content = smtp.inbox.messages[-1]
    assert recipients == ["hanako@example.jp"]
    subject, body = mail_text(content)
    assert display_code(code) in subject
    manage_url = f"{get_settings().base_url}/bookings/{code}?token={token}"
    assert manage_url in body and "2027年6月19日" in body and "片町きらら" in body

    # The link in the email (its host is BASE_URL; the portal under test listens on another port).
    link = urlsplit(manage_url)
    await page.goto(f"{live_server}{link.path}?{link.query}")
    assert await page.locator(".notice--success").count() == 0
    await page.select_option("#booth", str(middle["session"]))
    await page.click("form.filters button[type=submit]")
    await page.wait_for_url(f"**booth={middle['session']}*")
    target = middle["slots"][5]
    await page.check(f"input[name=slot][value='{target['id']}']")
    await page.click("form[action*='/move'] button[type=submit]")
    await page.wait_for_url("**/bookings/*moved=1")
    row = await booking_row(code)
    assert (row["state"], row["slot"], row["session"], row["party_size"]) == (
        "confirmed",
        target["id"],
        middle["session"],
        2,
    )
    assert (await booked(chosen), await booked(target)) == (0, 2)
    assert await page.locator("#moved[role=status]").count() == 1
    facts = await page.locator(".facts").inner_text()
    assert "金沢駅西公民館" in facts and "2027年6月12日（土）" in facts and "12:30–13:00" in facts
    assert await outbox.send_pending() == 1
    assert "2027年6月12日" in mail_text(smtp.inbox.messages[-1][1])[1]

    await page.click(f"a[href^='/bookings/{code}/cancel']")
    await page.wait_for_url(f"**/bookings/{code}/cancel?token=*")
    assert display_code(code) in await page.locator(".facts").inner_text()
    assert (await booking_row(code))["state"] == "confirmed"  # nothing happens before the resident confirms
    await page.click("form.actions button[type=submit]")
    await page.wait_for_url(f"**/bookings/{code}?token=*")
    row = await booking_row(code)
    assert row["state"] == "cancelled" and await booked(target) == 0
    assert await page.locator("main .notice--error[role=status]").count() == 1
    assert await page.locator("form[action*='/move']").count() == 0
    assert await outbox.send_pending() == 1
    assert [to for to, _content in smtp.inbox.messages] == [["hanako@example.jp"]] * 3
    assert page.outside == []  # type: ignore[attr-defined]


async def test_a_resident_books_and_cancels_in_english(page, live_server):
    booth = await booths()
    near = booth["near"]
    await page.goto(live_server + "/")
    await page.click(".lang-switch a[lang=en]")
    await page.wait_for_function("document.documentElement.lang === 'en'")
    assert await page.locator("h1").inner_text() == "My Number Card application support booths"
    await page.fill("#q", "片町")
    await page.get_by_role("button", name="Search", exact=True).click()
    await page.wait_for_url("**/?q=*")
    assert "Booths nearest to 片町" in await page.locator("#results").inner_text()
    first = page.locator(".booth-card").first
    assert "km away" in await first.locator(".distance").inner_text()
    await first.get_by_role("link", name="Katamachi Kirara").click()
    await page.get_by_role("heading", name="Choose a time").wait_for()
    await page.locator("a.slot--open").first.click()
    await page.get_by_role("heading", name="Book a time").wait_for()
    await page.get_by_label("Name in katakana").fill("Jane Smith")
    await page.get_by_label("Phone", exact=True).fill("090-1111-2222")
    await page.get_by_role("button", name="Book", exact=True).click()
    await page.wait_for_url("**/bookings/*new=1")
    code = code_from(page.url)
    row = await booking_row(code)
    assert (row["state"], row["slot"], row["party_size"], row["language"]) == (
        "confirmed",
        near["slots"][0]["id"],
        1,
        "en",
    )
    assert row["phone"] == "09011112222" and await booked(near["slots"][0]) == 1
    assert "Your booking is confirmed." in await page.locator(".notice--success").inner_text()
    facts = await page.locator(".facts").inner_text()
    assert "Sat, 19 June 2027" in facts and "10:00–10:30" in facts and "Katamachi Kirara" in facts

    await page.get_by_role("link", name="Cancel this booking").click()
    await page.get_by_role("heading", name="Cancel this booking?").wait_for()
    await page.get_by_role("button", name="Yes, cancel the booking").click()
    await page.wait_for_url(f"**/bookings/{code}?token=*")
    assert "This booking is cancelled." in await page.locator("main").inner_text()
    assert (await booking_row(code))["state"] == "cancelled" and await booked(near["slots"][0]) == 0
    assert page.outside == []  # type: ignore[attr-defined]


async def test_a_resident_books_with_the_keyboard_alone(page, live_server):
    booth = await booths()
    near = booth["near"]
    await page.goto(live_server + "/")
    await tab_to(page, "#q")
    await page.keyboard.type("片町")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/?q=*")
    await tab_to(page, ".booth-card__title a")
    assert await page.evaluate("document.activeElement.textContent") == "片町きらら"
    assert await focus_is_visible(page)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"**/booths/{near['session']}")

    await tab_to(page, "a.slot--open")
    await page.keyboard.press("Tab")  # one time further, then back again
    await tab_to(page, "a.slot--open", backwards=True)
    assert await focus_is_visible(page), "the focused slot link shows no focus indicator"
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"**/book?slot={near['slots'][0]['id']}")

    await tab_to(page, "input[name=slot]:checked")
    await page.keyboard.press("ArrowDown")  # the next time instead
    assert await page.evaluate("document.activeElement.value") == str(near["slots"][1]["id"])
    await tab_to(page, "#name_kana")
    await page.keyboard.type("のと たろう")
    await tab_to(page, "#email")
    await page.keyboard.type("taro@example.jp")
    await tab_to(page, "#party_size")
    await page.keyboard.press("ArrowDown")
    assert await page.evaluate("document.activeElement.value") == "2"
    await tab_to(page, "input[name=photo_id]")
    await page.keyboard.press("Space")
    await tab_to(page, "button[type=submit][data-once]")
    assert await focus_is_visible(page), "the focused submit button shows no focus indicator"
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/bookings/*new=1")

    row = await booking_row(code_from(page.url))
    assert (row["slot"], row["party_size"], row["name_kana"], row["email"]) == (
        near["slots"][1]["id"],
        2,
        "ノト タロウ",
        "taro@example.jp",
    )
    assert row["readiness"] and json.loads(row["readiness"])["photo_id"] is True
    assert await page.locator(".code").count() == 1
    assert page.outside == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("language", ["ja", "en", "ja-easy", "zh-hans", "ko", "vi"])
async def test_public_pages_are_accessible_and_fit_a_small_phone(page, live_server, language):
    booth = await booths()
    near = booth["near"]
    last = near["slots"][-1]
    await Slot.update({Slot.booked: last["capacity"]}).where(Slot.id == last["id"])  # a full time is shown too
    await page.set_viewport_size({"width": 360, "height": 740})
    await page.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    found: dict[str, list] = {}
    overflow: dict[str, int] = {}
    small: dict[str, list] = {}

    async def check(name: str, targets: str = "") -> None:
        assert await page.locator("iframe").count() == 0  # axe sees everything: the map is part of the page
        found[name] = await violations(page)
        width = await page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            overflow[name] = width
        if targets:
            sizes = await page.eval_on_selector_all(
                targets,
                """nodes => nodes.map(n => {
                const r = n.getBoundingClientRect();
                return [n.outerHTML.slice(0, 60), Math.round(r.width), Math.round(r.height)]; })""",
            )
            assert sizes, f"{name}: nothing matches {targets}"
            if too_small := [s for s in sizes if s[1] < 44 or s[2] < 44]:
                small[name] = too_small

    await page.goto(live_server + "/?q=片町")
    await page.locator("#booth-map").scroll_into_view_if_needed()  # the map is drawn once it comes into view
    await page.wait_for_selector("#booth-map[data-markers='3'] .booth-pin")
    await check("home (results)", "form.search button[type=submit], .booth-card__title a, .lang-switch a, #near-me")
    await page.goto(live_server + "/?q=存在しない町")
    assert await page.locator("#q-error").count() == 1
    await check("home (no match)", "form.search button[type=submit]")
    await page.goto(live_server + f"/booths/{near['session']}")
    assert await page.locator(".slot--full").count() == 1
    await check("booth", "a.slot--open, .slot--full")
    await page.goto(live_server + f"/booths/{near['session']}/book?slot={near['slots'][0]['id']}")
    fields = ".booking-form input:not([type=hidden]):not([type=radio]):not([type=checkbox]), .booking-form select"
    await check("booking form", f"label.slot-choice, label.checkbox, {fields}, form.booking-form button[type=submit]")
    boxes = await page.eval_on_selector_all(
        ".booking-form input[type=checkbox], .booking-form input[type=radio]",
        "inputs => inputs.map(i => Math.round(i.getBoundingClientRect().width))",
    )
    assert set(boxes) == {20}, boxes  # a label that wraps does not squeeze its box
    await page.click("form.booking-form button[type=submit]")  # neither a name nor a way to reach the resident
    await page.wait_for_selector("#form-errors")
    await page.wait_for_load_state("load")  # submit-once.js (deferred) moves the focus to the error summary
    assert await page.evaluate("document.activeElement.id") == "form-errors"
    targets = await page.eval_on_selector_all("#form-errors a", "links => links.map(a => a.getAttribute('href'))")
    assert targets == ["#name_kana", "#phone"]  # every error links to the field to fix
    assert await page.locator("#phone[aria-invalid=true], #email[aria-invalid=true]").count() == 2
    await check("booking form (errors)", "form.booking-form button[type=submit]")
    await page.fill("#email", "not-an-address")
    await page.click("form.booking-form button[type=submit]")
    await page.wait_for_selector("#email-error")
    assert await page.get_attribute("#email", "aria-invalid") == "true"
    assert await page.get_attribute("#email", "aria-describedby") == "email-error"
    await check("booking form (other errors)")
    await page.fill("#name_kana", "いしかわ")
    await page.fill("#email", "ishikawa@example.jp")
    await page.click("form.booking-form button[type=submit]")
    await page.wait_for_url("**/bookings/*new=1")
    code, token = code_from(page.url), token_from(page.url)
    await check(
        "confirmation",
        ".actions .button, form[action*='/move'] button[type=submit], form[action*='/move'] label.slot-choice",
    )
    await page.goto(live_server + f"/bookings/{code}?token={token}&booth={booth['far']['session']}")
    await check("manage (another booth)", "form.filters button[type=submit]")
    await page.goto(live_server + f"/bookings/{code}/cancel?token={token}")
    await check("cancel confirmation", "form.actions .button")
    await page.click("form.actions button[type=submit]")
    await page.wait_for_url(f"**/bookings/{code}?token=*")
    await check("cancelled")
    await page.goto(live_server + "/bookings/find")
    await check("find booking", "form.form button[type=submit]")
    await page.click("form.form button[type=submit]")
    await page.wait_for_selector("[role=alert]")
    await check("find booking (errors)", "form.form button[type=submit]")

    failures = {name: v for name, v in found.items() if v}
    assert failures == {}, json.dumps(failures, ensure_ascii=False, indent=1)
    assert overflow == {}, overflow
    assert small == {}, json.dumps(small, ensure_ascii=False, indent=1)
    assert page.outside == []  # type: ignore[attr-defined]
