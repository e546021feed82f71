"""Security: the signed-in admin's password, second factors and sessions; for the owner,
the rule that every admin needs a second factor, and single sign-on."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guestlist.accounts import factors, oidc, passkeys, passwords, sessions
from guestlist.accounts.models import Passkey, SignInSettings
from guestlist.core import shown_once
from guestlist.core.errors import ServiceError
from guestlist.core.labels import error_message
from guestlist.dashboard.forms.security import CodeForm, PasswordChangeForm, RequireSecondFactorForm, SingleSignOnForm
from guestlist.dashboard.views.common import actor, admin_user, dashboard_view, form_error, report

MAX_CREDENTIAL_BYTES = 64 * 1024
RECOVERY_CODES = "recovery_codes"


def _page(request: HttpRequest, **extra: object) -> HttpResponse:
    user = admin_user(request)
    context = {
        "nav": "settings",
        "tab": "security",
        "has_totp": factors.has_totp(user),
        "totp_pending": factors.pending_totp(user) is not None,
        "passkeys": list(Passkey.objects.filter(user=user)),
        "recovery_left": factors.recovery_codes_left(user),
        "has_second_factor": factors.has_second_factor(user),
        "sessions": sessions.list_for(user, current_key=request.session.session_key),
        "password_form": PasswordChangeForm(user=user),
        "require_form": RequireSecondFactorForm(
            initial={"require_second_factor": SignInSettings.load().require_second_factor}
        ),
        "is_owner": user.is_superuser,
        **extra,
    }
    response = render(request, "dashboard/settings/security.html", context)
    response["Cache-Control"] = "no-store"
    return response


@dashboard_view
@require_GET
def security(request: HttpRequest) -> HttpResponse:
    return _page(request)


@dashboard_view
@require_POST
def password_change(request: HttpRequest) -> HttpResponse:
    user = admin_user(request)
    form = PasswordChangeForm(request.POST, user=user)
    if not form.is_valid():
        return _page(request, password_form=form, error_form=form)
    passwords.change_password(user, form.cleaned_data["password"], actor=actor(request))
    # This browser stays signed in; every other session of this admin ends.
    update_session_auth_hash(request, user)
    sessions.end_others(user, keep=request.session.session_key)
    messages.success(request, _("Password changed. Your other sessions were signed out."))
    return redirect("settings-security")


@dashboard_view
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    user = admin_user(request)
    if factors.has_totp(user):
        return redirect("settings-security")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = factors.confirm_totp(user, form.cleaned_data["code"], actor=actor(request))
        except ServiceError as exc:
            form_error(form, exc)
        else:
            return _show_codes_next(request, codes)
    enrolment = factors.pending_totp(user) if request.method == "POST" else None
    enrolment = enrolment or factors.start_totp(user)
    response = render(
        request,
        "dashboard/settings/totp_setup.html",
        {"nav": "settings", "tab": "security", "form": form, "enrolment": enrolment},
        status=422 if form.errors else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


@dashboard_view
@require_POST
def totp_remove(request: HttpRequest) -> HttpResponse:
    try:
        factors.remove_totp(admin_user(request), actor=actor(request), keep_session=request.session.session_key)
    except ServiceError as exc:
        report(request, exc)
    else:
        messages.success(request, _("The authenticator app was removed. Your other sessions were signed out."))
    return redirect("settings-security")


def _show_codes_next(request: HttpRequest, codes: list[str]) -> HttpResponse:
    """Post/Redirect/Get: the next page shows the new codes once; reloading makes no others."""
    shown_once.keep(request, RECOVERY_CODES, "\n".join(codes))
    return redirect("settings-recovery-codes")


@dashboard_view
@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """POST: ten new codes (the old ones stop working). GET: the new codes, once."""
    if request.method == "POST":
        try:
            codes = factors.regenerate_recovery_codes(admin_user(request), actor=actor(request))
        except ServiceError as exc:
            report(request, exc)
            return redirect("settings-security")
        return _show_codes_next(request, codes)
    kept = shown_once.take(request, RECOVERY_CODES)
    if kept is None:
        return redirect("settings-security")
    response = render(
        request, "accounts/recovery_codes.html", {"codes": kept.split("\n"), "nav": "settings", "tab": "security"}
    )
    response["Cache-Control"] = "no-store"
    return response


@dashboard_view
@require_POST
def passkey_options(request: HttpRequest) -> HttpResponse:
    options = passkeys.registration_options(request.session, admin_user(request))
    return HttpResponse(options, content_type="application/json", headers={"Cache-Control": "no-store"})


@dashboard_view
@require_POST
def passkey_add(request: HttpRequest) -> HttpResponse:
    if len(request.body) > MAX_CREDENTIAL_BYTES:
        return JsonResponse({"error": "invalid", "message": "Too large."}, status=413)
    try:
        body = json.loads(request.body or b"{}")
        credential, name = json.dumps(body["credential"]), str(body.get("name", ""))
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "invalid", "message": "The passkey answer is not readable."}, status=422)
    try:
        passkey = passkeys.register(request.session, admin_user(request), credential, name, actor=actor(request))
    except ServiceError as exc:
        return JsonResponse({"error": exc.code, "message": exc.message}, status=exc.status)
    messages.success(request, _("Passkey “%(name)s” added.") % {"name": passkey.name})
    return JsonResponse({"redirect": reverse("settings-security")})


@dashboard_view
@require_POST
def passkey_rename(request: HttpRequest, passkey_id: int) -> HttpResponse:
    try:
        passkeys.rename(admin_user(request), passkey_id, request.POST.get("name", ""), actor=actor(request))
    except ServiceError as exc:
        report(request, exc)
    return redirect("settings-security")


@dashboard_view
@require_POST
def passkey_remove(request: HttpRequest, passkey_id: int) -> HttpResponse:
    try:
        factors.remove_passkey(
            admin_user(request), passkey_id, actor=actor(request), keep_session=request.session.session_key
        )
    except ServiceError as exc:
        report(request, exc)
    else:
        messages.success(request, _("The passkey was removed. Your other sessions were signed out."))
    return redirect("settings-security")


@dashboard_view
@require_POST
def sessions_end(request: HttpRequest) -> HttpResponse:
    """ "Sign out everywhere" (else): one session by id, or every other one."""
    user = admin_user(request)
    session_id = request.POST.get("session", "")
    if session_id.isdigit():
        sessions.end_one(user, int(session_id))
        messages.success(request, _("That session was signed out."))
    else:
        count = sessions.end_others(user, keep=request.session.session_key)
        messages.success(request, _("Signed out everywhere else (%(count)s sessions).") % {"count": count})
    return redirect("settings-security")


def _owner_only(request: HttpRequest) -> HttpResponse | None:
    if not admin_user(request).is_superuser:
        return render(
            request,
            "error.html",
            {"title": _("Owner only"), "message": _("Only the server's owner changes how admins sign in.")},
            status=403,
        )
    return None


@dashboard_view
@require_POST
def require_second_factor(request: HttpRequest) -> HttpResponse:
    refused = _owner_only(request)
    if refused:
        return refused
    form = RequireSecondFactorForm(request.POST)
    form.is_valid()
    wanted = bool(form.cleaned_data.get("require_second_factor"))
    if wanted and not factors.has_second_factor(admin_user(request)):
        messages.error(request, _("Set up a second factor for yourself first, so you cannot lock yourself out."))
        return redirect("settings-security")
    oidc.update_settings({"require_second_factor": wanted}, actor=actor(request))
    messages.success(
        request,
        _("Every admin now needs a second factor.") if wanted else _("A second factor is optional again."),
    )
    return redirect("settings-security")


@dashboard_view
@require_http_methods(["GET", "POST"])
def single_sign_on(request: HttpRequest) -> HttpResponse:
    refused = _owner_only(request)
    if refused:
        return refused
    form = SingleSignOnForm(request.POST or None, initial=SingleSignOnForm.initial_from(SignInSettings.load()))
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            oidc.update_settings(changes, actor=actor(request))
        except ServiceError as exc:
            form.add_error(None, error_message(exc))
        else:
            messages.success(request, _("Single sign-on settings saved."))
            return redirect("settings-sso")
    return render(
        request,
        "dashboard/settings/sso.html",
        {
            "nav": "settings",
            "tab": "security",
            "form": form,
            "secret_saved": bool(SignInSettings.load().oidc_client_secret),
            "redirect_uri": oidc.redirect_uri(),
        },
    )
