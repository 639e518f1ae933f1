"""Domain errors, raised by services and mapped to HTTP/HTML responses in one place (portal.web.errors)."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base class: a rule of the domain refused the request; ``message`` is already translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The object does not exist (or is not visible to the caller)."""


class Conflict(DomainError):
    """The request conflicts with the current state (e.g. a duplicate, a full slot)."""


class InvalidTransition(Conflict):
    """A workflow step that the object's current state does not allow."""


class PermissionDenied(DomainError):
    """The user's role does not allow this action."""


class ValidationFailed(DomainError):
    """Input that breaks a rule; ``fields`` maps each field name to its translated message."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})
