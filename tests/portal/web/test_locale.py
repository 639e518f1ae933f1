"""Japanese first, five other languages on request: the language switch and Accept-Language."""

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


async def test_browser_languages_map_to_the_six_languages(client):
    def lang(response) -> str:
        return BeautifulSoup(response.text, "html.parser").html["lang"]

    assert lang(await client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})) == "zh-Hans"
    assert lang(await client.get("/", headers={"Accept-Language": "ko-KR,ko;q=0.9"})) == "ko"
    assert lang(await client.get("/", headers={"Accept-Language": "vi-VN"})) == "vi"
    assert lang(await client.get("/", headers={"Accept-Language": "fr, en;q=0.5, ko;q=0.8"})) == "ko"
    assert lang(await client.get("/", headers={"Accept-Language": "zh-TW, en;q=0.5"})) == "en"


async def test_a_language_code_is_taken_in_any_case(client):
    await client.get("/lang/zh-Hans?next=/")
    assert BeautifulSoup((await client.get("/")).text, "html.parser").html["lang"] == "zh-Hans"


async def test_the_header_offers_all_six_languages_each_in_its_own_name(client):
    await client.get("/lang/ja-easy?next=/")
    soup = BeautifulSoup((await client.get("/")).text, "html.parser")
    links = soup.select("nav.lang-switch a")
    assert [a.get_text(strip=True) for a in links] == [
        "日本語",
        "English",
        "やさしい日本語",
        "简体中文",
        "한국어",
        "Tiếng Việt",
    ]
    assert [a["lang"] for a in links] == ["ja", "en", "ja", "zh-Hans", "ko", "vi"]
    assert [a.get_text(strip=True) for a in links if a.get("aria-current")] == ["やさしい日本語"]
    assert soup.html["lang"] == "ja"


async def test_back_office_pages_still_work_in_the_residents_languages(client):
    """Staff read Japanese or English; in the other languages the back office's words fall back (やさしい日本語 to
    Japanese, the others to English) rather than failing."""
    expected = {"ja-easy": "職員の ログイン", "zh-hans": "职员登录", "ko": "직원 로그인", "vi": "Đăng nhập nhân viên"}
    for code, title in expected.items():  # (Beautiful Soup leaves furigana, <rt>, out of the text)
        await client.get(f"/lang/{code}?next=/staff/login")
        response = await client.get("/staff/login")
        assert response.status_code == 200 and heading(response) == title, code
