"""Logging that keeps secrets and personal data out (DESIGN §7): booking codes, queue-ticket codes and manage
tokens are removed from the access log's request lines."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

# A query (or ;matrix) parameter: its name and value as sent, percent-encoded or not.
_PARAMETER = re.compile(r"(?P<lead>(?:^|[?&;])(?P<name>[^=&;?#\s]+)=)(?P<value>[^&;#\s]*)")
# The path segment after /bookings/, /tickets/ or /waitlist/ (a code in any form the portal accepts: 7KQ2M9XD4TRBW8HN,
# bnfa-tkzd-zjda-3axx, with look-alike letters, in groups split by spaces...), except the find page. A ticket's code
# opens its page (and whatever its holder may do there), as a booking's does; a waiting list entry's is redacted like
# a booking's.
_CODE = re.compile(
    r"(/(?:bookings|tickets|waitlist)/)(?!find(?:[/?#;\s]|$))[^/?#;\s]+(?:[ \u3000](?!HTTP/)[0-9A-Za-z]{4}\b)*"
)
SECRET_PARAMETERS = frozenset({"token"})


def _secret_value(match: re.Match[str]) -> str:
    name = unquote_plus(match["name"]).strip().lower()
    return match["lead"] + "[redacted]" if name in SECRET_PARAMETERS else match[0]


def redact(text: str) -> str:
    """A request path with its booking code and token replaced: /bookings/[code]?token=[redacted]. The token is
    found however its name is written (``%74oken=``, ``;token=``), the code in whatever form it was typed."""
    if (
        "=" not in text and "/bookings/" not in text and "/tickets/" not in text and "/waitlist/" not in text
    ):  # most lines: nothing to look for
        return text
    return _CODE.sub(r"\1[code]", _PARAMETER.sub(_secret_value, text))


class RedactSecrets(logging.Filter):
    """A filter for uvicorn's access log (its record args are client, method, path, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging, with the access log passed through RedactSecrets."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": "core.logs.RedactSecrets"}
    config["handlers"]["access"]["filters"] = ["redact_secrets"]
    return config
