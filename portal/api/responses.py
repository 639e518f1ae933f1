"""What each API operation can answer besides success, for the OpenAPI document (/schema/openapi.json): every
error status with its body, as ``portal.web.errors`` writes it."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Operation

from portal.api.schemas import ConflictOut, ErrorOut

DESCRIPTIONS = {
    404: "Not found: no such booth, slot or booking, or a wrong token (no hint which).",
    409: "Conflict: the slot is full (with the next slots that have room), the booth takes no bookings now, "
    "the booking can no longer change, or the contact already holds its bookings at this booth.",
    413: "The request body is larger than 8 KB.",
    422: "A parameter or the body is missing, of the wrong type, out of range or invalid: one message per field.",
    429: "Too many requests from this address: wait for the seconds in Retry-After.",
    503: "The database does not answer.",
}


def error_responses(*statuses: int, descriptions: dict[int, str] | None = None) -> dict[int, ResponseSpec]:
    """The documented error responses of an operation (``descriptions`` replaces the general ones)."""
    return {
        status: ResponseSpec(
            data_container=ConflictOut if status == 409 else ErrorOut,
            description=(descriptions or {}).get(status, DESCRIPTIONS[status]),
            generate_examples=False,
        )
        for status in statuses
    }


@dataclass
class ApiOperation(Operation):
    """An operation of the API as documented: Litestar adds a 400 for every operation with parameters, but the API
    answers a malformed parameter or body with 422 (``portal.web.errors.handle_validation``), never 400."""

    def __post_init__(self) -> None:
        if self.responses:
            self.responses.pop("400", None)
