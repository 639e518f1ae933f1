"""The message catalogs: complete in Japanese, up to date with the code, and switchable per request."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from core.i18n import CATALOG_DIRS, LOCALES, gettext, normalize_locale, plain_ruby, using_locale

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "core" / "locale"


def test_every_message_has_a_japanese_translation():
    catalog = read_po((LOCALE / "ja" / "LC_MESSAGES" / "messages.po").open("rb"), locale="ja")
    untranslated = [m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert untranslated == []


def test_catalog_template_is_up_to_date_with_the_code(tmp_path):
    """A message added to the code but not extracted (run `make messages`) fails here."""
    out = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "_",
            "-k",
            "gettext",
            "-k",
            "ngettext:1,2",
            "--no-location",
            "--ignore-dirs=.* _* .venv node_modules tests var data static bench scripts",
            "-o",
            str(out),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    fresh = {m.id for m in read_po(out.open("rb")) if m.id}
    committed = {m.id for m in read_po((LOCALE / "messages.pot").open("rb")) if m.id}
    assert fresh - committed == set(), "run `make messages` and translate the new entries"
    ja = {m.id for m in read_po((LOCALE / "ja" / "LC_MESSAGES" / "messages.po").open("rb"), locale="ja") if m.id}
    assert fresh - ja == set()


def test_the_same_message_in_both_languages():
    with using_locale("ja"):
        assert gettext("Sign in") == "ログイン"
    with using_locale("en"):
        assert gettext("Sign in") == "Sign in"


def test_locale_codes_are_normalised():
    assert normalize_locale("en-US") == "en"
    assert normalize_locale("en_GB.UTF-8") == "en"
    assert normalize_locale("fr") == "ja"
    assert normalize_locale(None) == "ja"
    for tag in ("zh-CN", "zh-Hans", "zh", "zh_Hans_CN", "zh-hans-SG"):
        assert normalize_locale(tag) == "zh-hans", tag
    assert normalize_locale("zh-TW") == "ja"  # traditional Chinese readers are not sent to simplified Chinese
    assert normalize_locale("ko-KR") == "ko"
    assert normalize_locale("vi-VN") == "vi"
    assert normalize_locale("ja-easy") == "ja-easy"


# What residents read: their pages, the API's errors, the emails, the booking slip, the flyers and posters.
RESIDENT_SOURCES = [
    "portal/templates/base.html",
    "portal/templates/error.html",
    "portal/templates/public",
    "portal/templates/flyers",
    "portal/public",
    "portal/api",
    "portal/documents/slip.py",
    "portal/documents/flyers.py",
    "portal/documents/calendar_entry.py",
    "booking/notices.py",
    "counter/notify.py",
    "booking/bookings.py",
    "booking/booths.py",
    "booking/waitlist.py",
    "booking/booth_waitlist.py",
    "counter/pickups.py",
    "counter/pickup_slots.py",
    "counter/pickup_notices.py",
    "counter/pickup_waitlist.py",
    "portal/documents/pickup_calendar.py",
    "portal/documents/pickup_slip.py",
    "core/errors.py",
    "portal/web/errors.py",
    "portal/web/throttle.py",
]
RESIDENT_LANGUAGES = [code for code in LOCALES if code not in ("ja", "en")]  # en: the message ids are English


def catalog(code: str):
    directory = CATALOG_DIRS.get(code, code)
    return read_po((LOCALE / directory / "LC_MESSAGES" / "messages.po").open("rb"), locale=directory)


@pytest.fixture(scope="module")
def resident_messages(tmp_path_factory) -> set:
    """Every message id found in the residents' templates and modules (templates anywhere, not only under
    portal/templates, so the extraction reads them all)."""
    config = tmp_path_factory.mktemp("babel") / "babel.cfg"
    config.write_text("[python: **.py]\n[jinja2: **.html]\nextensions=jinja2.ext.i18n\n")
    out = config.parent / "residents.pot"
    keywords = ["-k", "N_", "-k", "_", "-k", "gettext", "-k", "ngettext:1,2"]
    command = [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", str(config), *keywords]
    subprocess.run([*command, "--no-location", "-o", str(out), *RESIDENT_SOURCES], cwd=ROOT, check=True)
    return {m.id for m in read_po(out.open("rb")) if m.id}


@pytest.mark.parametrize("code", RESIDENT_LANGUAGES)
def test_every_message_residents_read_is_translated(code, resident_messages):
    entries = {m.id: m for m in catalog(code) if m.id}
    missing = sorted(
        str(message)
        for message in resident_messages
        if message not in entries
        or not (all(entries[message].string) if isinstance(message, tuple) else entries[message].string)
        or entries[message].fuzzy
    )
    assert missing == [], f"{len(missing)} residents' messages have no {code} translation"


PLACEHOLDER = re.compile(r"\{[a-z_]*\}|%\([a-z_]+\)[sd]")


@pytest.mark.parametrize("code", RESIDENT_LANGUAGES)
def test_translations_keep_every_placeholder_and_only_furigana_markup(code):
    for message in catalog(code):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if not text:
                continue
            assert sorted(set(PLACEHOLDER.findall(text))) == sorted(set(PLACEHOLDER.findall(ids[-1]))), message.id
            tags = set(re.findall(r"</?[a-z]+", text)) - set(re.findall(r"</?[a-z]+", ids[0]))
            assert tags <= ({"<ruby", "<rt", "</rt", "</ruby"} if code == "ja-easy" else set()), (message.id, text)


def test_plain_japanese_has_furigana_in_pages_and_in_brackets_in_plain_text():
    assert plain_ruby("<ruby>予約<rt>よやく</rt></ruby>する") == "予約（よやく）する"
    with using_locale("ja-easy"):
        assert gettext("Your booking is confirmed.") == "予約（よやく）が 決（き）まりました。"
    assert "<ruby>予約<rt>よやく</rt></ruby>" in catalog("ja-easy")._messages["Your booking is confirmed."].string


def test_every_language_reads_in_its_own_words():
    answers = {}
    for code in LOCALES:
        with using_locale(code):
            answers[code] = gettext("Book")
    assert len(set(answers.values())) == len(LOCALES), answers


def messages_outside_text() -> set[str]:
    """Messages the templates put where markup cannot go: attributes, <option> (and the map's script); <title>
    shows furigana in brackets (base.html's plain_text filter)."""
    found: set[str] = set()
    for template in (ROOT / "portal" / "templates").rglob("*.html"):
        source = template.read_text(encoding="utf-8")
        for pattern in (
            r"=\"[^\"]*\{\{ ?_\((['\"])(.+?)\1",
            r"<option[^>]*>\s*\{\{ ?_\((['\"])(.+?)\1",
        ):
            found.update(match[1] for match in re.findall(pattern, source))
    return found


def test_plain_japanese_has_furigana_on_every_kanji_but_never_inside_attributes():
    outside_text = messages_outside_text()
    assert "Zoom in" in outside_text and "Any day" in outside_text
    for message in catalog("ja-easy"):
        if not message.id or not message.string:
            continue
        text = message.string[0] if isinstance(message.string, tuple) else message.string
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        if msgid in outside_text:
            assert "<ruby>" not in text, msgid
        # kanji outside <ruby> only where the message itself quotes them (e.g. the example town 片町)
        bare = re.sub(r"<ruby>.*?</ruby>", "", text)
        assert [k for k in re.findall(r"[一-龯々]+", bare) if k not in msgid] == [], (msgid, text)
