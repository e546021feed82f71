"""The sign-in's second step (a code or a passkey), enrolling a factor when the owner
requires one, and signing in with a passkey alone."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guestlist.accounts import factors, lockout, passkeys, signin
from guestlist.accounts.models import Passkey
from guestlist.accounts.views import landing_for, lock_message
from guestlist.core import audit, ratelimit, shown_once
from guestlist.core.audit import Actor
from guestlist.core.errors import ServiceError
from guestlist.core.ratelimit import RateLimited, client_ip

MAX_CREDENTIAL_BYTES = 64 * 1024
RECOVERY_CODES = "recovery_codes"


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    state = signin.pending(request, signin.VERIFY)
    if state is None:
        return redirect("login")
    ip = client_ip(request)
    keys = (lockout.account_key(state.user.get_username()), lockout.address_key(ip))
    context = {
        "has_totp": factors.has_totp(state.user),
        "has_passkey": Passkey.objects.filter(user=state.user).exists(),
        "username": state.user.get_username(),
    }
    if request.method == "POST":
        refusal = lockout.check(*keys)
        if refusal is None:
            used = factors.verify_code(state.user, request.POST.get("code", ""))
            if used is not None:
                return signin.finish_pending(request, state, factor=used)
            refusal = lockout.record_failure(*keys, actor=Actor.admin(state.user, ip), kind="second_factor")
            context["error"] = _("That code is not right, or was used already.")
        if refusal is not None:
            context["error"] = lock_message(refusal)
            response = render(request, "accounts/second_factor.html", context, status=429)
            response["Retry-After"] = str(refusal.retry_after)
            return _no_store(response)
        return _no_store(render(request, "accounts/second_factor.html", context, status=422))
    return _no_store(render(request, "accounts/second_factor.html", context))


@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """The owner requires a second factor and this admin has none: set one up to get in."""
    state = signin.pending(request, signin.ENROL)
    if state is None:
        return redirect("login")
    if factors.has_second_factor(state.user):
        # Set up meanwhile (another browser): it must be used, not skipped.
        signin.require_verification(request)
        return redirect("login-second-factor")
    error = ""
    if request.method == "POST":
        try:
            codes = factors.confirm_totp(
                state.user, request.POST.get("code", ""), actor=Actor.admin(state.user, client_ip(request))
            )
        except ServiceError as exc:
            error = _("That code is not right; check the app's clock and type the code it shows now.")
            if exc.code == "totp_not_started":
                error = _("Start again: the set-up expired.")
        else:
            signin.finish_pending(request, state, factor="totp")
            # Post/Redirect/Get: the next page shows the codes once; reloading it makes no others.
            shown_once.keep(request, RECOVERY_CODES, "\n".join(codes))
            return redirect(reverse("login-recovery-codes") + "?" + urlencode({"next": state.landing}))
    enrolment = factors.pending_totp(state.user) or factors.start_totp(state.user)
    return _no_store(
        render(
            request,
            "accounts/enrol.html",
            {"enrolment": enrolment, "error": error, "username": state.user.get_username()},
            status=422 if error else 200,
        )
    )


@require_GET
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The ten recovery codes of an app set up while signing in, shown once."""
    kept = shown_once.take(request, RECOVERY_CODES) if request.user.is_authenticated else None
    if kept is None:
        return redirect(landing_for(request.user, request) if request.user.is_authenticated else "login")
    context = {"codes": kept.split("\n"), "after_signin": True, "landing": landing_for(request.user, request)}
    return _no_store(render(request, "accounts/recovery_codes.html", context))


def _credential(request: HttpRequest) -> tuple[str, str]:
    if len(request.body) > MAX_CREDENTIAL_BYTES:
        return "", ""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return json.dumps(body.get("credential") or {}), str(body.get("name", ""))


def _refused(exc: ServiceError) -> JsonResponse:
    return JsonResponse({"error": exc.code, "message": exc.message}, status=exc.status)


@require_POST
def passkey_options(request: HttpRequest) -> HttpResponse:
    """Options for signing in with a passkey: the pending admin's (second factor) or any."""
    state = signin.pending(request, signin.VERIFY)
    options = passkeys.authentication_options(request.session, state.user if state else None)
    return _no_store(HttpResponse(options, content_type="application/json"))


@require_POST
def passkey_signin(request: HttpRequest) -> HttpResponse:
    try:
        ratelimit.enforce(ratelimit.LOGIN, request)
    except RateLimited as exc:
        refused = JsonResponse({"error": "rate_limited", "message": str(exc)}, status=429)
        refused["Retry-After"] = str(exc.retry_after)
        return refused
    credential, _name = _credential(request)
    state = signin.pending(request, signin.VERIFY)
    try:
        asserted = passkeys.authenticate(request.session, credential)
    except ServiceError as exc:
        return _refused(exc)
    user = asserted.user
    if state is not None and state.user.pk == user.pk:
        response = signin.finish_pending(request, state, factor="passkey")
        return JsonResponse({"redirect": response["Location"]})
    if not (user.is_active and user.is_staff):
        return JsonResponse({"error": "forbidden", "message": "Passkeys sign in admins only."}, status=403)
    # A passkey with user verification is two factors in one: nothing more is asked.
    audit.record(Actor.admin(user, client_ip(request)), "admin.sign_in", user, method="passkey")
    signin.complete(request, user, method="passkey")
    return JsonResponse({"redirect": landing_for(user, request)})


@require_POST
def enrol_passkey_options(request: HttpRequest) -> HttpResponse:
    state = signin.pending(request, signin.ENROL)
    if state is None:
        return JsonResponse({"error": "unauthorized", "message": "Sign in again."}, status=401)
    return _no_store(
        HttpResponse(passkeys.registration_options(request.session, state.user), content_type="application/json")
    )


@require_POST
def enrol_passkey(request: HttpRequest) -> HttpResponse:
    state = signin.pending(request, signin.ENROL)
    if state is None:
        return JsonResponse({"error": "unauthorized", "message": "Sign in again."}, status=401)
    credential, name = _credential(request)
    try:
        passkeys.register(
            request.session, state.user, credential, name, actor=Actor.admin(state.user, client_ip(request))
        )
    except ServiceError as exc:
        return _refused(exc)
    response = signin.finish_pending(request, state, factor="passkey")
    return JsonResponse({"redirect": response["Location"]})
