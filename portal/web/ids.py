"""Ids in paths (``/staff/plans/{plan_id:int}``, ``/api/sessions/{session_id:int}``): a number no row can have is
"not found" before the handler runs, instead of an error from a database that cannot take it."""

from __future__ import annotations

from typing import Annotated

from litestar import Request
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter
from msgspec import Meta

from core.db import MAX_ID

Id = Annotated[int, Meta(ge=1, le=MAX_ID)]  # an id in a JSON body: out of range is a 422
QueryId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]  # an optional id in the query: out of range, a 4xx


async def refuse_ids_out_of_range(request: Request) -> None:
    """The app's ``before_request`` hook: 404 when an integer path parameter is outside 1..MAX_ID. A hook, not a
    middleware, so that the 404 is handled inside the request's locale (a resident reads it in their language)."""
    for value in request.path_params.values():
        if type(value) is int and not 1 <= value <= MAX_ID:
            raise NotFoundException()
