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
    "frame-ancestors": [CSP.NONE],
}

ERROR_DESCRIPTIONS = {
    401: "No credentials, or a wrong API key / no session (`unauthorized`).",
    403: "Not allowed: not an admin, a missing permission, or a missing CSRF token on a session call.",
    404: "Nothing with this id (or code, or PIN) exists (`not_found`).",
    409: "A conflict with what exists (e.g. `code_taken`, `already_member`, `invite_has_members`).",
    410: "The invite or PIN exists but cannot be used (`disabled`, `expired`, `used_up`, `pin_expired`, ...).",
    422: "Bad or missing fields (`invalid`); `details` names them.",
    429: "Too many requests (`rate_limited`); `Retry-After` says when to try again.",
    502: "Plex (or Discord) refused for good (`plex_refused`, `plex_pass_required`, `discord_refused`).",
    503: (
        "Plex (or Discord) could not be reached or was busy (`plex_unavailable`, `discord_unavailable`); "
        "`Retry-After` when a retry makes sense."
    ),
}
PLEX = (502, 503)
# What each operation may answer beyond the rules in ``document_errors`` (which every
# operation follows): rate limits, unusable invites and Plex's answers.
EXTRA_ERRORS: dict[tuple[str, str], tuple[int, ...]] = {
    ("post", "/api/invites/validate"): (429,),
    # 403: a Discord-gated invite without a passing Discord sign-in (discord_required & co).
    ("post", "/api/invites/oauth/start"): (403, 404, 410, 429, *PLEX),
    ("post", "/api/invites/redeem"): (403, 404, 410, 429, *PLEX),
    ("post", "/api/users/sync"): PLEX,
    ("get", "/api/users/importable"): PLEX,
    ("post", "/api/users/import"): PLEX,
    ("patch", "/api/users/{member_id}"): PLEX,
    ("post", "/api/users/{member_id}/refresh"): PLEX,
    ("delete", "/api/users/{member_id}"): PLEX,
    ("post", "/api/users/{member_id}/trial"): PLEX,
    ("post", "/api/users/{member_id}/suspend"): PLEX,
    ("post", "/api/users/{member_id}/restore"): PLEX,
    ("post", "/api/me/members/{member_id}/trial"): PLEX,
    ("post", "/api/me/trial/extension"): (429,),
    ("post", "/api/me/plex-link"): (429, *PLEX),
    ("post", "/api/me/plex-link/check"): (404, 410, 429, *PLEX),
    ("post", "/api/steps/sets"): (404,),
    # Discord's answers: 422 discord_not_configured, 502 discord_refused, 503 discord_unavailable.
    ("get", "/api/discord/roles"): (422, 502, 503),
}
ERROR_SCHEMA = {
    "title": "ErrorOut",
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "the machine code (contract.md, Errors)"},
        "message": {"type": "string"},
        "details": {"description": "what was wrong; on every 422 a list of {field, message}"},
    },
    "required": ["error", "message"],
}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Write into each operation the error answers it can give, all in the error envelope.

    Every operation with input may answer 422; every authenticated one 401 and 403; every
    one with an id in its path 404; every write 409 (most refusals of a write are
    conflicts); the rest comes from ``EXTRA_ERRORS``.
    """
    schema.setdefault("components", {}).setdefault("schemas", {})["ErrorOut"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/ErrorOut"}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            codes: set[int] = set(EXTRA_ERRORS.get((method, path), ()))
            if operation.get("parameters") or operation.get("requestBody"):
                codes.add(422)
            if operation.get("security") or path.startswith("/api/me"):
                codes |= {401, 403}
            if "{" in path:
                codes.add(404)
            if method in ("post", "put", "patch", "delete"):
                codes.add(409)
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                responses[str(code)] = {
                    "description": ERROR_DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": reference}},
                }
    return schema


class GuestlistApi(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        return document_errors(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))


api = GuestlistApi(
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
    details = exc.details
    if exc.status == 422 and not details:
        # Every 422 says what was wrong in ``details`` (the contract), even when the service
        # could only name the request as a whole.
        details = [{"field": "", "message": exc.message}]
    return error_response(exc.status, exc.code, exc.message, details=details, retry_after=exc.retry_after)


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
        message = "The request body is not valid JSON."
        return error_response(422, "invalid", message, details=[{"field": "", "message": message}])
    return error_response(exc.status_code, HTTP_CODES.get(exc.status_code, "error"), str(exc.message))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", "Nothing is here.")


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unexpected error in %s %s", request.method, request.path)
    return error_response(500, "internal_error", "Something went wrong on our side; the log has the details.")
