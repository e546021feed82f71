from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

import guestlist


def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "version": guestlist.__version__})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse(
            {"error": "csrf_failed", "message": "The CSRF token is missing or wrong; reload the page and try again."},
            status=403,
        )
    return render(
        request,
        "error.html",
        {
            "title": _("This form has expired"),
            "message": _("Go back, reload the page and send the form again."),
        },
        status=403,
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "error.html",
        {"title": _("Page not found"), "message": _("There is nothing at this address.")},
        status=404,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "error.html",
        {"title": _("Something went wrong"), "message": _("The error was logged. Try again in a moment.")},
        status=500,
    )
