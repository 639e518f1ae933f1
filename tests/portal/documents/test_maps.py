"""The venue map frame: venue text from imported files cannot break out of folium's JavaScript template literals."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from core.tables import Role
from portal.documents.maps import template_literal_text
from tests.venues.factories import make_venue

HOSTILE_NAME = "${alert(document.domain)}`+alert(1)+`公民館\\`"
TEMPLATE_LITERAL = re.compile(r"`((?:[^`\\]|\\.)*)`", re.DOTALL)


def template_literals(page: str) -> list[str]:
    """The body of every JavaScript template literal in the page's inline scripts."""
    scripts = [tag.string or "" for tag in BeautifulSoup(page, "html.parser").find_all("script") if not tag.get("src")]
    return [body for script in scripts for body in TEMPLATE_LITERAL.findall(script)]


def test_text_for_a_template_literal_has_no_character_that_means_something_there():
    escaped = template_literal_text("${x}`\\<b>&\"'")
    assert not set("$`\\<>\"'") & set(escaped)
    assert BeautifulSoup(escaped, "html.parser").get_text() == "${x}`\\<b>&\"'"


async def test_hostile_venue_text_stays_text_in_popup_and_tooltip(client, signed_in):
    await signed_in(Role.contractor_staff)
    await make_venue(venue_id="map`${1}", name=HOSTILE_NAME, address="金沢市${location}1-1")
    frame = await client.get("/staff/venues/map.html")
    assert frame.status_code == 200
    literals = template_literals(frame.text)
    assert literals and all("${" not in body for body in literals), literals
    popup = next(BeautifulSoup(body, "html.parser") for body in literals if "<strong>" in body)
    assert popup.strong.get_text() == HOSTILE_NAME
    assert "金沢市${location}1-1" in popup.get_text()
    assert popup.a["href"] == "/staff/venues/v/map%60%24%7B1%7D"
    tooltip = next(
        BeautifulSoup(body, "html.parser") for body in literals if "<strong>" not in body and "公民館" in body
    )
    assert tooltip.get_text(strip=True) == HOSTILE_NAME


async def test_only_the_map_frame_may_run_inline_script(client, signed_in):
    await signed_in(Role.city_reviewer)
    for path in ("/", "/staff/login", "/staff/venues", "/staff/venues/map", "/staff/venues/v/NOPE"):
        csp = (await client.get(path)).headers["content-security-policy"]
        script_src = next(part.strip() for part in csp.split(";") if part.strip().startswith("script-src"))
        assert script_src == "script-src 'self'", path
    frame_csp = (await client.get("/staff/venues/map.html")).headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline'" in frame_csp and "http" not in frame_csp.split("script-src")[1]
