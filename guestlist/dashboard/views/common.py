"""What every dashboard view shares: the guard, who is acting, HTMX and error plumbing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import wraps
from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import timezone

from guestlist.accounts.decorators import admin_required
from guestlist.core.audit import Actor
from guestlist.core.errors import ServiceError
from guestlist.core.labels import error_field, error_message
from guestlist.core.middleware import needs_owner
from guestlist.core.ratelimit import client_ip

PAGE_SIZE = 25
View = Callable[..., HttpResponse]


def dashboard_view(view: View) -> View:
    """Every dashboard page: setup first while there is no owner, then admins only."""
    guarded = admin_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if is_htmx(request) and not request.user.is_authenticated:
            # htmx would swap the login page into a fragment's box; send the whole tab there.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = f"{resolve_url(settings.LOGIN_URL)}?next={quote(request.get_full_path())}"
            return response
        return guarded(request, *args, **kwargs)

    return needs_owner(wrapper)


def actor(request: HttpRequest) -> Actor:
    return Actor.admin(request.user, client_ip(request))


def admin_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - dashboard_view let only signed-in admins in
    return user


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def report(request: HttpRequest, exc: ServiceError) -> None:
    messages.error(request, error_message(exc))


def form_error(form: forms.Form, exc: ServiceError) -> None:
    """Put a service's refusal next to the field it names, else above the form."""
    field = error_field(exc)
    form.add_error(field if field in form.fields else None, error_message(exc))


def day_start(day: Any) -> datetime | None:
    if not day:
        return None
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def day_end(day: Any) -> datetime | None:
    """The last moment of ``day``: date filters in forms include the day they name."""
    start = day_start(day)
    return start + timedelta(days=1) - timedelta(microseconds=1) if start else None
