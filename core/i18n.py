"""Message catalogs (Babel/gettext) and the current request's language.

Message ids are English; Japanese is the default language.  The active locale lives in a
context variable so that domain code, templates and the CLI all translate through the same
catalogs without passing a request around.
"""

from __future__ import annotations

import gettext as _gettext
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES: tuple[str, ...] = ("ja", "en", "ja-easy", "zh-hans", "ko", "vi")
DEFAULT_LOCALE = "ja"
LOCALE_DIR = Path(__file__).parent / "locale"

# Each language's Babel locale (dates, numbers, language names), its catalog's directory, the value of
# ``<html lang>`` and its own name in the language chooser.  やさしい日本語 formats like Japanese.
BABEL_LOCALES: dict[str, str] = {
    "ja": "ja",
    "en": "en",
    "ja-easy": "ja",
    "zh-hans": "zh_Hans",
    "ko": "ko",
    "vi": "vi",
}
CATALOG_DIRS: dict[str, str] = {"ja-easy": "ja_easy", "zh-hans": "zh_Hans"}
# Where a message has no translation yet (the back office's, not residents'): やさしい日本語 shows the Japanese.
FALLBACKS: dict[str, str] = {"ja-easy": "ja"}
HTML_LANGS: dict[str, str] = {"ja-easy": "ja", "zh-hans": "zh-Hans"}
LANGUAGE_NAMES: dict[str, str] = {
    "ja": "日本語",
    "en": "English",
    "ja-easy": "やさしい日本語",
    "zh-hans": "简体中文",
    "ko": "한국어",
    "vi": "Tiếng Việt",
}
# Accept-Language tags (lower case, before or with the region) that name a supported language.  やさしい日本語 is
# never chosen by a browser: a resident picks it in the header.
_ACCEPTED: dict[str, str] = {
    "ja": "ja",
    "en": "en",
    "zh": "zh-hans",
    "zh-hans": "zh-hans",
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
    "zh-my": "zh-hans",
    "ko": "ko",
    "vi": "vi",
}
_TRADITIONAL_CHINESE = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")
_RUBY = re.compile(r"<ruby>(.*?)<rt>(.*?)</rt></ruby>", re.S)

_current_locale: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


def accepted_locale(tag: str) -> str | None:
    """The supported language of one Accept-Language tag (``zh-CN`` → zh-hans, ``ko-KR`` → ko), or None.

    Traditional Chinese (zh-TW, zh-Hant) is not offered, so it is not taken for simplified Chinese."""
    tag = tag.strip().lower().replace("_", "-").split(".")[0]
    if tag in _ACCEPTED:
        return _ACCEPTED[tag]
    if tag.startswith(_TRADITIONAL_CHINESE):
        return None
    for prefix in (tag.rsplit("-", 1)[0], tag.split("-")[0]):
        if prefix in _ACCEPTED:
            return _ACCEPTED[prefix]
    return None


def normalize_locale(value: str | None) -> str:
    """Return a supported locale code for a value such as ``en-US``, ``zh-CN`` or ``ja-easy``; default otherwise."""
    if not value:
        return DEFAULT_LOCALE
    code = value.strip().lower().replace("_", "-")
    if code in LOCALES:
        return code
    return accepted_locale(code) or DEFAULT_LOCALE


def babel_locale(code: str | None = None) -> str:
    """The Babel locale that formats dates and numbers for a language (the current one by default)."""
    return BABEL_LOCALES.get(code or get_locale(), DEFAULT_LOCALE)


def html_lang(code: str | None = None) -> str:
    """The BCP 47 tag for ``<html lang>`` (``zh-Hans``; やさしい日本語 is ``ja``)."""
    code = code or get_locale()
    return HTML_LANGS.get(code, code)


def is_japanese(code: str | None = None) -> bool:
    """Whether a language is Japanese (plain or やさしい日本語): Japanese punctuation and date styles apply."""
    return (code or get_locale()) in ("ja", "ja-easy")


def get_locale() -> str:
    """The locale of the current request or command."""
    return _current_locale.get()


def set_locale(code: str | None) -> None:
    """Set the locale for the current context (a request, a CLI command)."""
    _current_locale.set(normalize_locale(code))


def enter_locale(code: str) -> Token[str]:
    """Make ``code`` (one of LOCALES) the locale of the current context until ``leave_locale(token)``: what
    ``using_locale`` does, without a generator per call (the portal's middleware runs it for every request)."""
    return _current_locale.set(code)


def leave_locale(token: Token[str]) -> None:
    """Restore the locale that was current before ``enter_locale`` returned ``token``."""
    _current_locale.reset(token)


@contextmanager
def using_locale(code: str | None) -> Iterator[None]:
    """Temporarily switch the locale (e.g. to render an email in the recipient's language)."""
    token = _current_locale.set(normalize_locale(code))
    try:
        yield
    finally:
        _current_locale.reset(token)


@cache
def translations(code: str) -> _gettext.NullTranslations:
    """Compiled catalog for a locale, read from its ``messages.po`` once per process."""
    po_path = LOCALE_DIR / CATALOG_DIRS.get(code, code) / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=BABEL_LOCALES.get(code, code))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # untranslated entries are left out, so the fallback answers for them
    buffer.seek(0)
    compiled = _gettext.GNUTranslations(buffer)
    if code in FALLBACKS:
        compiled.add_fallback(translations(FALLBACKS[code]))
    return compiled


def load_catalogs() -> None:
    """Read every locale's catalog now (at start-up), so that no request waits for one: the first translated
    answer of a worker read and compiled its ``messages.po`` (a rush's first refusals, in every worker at once)."""
    for code in LOCALES:
        translations(code)


def plain_ruby(text: str) -> str:
    """やさしい日本語's furigana written in text: ``<ruby>漢字<rt>かんじ</rt></ruby>`` → ``漢字（かんじ）``."""
    return _RUBY.sub(r"\1（\2）", text) if "<ruby>" in text else text


def markup_gettext(message: str) -> str:
    """Translate for an autoescaping template: やさしい日本語's ``<ruby>`` furigana is kept as markup (the template
    engine marks translations safe and escapes every value formatted into them)."""
    return translations(get_locale()).gettext(message)


def markup_ngettext(singular: str, plural: str, n: int) -> str:
    """The plural form of :func:`markup_gettext`."""
    return translations(get_locale()).ngettext(singular, plural, n)


def gettext(message: str) -> str:
    """Translate a message into the current locale, as plain text (furigana in brackets)."""
    return plain_ruby(translations(get_locale()).gettext(message))


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a plural form into the current locale, as plain text."""
    return plain_ruby(translations(get_locale()).ngettext(singular, plural, n))


_ = gettext


def N_(message: str) -> str:
    """Mark a message for extraction without translating it now (translate at display time)."""
    return message
