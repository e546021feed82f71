"""The setup wizard's Plex steps, after the owner exists; re-runnable from Settings.

Step 2 connects Plex: sign in with Plex and pick a server, or type its URL and a token.
Step 3 chooses the defaults and the sign-up switch. The Plex sign-in's id lives in the
admin's session, so a sign-in started in one browser cannot be finished from another.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from guestlist.core.errors import ServiceError
from guestlist.core.models import SiteSettings
from guestlist.dashboard.forms.settings import DefaultsForm, ManualConnectForm, ServerChoiceForm
from guestlist.dashboard.views.common import actor, dashboard_view, form_error, is_htmx, report
from guestlist.dashboard.views.settings import save_defaults
from guestlist.plex import services as plex
from guestlist.plex import setup_signin
from guestlist.plex.errors import PlexError
from guestlist.plex.models import MediaServer

SESSION_KEY = "guestlist_plex_setup_pin"


def _connected(request: HttpRequest, outcome: plex.ConnectOutcome) -> HttpResponse:
    server = outcome.server
    count = server.libraries.filter(is_present=True).count()
    messages.success(
        request,
        ngettext(
            "Connected to %(server)s with %(count)s library.",
            "Connected to %(server)s with %(count)s libraries.",
            count,
        )
        % {"server": server, "count": count},
    )
    return redirect("setup-defaults")


@dashboard_view
@require_http_methods(["GET", "POST"])
def setup_plex(request: HttpRequest) -> HttpResponse:
    form = ManualConnectForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = plex.connect_server(
                form.cleaned_data["url"],
                form.cleaned_data["token"],
                name=form.cleaned_data["name"] or None,
                actor=actor(request),
            )
        except PlexError as exc:
            form_error(form, plex.as_service_error(exc))
        except ServiceError as exc:
            form_error(form, exc)
        else:
            return _connected(request, outcome)
    return render(
        request,
        "dashboard/setup/plex.html",
        {"nav": "settings", "form": form, "servers": list(MediaServer.objects.all()), "step": 2},
    )


@dashboard_view
@require_POST
def setup_plex_signin(request: HttpRequest) -> HttpResponse:
    forward_url = f"{settings.BASE_URL}{reverse('setup-plex-servers')}"
    try:
        started = setup_signin.start(forward_url=forward_url)
    except ServiceError as exc:
        report(request, exc)
        return redirect("setup-plex")
    previous = request.session.get(SESSION_KEY)
    if previous:
        setup_signin.cancel(previous)
    request.session[SESSION_KEY] = started.pin.public_id
    # Plex's sign-in page lives on plex.tv; it sends the owner back to forward_url.
    return HttpResponseRedirect(started.auth_url)


@dashboard_view
@require_http_methods(["GET", "POST"])
def setup_plex_servers(request: HttpRequest) -> HttpResponse:
    public_id = request.session.get(SESSION_KEY)
    if not public_id:
        messages.info(request, _("Start by signing in with Plex."))
        return redirect("setup-plex")
    choice = ServerChoiceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and choice.is_valid():
        try:
            outcome = setup_signin.connect(
                public_id,
                choice.cleaned_data["machine_identifier"],
                url=choice.cleaned_data["url"],
                actor=actor(request),
            )
        except ServiceError as exc:
            form_error(choice, exc)
        else:
            request.session.pop(SESSION_KEY, None)
            return _connected(request, outcome)
    try:
        result = setup_signin.poll(public_id)
    except ServiceError as exc:
        request.session.pop(SESSION_KEY, None)
        report(request, exc)
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("setup-plex")
            return response
        return redirect("setup-plex")
    if is_htmx(request):
        if result.waiting:
            return render(request, "dashboard/setup/servers.html#waiting", {})
        # Signed in: show the whole page with the servers.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(
        request,
        "dashboard/setup/servers.html",
        {"nav": "settings", "result": result, "choice": choice, "step": 2},
    )


@dashboard_view
@require_http_methods(["GET", "POST"])
def setup_defaults(request: HttpRequest) -> HttpResponse:
    servers = list(MediaServer.objects.all())
    if not servers:
        messages.info(request, _("Connect a Plex server first."))
        return redirect("setup-plex")
    form = DefaultsForm(
        request.POST if request.method == "POST" else None,
        initial=DefaultsForm.initial_from(SiteSettings.load(), servers),
        servers=servers,
    )
    if request.method == "POST" and form.is_valid() and save_defaults(request, form):
        messages.success(request, _("Guestlist is ready. Create your first invite."))
        return redirect("dashboard")
    return render(request, "dashboard/setup/defaults.html", {"nav": "settings", "form": form, "step": 3})
