"""One place that maps domain and HTTP errors to responses: HTML pages for browsers, JSON for /api."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template

from core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from core.i18n import N_
from core.i18n import gettext as _
from portal.web.guards import login_url, safe_next

logger = logging.getLogger(__name__)

STATUS_FOR_DOMAIN_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (PermissionDenied, 403),
    (ValidationFailed, 422),
    (Conflict, 409),
)

# What staff read instead of the framework's English detail for statuses raised outside our own code.
HTTP_STATUS_MESSAGES: dict[int, str] = {
    400: N_("The request could not be understood. Please go back and try again."),
    405: N_("This page cannot be used that way. Please go back and use the links and buttons on the page."),
    413: N_("What was sent is too large. Please shorten it (or choose a smaller file) and try again."),
    429: N_("Too many attempts in a short time. Please wait a minute and try again."),
    500: N_("Something went wrong on our side. Please try again later."),
    503: N_("The service is not available at the moment. Please try again later."),
}
GENERIC_HTTP_MESSAGE = N_("The request could not be completed (error {status}).")


def http_error_message(status_code: int) -> str:
    """A translated explanation of an HTTP error status."""
    message = HTTP_STATUS_MESSAGES.get(status_code)
    return _(message) if message else _(GENERIC_HTTP_MESSAGE).format(status=status_code)


def back_url(request: Request) -> str:
    """Where the error page's "Go back" link leads: the page of this site the visitor came from, else the start."""
    default = "/staff/" if request.state.get("actor") else "/"
    referrer = urlsplit(request.headers.get("referer", ""))
    if referrer.netloc != request.url.netloc or referrer.path == request.url.path:
        return default
    return safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""), default=default)


def wants_json(request: Request) -> bool:
    """API calls and clients that ask for JSON get JSON errors; browsers get pages."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(
    request: Request, status_code: int, message: str, fields: dict | None = None, headers: dict | None = None
) -> Response:
    if wants_json(request):
        body: dict = {"status_code": status_code, "detail": message}
        if fields:
            body["errors"] = fields
        return Response(content=body, status_code=status_code, media_type=MediaType.JSON, headers=headers)
    return Template(
        template_name="error.html",
        context={
            "status_code": status_code,
            "message": message,
            "actor": request.state.get("actor"),
            "back_url": back_url(request),
            # a booking link that opens nothing (old, re-issued or cut short): where to get a new one
            "find_booking": status_code == 404 and request.url.path.startswith("/bookings/"),
        },
        status_code=status_code,
        headers=headers,
    )


def handle_domain_error(request: Request, exc: DomainError) -> Response:
    status = next((code for cls, code in STATUS_FOR_DOMAIN_ERROR if isinstance(exc, cls)), 400)
    alternatives = getattr(exc, "alternatives", None)
    if alternatives is not None and wants_json(request):  # a full slot: offer the next free ones
        return full_slot_response(status, exc.message, alternatives)
    return error_response(request, status, exc.message, getattr(exc, "fields", None))


def full_slot_response(status: int, message: str, alternatives: list) -> Response:
    """The API's answer to a booking of a full slot: why, and the next slots that have room for the party."""
    body = {
        "status_code": status,
        "detail": message,
        "alternatives": [
            {
                "id": s.id,
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "capacity": s.capacity,
                "remaining": s.remaining,
                "room": s.room,
            }
            for s in alternatives
        ],
    }
    return Response(content=body, status_code=status, media_type=MediaType.JSON)


def handle_validation(request: Request, exc: ValidationException) -> Response:
    """A request body or parameter of the wrong shape: 422 with a message per field for the API, 400 otherwise."""
    if not wants_json(request):
        return error_response(request, 400, http_error_message(400))
    fields: dict[str, str] = {}
    for problem in exc.extra if isinstance(exc.extra, list) else []:
        key = str(problem.get("key") or "body") if isinstance(problem, dict) else "body"
        fields[key] = _("This value is missing or has the wrong type.")
    return error_response(
        request,
        422,
        _("Please correct the marked fields."),
        fields or {"body": _("The request body must be a JSON object with the documented fields.")},
    )


def handle_not_authorized(request: Request, exc: NotAuthorizedException) -> Response:
    if wants_json(request):
        return error_response(request, 401, _("Please sign in."))
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(path=login_url(target), status_code=303)


def handle_forbidden(request: Request, exc: PermissionDeniedException) -> Response:
    detail = (
        exc.detail if exc.detail and exc.detail != "Forbidden" else _("Your role does not allow this page or action.")
    )
    if "CSRF" in str(exc.detail):
        detail = _("This form has expired. Please go back, reload the page and try again.")
    return error_response(request, 403, detail)


def handle_not_found(request: Request, exc: NotFoundException) -> Response:
    return error_response(request, 404, _("The page you asked for does not exist."))


def handle_http(request: Request, exc: HTTPException) -> Response:
    """Statuses raised by the framework or a middleware (405, 413, 429 with its Retry-After, ...): the translated
    message, and the exception's headers."""
    return error_response(request, exc.status_code, http_error_message(exc.status_code), headers=exc.headers)


def handle_server_error(request: Request, exc: Exception) -> Response:
    """An unexpected error: logged with its traceback, shown as a translated page (not the framework's text)."""
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500, http_error_message(500))


EXCEPTION_HANDLERS = {
    DomainError: handle_domain_error,
    NotAuthorizedException: handle_not_authorized,
    PermissionDeniedException: handle_forbidden,
    NotFoundException: handle_not_found,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    500: handle_server_error,  # any other exception (see litestar's get_exception_handler)
}
