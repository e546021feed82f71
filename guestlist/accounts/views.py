from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guestlist.accounts import services
from guestlist.accounts.forms import OwnerForm
from guestlist.accounts.setup import check_setup_token, close_setup
from guestlist.core import ratelimit
from guestlist.core.audit import Actor
from guestlist.core.errors import ServiceError

_login = LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponseBase:
    if request.method == "POST":
        verdict = ratelimit.hit(ratelimit.LOGIN, ratelimit.client_ip(request))
        if not verdict.allowed:
            response = render(
                request,
                "error.html",
                {
                    "title": _("Too many sign-in attempts"),
                    "message": _("Wait %(seconds)s seconds, then try again.") % {"seconds": verdict.retry_after},
                },
                status=429,
            )
            response["Retry-After"] = str(verdict.retry_after)
            return response
    return _login(request)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


@require_http_methods(["GET", "POST"])
def setup_view(request: HttpRequest) -> HttpResponse:
    if services.owner_exists():
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
            user = services.create_admin(
                form.cleaned_data["username"],
                form.cleaned_data["password"],
                email=form.cleaned_data["email"],
                actor=Actor(Actor.system().kind, "setup wizard", None, ip),
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            close_setup()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! Now connect your Plex server."))
            return redirect("setup-plex")
    return render(request, "accounts/setup.html", {"form": form, "token": token})
