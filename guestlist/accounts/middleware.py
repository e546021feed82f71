"""Admins' sessions on each request: forward-auth from a trusted proxy, and "last seen"."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse

from guestlist.accounts import sessions, signin
from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.ratelimit import client_ip
from guestlist.lib.proxy import PEER_KEY, is_trusted

ResponseGetter = Callable[[HttpRequest], HttpResponse]


def _meta_name(header: str) -> str:
    return "HTTP_" + re.sub(r"[^A-Z0-9]", "_", header.upper())


class ForwardAuthMiddleware:
    """Signs an admin in from a header a trusted proxy set (e.g. ``Remote-User``).

    Off unless ``GUESTLIST_FORWARD_AUTH_HEADER`` names the header. Only the dashboard's
    pages (views marked ``needs_owner``) look at it: never the public pages, the member
    area or the API. The header counts only when the request's direct peer is one of
    ``GUESTLIST_TRUSTED_PROXIES``, and only for an existing, active admin.
    """

    def __init__(self, get_response: ResponseGetter) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        header = settings.FORWARD_AUTH_HEADER
        if not header or not getattr(view, "needs_owner", False):
            return None
        name = str(request.META.get(_meta_name(header), "")).strip()
        if not name:
            return None
        peer = str(request.META.get(PEER_KEY) or request.META.get("REMOTE_ADDR") or "")
        if not is_trusted(peer, settings.TRUSTED_PROXIES):
            return None
        current = request.user
        if current.is_authenticated and current.get_username().lower() == name.lower():
            return None
        user = User.objects.filter(username__iexact=name, is_active=True, is_staff=True).first()
        if user is None:
            return None
        audit.record(Actor.admin(user, client_ip(request)), "admin.sign_in", user, method="forward_auth")
        signin.complete(request, user, method="forward_auth")
        return None


class AdminSessionMiddleware:
    """Keeps each admin session's "last seen" roughly current (every few minutes)."""

    def __init__(self, get_response: ResponseGetter) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Only requests that carry a session cookie: public pages stay free of queries.
        user = getattr(request, "user", None) if settings.SESSION_COOKIE_NAME in request.COOKIES else None
        if user is not None and user.is_authenticated and user.is_staff:
            sessions.touch(request)
        return self.get_response(request)
