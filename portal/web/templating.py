"""Jinja2 environment with the gettext catalogs of core.i18n, and the page helper every controller uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import babel.dates
import babel.numbers
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request
from litestar.response import Template
from markupsafe import Markup

from core.clock import CITY_TIME_ZONE
from core.i18n import (
    LANGUAGE_NAMES,
    LOCALES,
    babel_locale,
    get_locale,
    html_lang,
    is_japanese,
    markup_gettext,
    markup_ngettext,
    plain_ruby,
)
from core.users import role_label
from core.wareki import wareki
from portal.web.flash import take_flash
from portal.web.labels import (
    action_label,
    booking_state_label,
    change_label,
    change_lines,
    field_label,
    language_name,
    object_type_label,
    outbox_kind_label,
    solve_label,
    version_state_label,
    weekday_label,
)
from portal.web.urls import directions_url, geo_url, tel_url, venue_url
from venues.facility_cells import is_web_url
from venues.facility_list import kind_label

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


def format_date(value: Any, format: str = "long") -> str:
    """A date in the current locale (e.g. 2026年11月24日 / November 24, 2026)."""
    if value is None or value == "":
        return ""
    return babel.dates.format_date(value, format=format, locale=babel_locale())


def format_datetime(value: Any, format: str = "medium") -> str:
    """A timestamp in Japan time, in the current locale."""
    if value is None or value == "":
        return ""
    return babel.dates.format_datetime(
        value, format=format, tzinfo=babel.dates.get_timezone(CITY_TIME_ZONE), locale=babel_locale()
    )


# A date with its weekday, the way each language writes it.
DAY_PATTERNS = {
    "ja": "y年M月d日（E）",
    "ja-easy": "y年M月d日（E）",
    "zh-hans": "y年M月d日 EEE",
    "ko": "y년 M월 d일 (E)",
    "vi": "EEEE, d MMMM, y",
}


def format_day(value: Any) -> str:
    """A date with its weekday in the reader's language: 2027年6月5日（土） / Sat, 5 June 2027 / 2027年6月5日 周六 /
    2027년 6월 5일 (토) / Th 7, 5 tháng 6, 2027."""
    if value is None or value == "":
        return ""
    return babel.dates.format_date(value, format=DAY_PATTERNS.get(get_locale(), "EEE, d MMMM y"), locale=babel_locale())


def format_number(value: Any, format: str | None = None) -> str:
    """A number with the reader's grouping and decimal signs, e.g. ``format="0.0"``: 1.5 / 1,5 (Vietnamese)."""
    if value is None or value == "":
        return ""
    return babel.numbers.format_decimal(value, format=format, locale=babel_locale())


def build_environment(*, data_credit: str | None = None) -> Environment:
    """The Jinja environment: autoescaping, i18n extension bound to core.i18n, and our filters and tests;
    ``data_credit`` is the pages' footer credit (DATA_CREDIT; None: the map tiles' default credit)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext=markup_gettext, ngettext=markup_ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        current_locale=get_locale,
        locales=LOCALES,
        language_names=LANGUAGE_NAMES,
        html_lang=html_lang,
        is_japanese=is_japanese,
        kind_label=kind_label,
        role_label=role_label,
        action_label=action_label,
        object_type_label=object_type_label,
        venue_url=venue_url,
        directions_url=directions_url,
        geo_url=geo_url,
        tel_url=tel_url,
        version_state_label=version_state_label,
        change_label=change_label,
        change_lines=change_lines,
        outbox_kind_label=outbox_kind_label,
        solve_label=solve_label,
        weekday_label=weekday_label,
        booking_state_label=booking_state_label,
        language_name=language_name,
        data_credit=data_credit,
    )
    env.filters.update(
        date=format_date,
        datetime=format_datetime,
        field_label=field_label,
        day=format_day,
        wareki=wareki,
        number=format_number,
        plain_text=lambda value: Markup(plain_ruby(str(value))),  # <title>: furigana in brackets
        hm=lambda value: value.strftime("%H:%M") if value else "",
    )
    env.tests.update(web_url=is_web_url)  # {% if venue.url is web_url %}: only http(s) addresses become links
    return env


def page(request: Request, template_name: str, status_code: int = 200, **context: Any) -> Template:
    """Render a page with the signed-in actor (if any) in its context."""
    context.setdefault("actor", request.state.get("actor"))
    context.setdefault("flash", take_flash(request))
    return Template(template_name=template_name, context=context, status_code=status_code)
