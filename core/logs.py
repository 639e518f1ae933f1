"""Logging that keeps secrets and personal data out (DESIGN §7): booking codes and manage tokens are removed from
the access log's request lines."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

_TOKEN = re.compile(r"((?:^|[?&])token=)[^&#\s]*")
_CODE = re.compile(r"(/bookings/)(?!find\b)[0-9A-Za-z]{16}\b")


def redact(text: str) -> str:
    """A request path with its booking code and token replaced: /bookings/[code]?token=[redacted]."""
    if "token=" not in text and "/bookings/" not in text:  # most lines (every public read): nothing to look for
        return text
    return _CODE.sub(r"\1[code]", _TOKEN.sub(r"\1[redacted]", text))


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
