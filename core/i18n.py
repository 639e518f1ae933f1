"""Message catalogs (Babel/gettext) and the current request's language.

Message ids are English; Japanese is the default language.  The active locale lives in a
context variable so that domain code, templates and the CLI all translate through the same
catalogs without passing a request around.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES: tuple[str, ...] = ("ja", "en")
DEFAULT_LOCALE = "ja"
LOCALE_DIR = Path(__file__).parent / "locale"

_current_locale: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


def normalize_locale(value: str | None) -> str:
    """Return a supported locale code for a value such as ``en-US`` or ``ja``; default otherwise."""
    if not value:
        return DEFAULT_LOCALE
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LOCALES else DEFAULT_LOCALE


def get_locale() -> str:
    """The locale of the current request or command."""
    return _current_locale.get()


def set_locale(code: str | None) -> None:
    """Set the locale for the current context (a request, a CLI command)."""
    _current_locale.set(normalize_locale(code))


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
    po_path = LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def load_catalogs() -> None:
    """Read every locale's catalog now (at start-up), so that no request waits for one: the first translated
    answer of a worker read and compiled its ``messages.po`` (a rush's first refusals, in every worker at once)."""
    for code in LOCALES:
        translations(code)


def gettext(message: str) -> str:
    """Translate a message into the current locale."""
    return translations(get_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a plural form into the current locale."""
    return translations(get_locale()).ngettext(singular, plural, n)


_ = gettext


def N_(message: str) -> str:
    """Mark a message for extraction without translating it now (translate at display time)."""
    return message
