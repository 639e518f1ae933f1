"""The message catalogs: complete in Japanese, up to date with the code, and switchable per request."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from core.i18n import gettext, normalize_locale, using_locale

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
