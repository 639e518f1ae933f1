"""A confirmation step for what cannot be undone (submit, re-plan, remove, approve): the first POST shows what will
happen and asks again; only a POST with ``confirmed=yes`` acts. It works without JavaScript."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request
from litestar.response import Template

from portal.web import forms
from portal.web.templating import page

CONFIRMED = "confirmed"
_NOT_CARRIED = {"_csrf_token", CONFIRMED}


def confirmed(form: Mapping[str, Any]) -> bool:
    """Whether the person has confirmed the step on the confirmation page."""
    return forms.text(form, CONFIRMED) == "yes"


def confirmation(
    request: Request,
    *,
    title: str,
    consequences: list[str],
    action: str,
    confirm_label: str,
    back: str,
    form: Any = None,
) -> Template:
    """The page that asks to confirm ``action``; the fields of ``form`` (e.g. a comment) are sent on unchanged."""
    carried: list[tuple[str, str]] = []
    if form is not None:
        items = form.multi_items() if hasattr(form, "multi_items") else form.items()
        carried = [(name, value) for name, value in items if name not in _NOT_CARRIED and isinstance(value, str)]
    return page(
        request,
        "staff/confirm.html",
        title=title,
        consequences=consequences,
        action=action,
        confirm_label=confirm_label,
        back=back,
        carried=carried,
    )
