"""The app's request class: a JSON body nested deeper than the decoder follows is the client's error (422 for the
API), not a RecursionError and a 500."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import ValidationException


class PortalRequest(Request):
    """``Request`` whose ``json()`` refuses a body nested too deeply (``{"needs": {"a": {"a": ...}}}``, 5,000
    levels): msgspec stops with RecursionError at its depth limit, which Litestar does not catch."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise ValidationException("the JSON body is nested too deeply") from None
