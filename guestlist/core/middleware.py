from __future__ import annotations

import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from guestlist.core.services import owner_exists

ResponseGetter = Callable[[HttpRequest], HttpResponse]

API_ERROR_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "invalid",
    500: "internal_error",
}


class SetupRedirectMiddleware:
    """Until an owner exists, every dashboard page leads to the setup wizard."""

    def __init__(self, get_response: ResponseGetter) -> None:
        self.get_response = get_response
        # Once true it stays true for the life of the process; no query per request after that.
        self.owner_known = False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if self.owner_known or not getattr(view, "needs_owner", False):
            return None
        if owner_exists():
            self.owner_known = True
            return None
        return redirect("setup")


def needs_owner[V: Callable[..., Any]](view: V) -> V:
    view.needs_owner = True  # type: ignore[attr-defined]
    return view


class ApiErrorShapeMiddleware:
    """Every error under /api/ is JSON, including Django's own 404, 405 and CSRF pages."""

    def __init__(self, get_response: ResponseGetter) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not request.path_info.startswith("/api/"):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        code = API_ERROR_CODES.get(status, "error")
        message = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        if status == 405:
            allowed = response.get("Allow", "")
            message = f"This path does not accept {request.method}." + (f" Allowed: {allowed}." if allowed else "")
        elif status == 404:
            message = "Nothing is here."
        shaped = JsonResponse({"error": code, "message": message}, status=status)
        for header in ("Allow", "Retry-After"):
            if header in response:
                shaped[header] = response[header]
        return shaped


request_logger = logging.getLogger("guestlist.requests")


class RequestLogMiddleware:
    """One INFO line per request (``GUESTLIST_LOG_REQUESTS=on``): method, path, status and
    duration. The query string is left out: it may carry a setup token or an invite code."""

    def __init__(self, get_response: ResponseGetter) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        response = self.get_response(request)
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        path = _loggable_path(request)
        request_logger.info(
            "%s %s %s %.1fms",
            request.method,
            path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "client": request.META.get("REMOTE_ADDR", ""),
            },
        )
        return response


def _loggable_path(request: HttpRequest) -> str:
    # A welcome link's token is a key to that page: it does not belong in a log.
    match = request.resolver_match
    path = request.path
    if match is not None and "token" in match.kwargs:
        path = path.replace(str(match.kwargs["token"]), "<redacted>")
    return path
