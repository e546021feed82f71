"""Who watched when: a server's last-seen sources (Tautulli) on the connection page."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guestlist.core.errors import ServiceError
from guestlist.dashboard.views.common import actor, dashboard_view, report
from guestlist.members import activity
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
