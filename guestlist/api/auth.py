"""Who may call the admin API: an API key, or an admin's session with its CSRF token."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from ninja.security.base import AuthBase

from guestlist.accounts import services as accounts
from guestlist.core.audit import Actor
from guestlist.core.errors import Forbidden
from guestlist.core.ratelimit import client_ip
from guestlist.members import permissions
from guestlist.members.permissions import Caller

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass(frozen=True)
class Principal:
    actor: Actor
    user: AbstractBaseUser | AnonymousUser | None
    via_api_key: bool


def presented_key(request: HttpRequest) -> str | None:
    key = request.headers.get("X-Api-Key")
    if key:
        return key.strip()
    authorization = request.headers.get("Authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def _no_op_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _passes_csrf(request: HttpRequest) -> bool:
    checker = CsrfViewMiddleware(_no_op_view)
    checker.process_request(request)
    return checker.process_view(request, _no_op_view, (), {}) is None


class AdminAuth(AuthBase):
    openapi_type = "apiKey"
    openapi_in = "header"
    openapi_name = "X-Api-Key"

    def __call__(self, request: HttpRequest) -> Principal | None:
        ip = client_ip(request)
        key = presented_key(request)
        if key is not None:
            api_key = accounts.authenticate_api_key(key)
            if api_key is None:
                return None
            return Principal(Actor.api_key(api_key.name, ip, api_key.created_by_id), None, True)
        user = request.user
        if not user.is_authenticated:
            return None
        if not getattr(user, "is_staff", False):
            raise Forbidden("This needs an admin account.")
        if request.method not in SAFE_METHODS and not _passes_csrf(request):
            raise Forbidden("The CSRF token is missing or wrong; reload the page and try again.", code="csrf_failed")
        return Principal(Actor.admin(user, ip), user, False)


admin_auth = AdminAuth()


class SessionAuth(AuthBase):
    """The member area's API: a signed-in session (a member's, or an admin's) with CSRF on
    writes. API keys are for the admin API and are not taken here."""

    openapi_type = "apiKey"
    openapi_in = "cookie"
    openapi_name = "guestlist_session"

    def __call__(self, request: HttpRequest) -> Caller | None:
        user = request.user
        if not user.is_authenticated or not isinstance(user, User):
            return None
        if request.method not in SAFE_METHODS and not _passes_csrf(request):
            raise Forbidden("The CSRF token is missing or wrong; reload the page and try again.", code="csrf_failed")
        return permissions.caller_for(user, client_ip(request))


session_auth = SessionAuth()


def admin_caller(principal: Principal) -> Caller:
    """The admin API's principal as a caller of the member-area services (staff: all rights)."""
    user = principal.user if isinstance(principal.user, User) else None
    return Caller.admin(principal.actor, user)
