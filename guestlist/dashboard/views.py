from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from guestlist.accounts.decorators import admin_required
from guestlist.core.middleware import needs_owner
from guestlist.plex.models import MediaServer


@needs_owner
@admin_required
def home(request: HttpRequest) -> HttpResponse:
    servers = list(MediaServer.objects.prefetch_related("libraries"))
    return render(request, "dashboard/home.html", {"servers": servers})
