"""One place that maps domain and HTTP errors to responses: HTML pages for browsers, JSON for /api."""

from __future__ import annotations

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.response import Redirect, Template

from core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from core.i18n import gettext as _
from portal.auth import login_url

STATUS_FOR_DOMAIN_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (PermissionDenied, 403),
    (ValidationFailed, 422),
    (Conflict, 409),
)


def wants_json(request: Request) -> bool:
    """API calls and clients that ask for JSON get JSON errors; browsers get pages."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request: Request, status_code: int, message: str, fields: dict | None = None) -> Response:
    if wants_json(request):
        body: dict = {"status_code": status_code, "detail": message}
        if fields:
            body["errors"] = fields
        return Response(content=body, status_code=status_code, media_type=MediaType.JSON)
    return Template(
        template_name="error.html",
        context={"status_code": status_code, "message": message, "actor": request.state.get("actor")},
        status_code=status_code,
    )


def handle_domain_error(request: Request, exc: DomainError) -> Response:
    status = next((code for cls, code in STATUS_FOR_DOMAIN_ERROR if isinstance(exc, cls)), 400)
    return error_response(request, status, exc.message, getattr(exc, "fields", None))


def handle_not_authorized(request: Request, exc: NotAuthorizedException) -> Response:
    if wants_json(request):
        return error_response(request, 401, _("Please sign in."))
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(path=login_url(target), status_code=303)


def handle_forbidden(request: Request, exc: PermissionDeniedException) -> Response:
    detail = exc.detail if exc.detail and exc.detail != "Forbidden" else _("Your role does not allow this page or action.")
    if "CSRF" in str(exc.detail):
        detail = _("This form has expired. Please go back, reload the page and try again.")
    return error_response(request, 403, detail)


def handle_not_found(request: Request, exc: NotFoundException) -> Response:
    return error_response(request, 404, _("The page you asked for does not exist."))


def handle_http(request: Request, exc: HTTPException) -> Response:
    return error_response(request, exc.status_code, str(exc.detail))


EXCEPTION_HANDLERS = {
    DomainError: handle_domain_error,
    NotAuthorizedException: handle_not_authorized,
    PermissionDeniedException: handle_forbidden,
    NotFoundException: handle_not_found,
    HTTPException: handle_http,
}
