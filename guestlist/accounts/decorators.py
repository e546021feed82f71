from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

View = Callable[..., HttpResponse]


def admin_required(view: View) -> View:
    """Signed-in admins only: others are sent to the login page, members get a clear 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not getattr(user, "is_staff", False):
            return render(
                request,
                "error.html",
                {"title": _("Admins only"), "message": _("This page is for the server's admins.")},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapper
