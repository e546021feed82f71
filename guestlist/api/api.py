"""The JSON API under /api/: one NinjaAPI, errors in the contract's shape."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

import guestlist
from guestlist.core.errors import ServiceError

logger = logging.getLogger(__name__)

HTTP_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "invalid",
    415: "invalid",
    422: "invalid",
    429: "rate_limited",
    500: "internal_error",
    502: "plex_refused",
    503: "plex_unavailable",
}

# Swagger UI builds its page with inline styles; the rest of the app keeps the strict policy.
_docs_policy: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
}

api = NinjaAPI(
    title="Guestlist API",
    version=guestlist.__version__,
    description="Invites, members and redemption for a Plex server. Admin calls take `X-Api-Key`.",
    urls_namespace="api",
    docs_decorator=csp_override(_docs_policy),
)


def error_response(
    status: int, code: str, message: str, *, details: Any = None, retry_after: int | None = None
) -> JsonResponse:
    body: dict[str, Any] = {"error": code, "message": message}
    if details is not None:
        body["details"] = details
    response = JsonResponse(body, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(ServiceError)
def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.message, details=exc.details, retry_after=exc.retry_after)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "payload")),
            "message": str(error.get("msg", "invalid")),
        }
        for error in exc.errors
    ]
    fields = ", ".join(d["field"] for d in details if d["field"])
    message = f"Some fields are missing or invalid: {fields}." if fields else "The request body is not valid JSON."
    return error_response(422, "invalid", message, details=details)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    if request.path_info.startswith("/api/me"):
        return error_response(401, "unauthorized", "Sign in first (the member API takes a signed-in session).")
    return error_response(401, "unauthorized", "Send an API key in X-Api-Key, or sign in as an admin.")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # django-ninja's "Cannot parse request body": the contract calls malformed JSON invalid.
        return error_response(422, "invalid", "The request body is not valid JSON.")
    return error_response(exc.status_code, HTTP_CODES.get(exc.status_code, "error"), str(exc.message))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", "Nothing is here.")


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unexpected error in %s %s", request.method, request.path)
    return error_response(500, "internal_error", "Something went wrong on our side; the log has the details.")
