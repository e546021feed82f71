from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from guestlist.accounts import lockout, services, signin
from guestlist.accounts.forms import OwnerForm
from guestlist.accounts.models import SignInSettings
from guestlist.accounts.oidc import allow_form_target
from guestlist.accounts.setup import check_setup_token, create_owner
from guestlist.core import audit, ratelimit
from guestlist.core.audit import Actor
from guestlist.core.errors import ServiceError
from guestlist.core.labels import member_error_message
from guestlist.core.ratelimit import RateLimited
from guestlist.core.services import owner_exists
from guestlist.members import logins, permissions

MAX_AUTO_ROUNDS = 20
BACKEND = logins.LOGIN_BACKEND

REFUSALS = {
    "local_accounts_disabled": gettext_lazy("Signing in with a password is switched off; sign in with Plex."),
    "not_a_member": gettext_lazy("This account has no membership here any more."),
}


NEVER_A_MEMBER = gettext_lazy("This Plex account has no membership here. Got an invite? Open its link to join.")


class SignInForm(AuthenticationForm):
    """Admins and members share the page; members' passwords work only while the owner
    allows local accounts and their membership lasts."""

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        reason = logins.may_sign_in_with_password(user)
        if reason is not None:
            raise forms.ValidationError(REFUSALS[reason], code=reason)


def landing_for(user: AbstractBaseUser | AnonymousUser, request: HttpRequest) -> str:
    """Admins go where they were headed (or the dashboard); members to their own area."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    if getattr(user, "is_staff", False):
        return target if target and safe else reverse("dashboard")
    me = reverse("me")
    return target if target and safe and target.startswith(me) else me


class SignInView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        return landing_for(self.request.user, self.request)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not user.is_staff:
            signin.complete(self.request, user, method="password")
            member = permissions.member_of_user(user)
            actor = permissions.caller_for(user, ratelimit.client_ip(self.request)).actor
            audit.record(actor, "member.sign_in", member, method="password")
            return HttpResponseRedirect(self.get_success_url())
        # Admins may have a second step (a second factor, or enrolling one).
        return signin.after_first_factor(self.request, user, method="password", landing=landing_for(user, self.request))

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        wrong = any(error.code == "invalid_login" for error in form.non_field_errors().as_data())
        if wrong:
            ip = ratelimit.client_ip(self.request)
            refusal = lockout.record_failure(
                lockout.account_key(self.request.POST.get("username", "")),
                lockout.address_key(ip),
                actor=lockout.sign_in_actor(ip),
                kind="password",
            )
            if refusal is not None:
                # The attempt was answered (wrong password); the page says the next one must wait.
                return self.render_to_response(self.get_context_data(form=form, lock_message=lock_message(refusal)))
        return super().form_invalid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["plex_signin_url"] = reverse("login-plex")
        context.update(signin_context())
        return context


_login = SignInView.as_view()


def _too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    response = render(
        request,
        "error.html",
        {
            "title": _("Too many sign-in attempts"),
            "message": _("Wait %(seconds)s seconds, then try again.") % {"seconds": retry_after},
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def lock_message(refusal: lockout.Refusal) -> str:
    if refusal.locked:
        return _(
            "Too many failed sign-ins: this account or address is locked for %(minutes)s minutes. "
            "A passkey still works; the server's owner can also reset the password from the command line."
        ) % {"minutes": max(1, (refusal.retry_after + 59) // 60)}
    return _("Too many failed sign-ins: wait %(seconds)s seconds before trying again.") % {
        "seconds": refusal.retry_after
    }


def _locked(request: HttpRequest, refusal: lockout.Refusal) -> HttpResponse:
    """The sign-in page again, saying why the next attempt must wait."""
    context: dict[str, Any] = {
        "lock_message": lock_message(refusal),
        "plex_signin_url": reverse("login-plex"),
        "form": SignInForm(request),
        **signin_context(),
    }
    response = allow_form_target(render(request, "accounts/login.html", context, status=429))
    response["Retry-After"] = str(refusal.retry_after)
    return response


def signin_context() -> dict[str, Any]:
    sso = SignInSettings.load()
    return {"oidc_label": sso.oidc_label if sso.oidc_ready else ""}


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponseBase:
    if request.method == "POST":
        refusal = lockout.check(
            lockout.account_key(request.POST.get("username", "")),
            lockout.address_key(ratelimit.client_ip(request)),
        )
        if refusal is not None:
            return _locked(request, refusal)
        for limit, subject in (
            (ratelimit.LOGIN, ratelimit.client_ip(request)),
            (ratelimit.LOGIN_USER, services.login_limit_key(request.POST.get("username", ""))),
        ):
            verdict = ratelimit.hit(limit, subject)
            if not verdict.allowed:
                return _too_many(request, verdict.retry_after)
    response = _login(request)
    return allow_form_target(response) if isinstance(response, HttpResponse) else response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


def _signin_problem(request: HttpRequest, exc: ServiceError, *, flow: str) -> HttpResponse:
    if isinstance(exc, RateLimited):
        return _too_many(request, exc.retry_after or 1)
    if flow == "link":
        messages.error(request, member_error_message(exc))
        return redirect("me")
    form = SignInForm(request)
    never_a_member = isinstance(exc.details, dict) and bool(exc.details.get("never_a_member"))
    problem = NEVER_A_MEMBER if never_a_member else member_error_message(exc)
    response = render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "plex_problem": problem,
            "offer_join": never_a_member,
            "plex_signin_url": reverse("login-plex"),
            **signin_context(),
        },
        status=exc.status,
    )
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


@require_POST
def plex_start(request: HttpRequest) -> HttpResponse:
    """Sign in (or, from the member's page, link) with Plex: the server makes the PIN."""
    flow = "link" if request.POST.get("flow") == "link" and request.user.is_authenticated else "login"
    forward = settings.BASE_URL + reverse("login-plex-continue")
    try:
        ratelimit.enforce(ratelimit.OAUTH_START, request)
        started = logins.start_in_session(request.session, flow=flow, forward_url=forward)
    except ServiceError as exc:
        return _signin_problem(request, exc, flow=flow)
    return HttpResponseRedirect(started.auth_url, status=303)


@require_http_methods(["GET", "POST"])
def plex_continue(request: HttpRequest) -> HttpResponse:
    """Where Plex sends the person back. GET shows the page (its script presses Continue)."""
    flow = logins.flow_in_session(request.session)
    if flow is None:
        return redirect("login")
    rounds = min(int(request.POST.get("round", "0") or 0) if request.POST.get("round", "").isdigit() else 0, 99)
    context = {"round": rounds + 1, "auto": rounds < MAX_AUTO_ROUNDS, "not_yet": request.method == "POST"}
    if request.method == "GET":
        return render(request, "accounts/plex_continue.html", context)
    ip = ratelimit.client_ip(request)
    try:
        ratelimit.enforce(ratelimit.PIN_POLL, request)
        signed_in = logins.poll_in_session(request.session)
        if signed_in is None:
            return render(request, "accounts/plex_continue.html", context, status=202)
        if flow == "link":
            if not isinstance(request.user, User):
                return redirect("login")
            caller = permissions.caller_for(request.user, ip)
            logins.link_plex_account(caller, signed_in)
            messages.success(request, _("Your Plex account is linked; the server is shared with it."))
            return redirect("me")
        user = logins.user_for_plex_account(signed_in.account, ip=ip)
    except ServiceError as exc:
        return _signin_problem(request, exc, flow=flow)
    # Plex counts as one factor: an admin with a second factor is asked for it next.
    return signin.after_first_factor(request, user, method="plex", landing=landing_for(user, request))


@require_http_methods(["GET", "POST"])
def setup_view(request: HttpRequest) -> HttpResponse:
    if owner_exists():
        if request.user.is_authenticated and getattr(request.user, "is_superuser", False):
            return redirect("dashboard")
        return redirect("login")
    token = request.POST.get("token") or request.GET.get("token", "")
    if not check_setup_token(token):
        return render(request, "accounts/setup_locked.html", status=403)
    form = OwnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = ratelimit.client_ip(request)
        try:
            user = create_owner(
                token,
                form.cleaned_data["username"],
                form.cleaned_data["password"],
                email=form.cleaned_data["email"],
                actor=Actor(Actor.system().kind, "setup wizard", None, ip),
            )
        except ServiceError as exc:
            if exc.code == "setup_closed":
                return render(request, "accounts/setup_locked.html", status=403)
            form.add_error(None, exc.message)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, _("Welcome! Now connect your Plex server."))
            return redirect("setup-plex")
    return render(request, "accounts/setup.html", {"form": form, "token": token})
