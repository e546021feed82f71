"""Who watches: a server's last-seen sources (Tautulli) on the connection page, the inactivity
rule's settings with its preview, and a member's exemption from it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guestlist.core.errors import ServiceError
from guestlist.core.models import SiteSettings
from guestlist.dashboard.forms.activity import InactivityForm
from guestlist.dashboard.views.common import actor, dashboard_view, form_error, report
from guestlist.members import activity, inactivity
from guestlist.members.models import Member
from guestlist.members.site_settings import update_site_settings
from guestlist.plex.models import MediaServer


@dashboard_view
@require_POST
def server_tautulli(request: HttpRequest, server_id: int) -> HttpResponse:
    server = MediaServer.objects.filter(pk=server_id).first()
    if server is None:
        raise Http404
    disconnect = request.POST.get("action") == "disconnect"
    url = "" if disconnect else request.POST.get("tautulli_url", "")[:600]
    # An empty key field keeps the stored key: it is never shown again after saving.
    key = request.POST.get("tautulli_api_key", "")[:200].strip() or None
    try:
        activity.set_tautulli(server, url=url, api_key=key, actor=actor(request))
    except ServiceError as exc:
        report(request, exc)
    else:
        if url:
            messages.success(request, _("Tautulli is connected to %(server)s.") % {"server": server})
        else:
            messages.success(request, _("Tautulli is no longer used for %(server)s.") % {"server": server})
    return redirect("settings")


def _preview_rule(request: HttpRequest, site: SiteSettings) -> inactivity.Rule:
    """The saved rule, or the numbers in the address (``?days=&grace=``) to try before saving."""
    form = PreviewForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    return inactivity.Rule(
        days=data.get("days") or site.inactivity_days, grace_days=data.get("grace") or site.inactivity_grace_days
    )


class PreviewForm(forms.Form):
    days = forms.IntegerField(required=False, min_value=7, max_value=3650)
    grace = forms.IntegerField(required=False, min_value=1, max_value=365)


@dashboard_view
@require_http_methods(["GET", "POST"])
def settings_inactivity(request: HttpRequest) -> HttpResponse:
    site = SiteSettings.load()
    form = InactivityForm(request.POST if request.method == "POST" else None, initial=InactivityForm.initial_from(site))
    if request.method == "POST" and form.is_valid():
        try:
            update_site_settings(form.site_changes(), actor=actor(request))
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Inactivity rule saved."))
            return redirect("settings-inactivity")
    rule = _preview_rule(request, site)
    context = {
        "nav": "settings",
        "tab": "inactivity",
        "form": form,
        "enabled": site.inactivity_enabled,
        "rule": rule,
        "plan": inactivity.plan(rule=rule),
    }
    return render(request, "dashboard/settings/inactivity.html", context)


@dashboard_view
@require_POST
def member_inactivity_exempt(request: HttpRequest, member_id: int) -> HttpResponse:
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        raise Http404
    exempt = request.POST.get("exempt") == "1"
    inactivity.set_exempt(member, exempt, actor=actor(request))
    if exempt:
        messages.success(request, _("The inactivity rule leaves %(name)s alone.") % {"name": member})
    else:
        messages.success(request, _("The inactivity rule applies to %(name)s again.") % {"name": member})
    return redirect("member-detail", member_id=member.pk)
