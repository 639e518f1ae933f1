"""Small helpers to read HTML form fields (checkboxes, numbers, dates) into typed values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from core.db import MAX_ID


def text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def checkbox(form: Mapping[str, Any], name: str) -> bool:
    return text(form, name) in {"on", "1", "true", "yes"}


def whole_number(form: Mapping[str, Any], name: str, most: int = MAX_ID) -> int | None:
    """A number of ASCII digits from 0 to ``most`` (a slot's id, a party's size); None for anything else. Not
    ``str.isdigit``: it takes "²" and "١", which ``int`` then refuses or reads as another number."""
    value = text(form, name)
    if not value.isascii() or not value.isdecimal() or len(value) > len(str(most)):
        return None
    number = int(value)
    return number if number <= most else None


def optional_int(form: Mapping[str, Any], name: str, errors: dict[str, str], message: str) -> int | None:
    value = text(form, name)
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        errors[name] = message
        return None
    if not -MAX_ID <= number <= MAX_ID:  # more than the database holds: no row has it
        errors[name] = message
        return None
    return number


def required_float(form: Mapping[str, Any], name: str, errors: dict[str, str], message: str) -> float | None:
    """A number that must be given (a decimal comma is accepted); empty or unreadable puts ``message`` in errors."""
    value = text(form, name).replace("，", ".").replace(",", ".")
    if not value:
        errors[name] = message
        return None
    try:
        return float(value)
    except ValueError:
        errors[name] = message
        return None


def optional_date(form: Mapping[str, Any], name: str, errors: dict[str, str], message: str) -> dt.date | None:
    value = text(form, name)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = message
        return None
