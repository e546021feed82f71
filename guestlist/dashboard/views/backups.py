"""Settings → Backups: the scheduled backup's settings and its last result."""

from __future__ import annotations

import shutil

from django.contrib import messages
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guestlist.core.errors import ServiceError
from guestlist.core.models import SiteSettings
from guestlist.core.scheduled_backup import backup_folder
from guestlist.dashboard.forms.settings import BackupSettingsForm
from guestlist.dashboard.views.common import actor, dashboard_view, form_error
from guestlist.jobs.models import JobStatus
from guestlist.members.site_settings import update_site_settings


@dashboard_view
@require_http_methods(["GET", "POST"])
def settings_backups(request: HttpRequest) -> HttpResponse:
    site = SiteSettings.load()
    form = BackupSettingsForm(
        request.POST if request.method == "POST" else None, initial=BackupSettingsForm.initial_from(site)
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_site_settings(form.site_changes(), actor=actor(request))
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Backup settings saved."))
            return redirect("settings-backups")
    postgres = connection.vendor == "postgresql"
    return render(
        request,
        "dashboard/settings/backups.html",
        {
            "nav": "settings",
            "tab": "backups",
            "form": form,
            "folder": backup_folder(site),
            "last": JobStatus.objects.filter(name="backup").first(),
            "postgres": postgres,
            "pg_dump": shutil.which("pg_dump") if postgres else None,
        },
    )
