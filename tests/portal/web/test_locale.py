"""Japanese first, English on request: the language switch and Accept-Language."""

from __future__ import annotations

from bs4 import BeautifulSoup


def heading(response) -> str:
    return BeautifulSoup(response.text, "html.parser").find("h1").get_text(strip=True)


async def test_japanese_by_default_and_english_after_the_switch(client):
    assert heading(await client.get("/staff/login")) == "職員ログイン"
    switched = await client.get("/lang/en?next=/staff/login", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/staff/login"
    assert "lang=en" in switched.headers["set-cookie"]
    page = await client.get("/staff/login")
    assert heading(page) == "Staff sign-in"
    assert BeautifulSoup(page.text, "html.parser").html["lang"] == "en"
    await client.get("/lang/ja?next=/staff/login")
    assert heading(await client.get("/staff/login")) == "職員ログイン"


async def test_browser_language_is_followed_until_the_visitor_chooses(client):
    assert heading(await client.get("/staff/login", headers={"Accept-Language": "en-US,en;q=0.9"})) == "Staff sign-in"
    assert heading(await client.get("/staff/login", headers={"Accept-Language": "fr-FR,ja;q=0.5"})) == "職員ログイン"


async def test_language_switch_never_redirects_off_site(client):
    response = await client.get("/lang/en?next=https://evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/"
