"""The one syntax of a month's quota override, ``YYYY-MM:weekday=N,holiday=N`` (``outreach plan --month`` and the
new-plan form, one entry a line), and its parser. The parser also reads the spaces the form used to show
(``2027-08 weekday=4 holiday=6``), so that nobody who learnt that is refused."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NoReturn

from core.errors import ValidationFailed
from core.i18n import gettext as _

SYNTAX = "YYYY-MM:weekday=N,holiday=N"
EXAMPLE = "2027-08:weekday=4,holiday=6"
QUOTA_KEYS = ("weekday", "holiday")

_ENTRY = re.compile(r"^(\d{4})-(\d{2})(?:\s*:\s*|\s+)(\S.*)$")
_NUMBER = re.compile(r"^\d{1,3}$")


def _refuse(entry: str) -> NoReturn:
    message = _("“{entry}” is not a month's quotas: write {syntax}, e.g. {example}.").format(
        entry=entry, syntax=SYNTAX, example=EXAMPLE
    )
    raise ValidationFailed(message, {"month_overrides": message})


def parse_month_overrides(entries: Iterable[str]) -> dict[str, dict[str, int]]:
    """``["2027-08:holiday=4,weekday=5"]`` → ``{"2027-08": {"holiday": 4, "weekday": 5}}``: either quota may be left
    out, blank entries are skipped, a later entry for the same month adds to it. Raises ValidationFailed (field
    ``month_overrides``) naming the first entry that does not follow the syntax."""
    overrides: dict[str, dict[str, int]] = {}
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        match = _ENTRY.match(entry)
        if match is None or not 1 <= int(match.group(2)) <= 12:
            _refuse(entry)
        quotas = overrides.setdefault(f"{match.group(1)}-{match.group(2)}", {})
        quota_text = re.sub(r"\s*=\s*", "=", match.group(3).strip())
        for part in re.split(r"\s*,\s*|\s+", quota_text):
            key, equals, number = part.partition("=")
            if key not in QUOTA_KEYS or not equals or not _NUMBER.match(number):
                _refuse(entry)
            quotas[key] = int(number)
    return overrides
