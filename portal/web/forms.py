"""Small helpers to read HTML form fields (checkboxes, numbers, dates) into typed values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


def text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def checkbox(form: Mapping[str, Any], name: str) -> bool:
    return text(form, name) in {"on", "1", "true", "yes"}


def optional_int(form: Mapping[str, Any], name: str, errors: dict[str, str], message: str) -> int | None:
    value = text(form, name)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        errors[name] = message
        return None


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
