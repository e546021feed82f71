"""Settings: the Plex connection's health, invite defaults and sign-up switches, the welcome text."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guestlist.core.errors import ServiceError
from guestlist.core.markdown import render_markdown
from guestlist.core.models import SiteSettings
from guestlist.dashboard.forms.settings import DefaultsForm, MembersSettingsForm, WelcomeForm
from guestlist.dashboard.views.common import actor, dashboard_view, form_error, is_htmx, report
from guestlist.jobs.models import JobStatus
from guestlist.members.site_settings import MAX_WELCOME_LENGTH, update_site_settings
from guestlist.notifications import notify
from guestlist.plex import services as plex
from guestlist.plex.errors import PlexError
from guestlist.plex.models import MediaServer


def _server_or_404(server_id: int) -> MediaServer:
    server = MediaServer.objects.filter(pk=server_id).first()
    if server is None:
        raise Http404
    return server


@dashboard_view
@require_GET
def settings_home(request: HttpRequest) -> HttpResponse:
    servers = list(MediaServer.objects.prefetch_related("libraries"))
    return render(
        request,
        "dashboard/settings/connection.html",
        {"nav": "settings", "tab": "connection", "servers": servers, "jobs": list(JobStatus.objects.order_by("name"))},
    )


@dashboard_view
@require_POST
def server_check(request: HttpRequest, server_id: int) -> HttpResponse:
    server = _server_or_404(server_id)
    try:
        health = notify.check_health(server)
    except PlexError as exc:
        report(request, plex.as_service_error(exc))
    else:
        if health.token_ok and health.server_ok:
            messages.success(
                request, _("%(server)s: the token is accepted and the server answers.") % {"server": server}
            )
        else:
            messages.error(request, _("%(server)s has a problem; see below what to do.") % {"server": server})
    server.refresh_from_db()
    if is_htmx(request):
        return render(request, "dashboard/settings/connection.html#server", {"server": server, "oob_messages": True})
    return redirect("settings")


@dashboard_view
@require_POST
def server_libraries(request: HttpRequest, server_id: int) -> HttpResponse:
    server = _server_or_404(server_id)
    try:
        count = plex.refresh_libraries(server, actor=actor(request))
    except PlexError as exc:
        report(request, plex.as_service_error(exc))
    else:
        messages.success(
            request,
            ngettext("%(server)s has %(count)s library.", "%(server)s has %(count)s libraries.", count)
            % {"server": server, "count": count},
        )
    return redirect("settings")


def save_defaults(request: HttpRequest, form: DefaultsForm) -> bool:
    """Store the defaults form; False (with the refusal on the form) when a service says no."""
    try:
        with transaction.atomic():
            update_site_settings(form.site_changes(), actor=actor(request))
            if "default_libraries" in form.fields:
                for server in form.servers:
                    keys = form.default_keys(server, form.cleaned_data["default_libraries"])
                    plex.set_default_libraries(server, keys, actor=actor(request))
    except ServiceError as exc:
        form_error(form, exc)
        return False
    return True


@dashboard_view
@require_http_methods(["GET", "POST"])
def settings_invites(request: HttpRequest) -> HttpResponse:
    servers = list(MediaServer.objects.all())
    form = DefaultsForm(
        request.POST if request.method == "POST" else None,
        initial=DefaultsForm.initial_from(SiteSettings.load(), servers),
        servers=servers,
    )
    if request.method == "POST" and form.is_valid() and save_defaults(request, form):
        messages.success(request, _("Invite settings saved."))
        return redirect("settings-invites")
    return render(request, "dashboard/settings/invites.html", {"nav": "settings", "tab": "invites", "form": form})


@dashboard_view
@require_http_methods(["GET", "POST"])
def settings_members(request: HttpRequest) -> HttpResponse:
    form = MembersSettingsForm(
        request.POST if request.method == "POST" else None,
        initial=MembersSettingsForm.initial_from(SiteSettings.load()),
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_site_settings(form.site_changes(), actor=actor(request))
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Member settings saved."))
            return redirect("settings-members")
    return render(request, "dashboard/settings/members.html", {"nav": "settings", "tab": "members", "form": form})


@dashboard_view
@require_http_methods(["GET", "POST"])
def settings_welcome(request: HttpRequest) -> HttpResponse:
    site = SiteSettings.load()
    form = WelcomeForm(
        request.POST if request.method == "POST" else None, initial={"welcome_markdown": site.welcome_markdown}
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_site_settings({"welcome_markdown": form.cleaned_data["welcome_markdown"]}, actor=actor(request))
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Welcome page saved."))
            return redirect("settings-welcome")
    text = form.data.get("welcome_markdown", site.welcome_markdown) if form.is_bound else site.welcome_markdown
    return render(
        request,
        "dashboard/settings/welcome.html",
        {"nav": "settings", "tab": "welcome", "form": form, "preview": render_markdown(text)},
    )


@dashboard_view
@require_POST
def welcome_preview(request: HttpRequest) -> HttpResponse:
    """The rendered text as redeemers will see it, without saving (the whole page without HTMX)."""
    form = WelcomeForm(request.POST)
    preview = render_markdown(request.POST.get("welcome_markdown", "")[:MAX_WELCOME_LENGTH])
    if is_htmx(request):
        return render(request, "dashboard/settings/welcome.html#preview", {"preview": preview})
    return render(
        request,
        "dashboard/settings/welcome.html",
        {"nav": "settings", "tab": "welcome", "form": form, "preview": preview},
    )
