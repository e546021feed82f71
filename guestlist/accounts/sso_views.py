"""Signing in through the OpenID provider: the start (a POST answered with a redirect)
and the callback. Admins signed in this way are fully signed in: the provider is where
their factors are checked."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guestlist.accounts import oidc, signin
from guestlist.accounts.lockout import sign_in_actor
from guestlist.accounts.views import SignInForm, signin_context
from guestlist.core import audit, ratelimit
from guestlist.core.audit import Actor
from guestlist.core.errors import ServiceError
from guestlist.core.ratelimit import RateLimited


def _problem(request: HttpRequest, message: str, status: int) -> HttpResponse:
    response = render(
        request,
        "accounts/login.html",
        {
            "form": SignInForm(request),
            "sso_problem": message,
            "plex_signin_url": reverse("login-plex"),
            **signin_context(),
        },
        status=status,
    )
    return oidc.allow_form_target(response)


def _message(exc: ServiceError) -> str:
    words = {
        "oidc_not_configured": _("Single sign-on is not set up."),
        "oidc_state": _("This sign-in link was already used or belongs to another browser; start again."),
        "oidc_provider": _("The sign-on provider could not be reached or refused the sign-in; try again later."),
        "oidc_token_invalid": _("The sign-on provider's answer could not be trusted, so nobody was signed in."),
        "oidc_wrong_issuer": _("The sign-on provider's answer could not be trusted, so nobody was signed in."),
        "oidc_not_admin": _("Your account at the sign-on provider is not in the group of this server's admins."),
        "oidc_no_account": _("No admin here matches your account at the sign-on provider; ask the owner."),
    }
    return words.get(exc.code, exc.message)


@require_POST
def oidc_start(request: HttpRequest) -> HttpResponse:
    try:
        ratelimit.enforce(ratelimit.OAUTH_START, request)
        return oidc.start(request)
    except RateLimited as exc:
        response = _problem(request, str(exc), 429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except ServiceError as exc:
        return _problem(request, _message(exc), exc.status)


@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    ip = ratelimit.client_ip(request)
    try:
        ratelimit.enforce(ratelimit.OAUTH_START, request)
        claims = oidc.finish(request)
        user = oidc.admin_for(claims, ip=ip)
    except RateLimited as exc:
        response = _problem(request, str(exc), 429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except ServiceError as exc:
        audit.record(
            Actor(Actor.system().kind, "single sign-on", None, oidc_ip(ip)),
            "admin.sign_in_refused",
            label="oidc",
            reason=exc.code,
        )
        return _problem(request, _message(exc), exc.status)
    audit.record(Actor.admin(user, oidc_ip(ip)), "admin.sign_in", user, method="oidc")
    signin.complete(request, user, method="oidc")
    return redirect("dashboard")


def oidc_ip(ip: str) -> str | None:
    return sign_in_actor(ip).ip
