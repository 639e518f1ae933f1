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


def test_the_lang_cookie_is_found_among_others_and_only_under_its_own_name():
    from portal.web.locale import locale_of

    def chosen(cookie: bytes, accept: bytes = b"") -> str:
        return locale_of([(b"host", b"x"), (b"cookie", cookie), (b"accept-language", accept)])

    assert chosen(b"outreach_csrf=abc; lang=ko; other=1") == "ko"
    assert chosen(b'lang="vi"') == "vi"
    assert chosen(b"a=1;lang=ja-easy") == "ja-easy"
    assert chosen(b"xlang=en; mylang=ko") == "ja"  # other cookies whose names end in "lang"
    assert chosen(b"xlang=en", b"en-US,en;q=0.9") == "en"
    assert chosen(b"lang=fr", b"vi-VN") == "vi"  # a value the portal does not offer: the browser's language decides
    assert chosen(b"lang=EN") == "ja"
    assert chosen(b"lang=en; lang=ko") == "ko"  # the last one, as the standard cookie parser takes it
    assert locale_of([]) == "ja"


def test_what_accept_language_chose_is_remembered_within_a_bound():
    from portal.web import locale

    for n in range(3 * locale._MEMO_SIZE):  # a client sending a new value each time
        assert locale.locale_of([(b"accept-language", f"x-{n}, ko;q=0.{n % 9 + 1}".encode())]) == "ko"
    assert len(locale._accepted_memo) <= locale._MEMO_SIZE
    long_value = b"en;q=0.9, " + b"x, " * 1000
    assert locale.locale_of([(b"accept-language", long_value)]) == "en"
    assert long_value not in locale._accepted_memo


async def test_an_unknown_address_is_answered_in_the_visitors_language(client):
    """The 404 of a path no route has is made outside every route: the language is chosen before it."""
    japanese = await client.get("/no-such-page")
    english = await client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert japanese.status_code == english.status_code == 404
    assert "お探しのページはありません" in japanese.text
    assert "does not exist" in english.text and "お探しのページ" not in english.text
    assert BeautifulSoup(english.text, "html.parser").html["lang"] == "en"
