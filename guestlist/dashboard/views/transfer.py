"""Settings → Import (upload, preview, confirm), the members' CSV, erasing a former member.

The import runs in ``transfer.importer`` exactly as ``guestlist import`` runs it; the preview is
its dry run. Between preview and confirmation the upload waits in the data directory
(``transfer.uploads``), known to this admin's session only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guestlist.core.errors import ServiceError
from guestlist.dashboard.forms.transfer import EraseForm, ImportForm
from guestlist.dashboard.views.common import actor, dashboard_view, report
from guestlist.members.erasure import erase_member
from guestlist.plex.models import MediaServer
from guestlist.transfer import uploads
from guestlist.transfer.importer import pick_server, run_import
from guestlist.transfer.members_csv import members_csv
from guestlist.transfer.records import ImportSummary

SESSION_KEY = "transfer_import"
RESULT_KEY = "transfer_import_done"


def _page(request: HttpRequest, form: ImportForm, **extra: Any) -> HttpResponse:
    context = {"nav": "settings", "tab": "import", "form": form, "has_server": MediaServer.objects.exists(), **extra}
    return render(request, "dashboard/settings/import.html", context)


@dashboard_view
@require_http_methods(["GET", "POST"])
def settings_import(request: HttpRequest) -> HttpResponse:
    """POST: keep the upload and its dry run, then redirect. GET: the upload form, the open
    preview (Import now / Cancel) or, once, the result of the import just made."""
    servers = list(MediaServer.objects.all())
    if request.method == "GET":
        finished = request.session.pop(RESULT_KEY, None)
        if finished:
            return _page(request, ImportForm(servers=servers), summary=ImportSummary.from_dict(finished), done=True)
        pending = request.session.get(SESSION_KEY)
        if pending and pending.get("summary"):
            summary = ImportSummary.from_dict(pending["summary"])
            return _page(request, ImportForm(servers=servers), summary=summary, pending=pending)
    form = ImportForm(request.POST or None, request.FILES or None, servers=servers)
    if request.method != "POST" or not form.is_valid():
        return _page(request, form)
    _forget(request)
    token = ""
    try:
        server = form.cleaned_data.get("server") or pick_server()
        token = uploads.keep_upload(form.cleaned_data["file"].chunks())
        source = form.cleaned_data["source"]
        summary = run_import(source, uploads.upload_path(token), actor=actor(request), dry_run=True, server=server)
    except ServiceError as exc:
        uploads.discard(token)
        report(request, exc)
        return _page(request, form)
    request.session[SESSION_KEY] = {
        "token": token,
        "source": source,
        "server": server.pk,
        "name": form.cleaned_data["file"].name[:200],
        "summary": summary.as_dict(),
    }
    # Post/Redirect/Get: reloading the preview neither uploads nor reads the file again.
    return redirect("settings-import")


@dashboard_view
@require_POST
def settings_import_confirm(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(SESSION_KEY)
    if not pending or request.POST.get("token") != pending.get("token"):
        messages.error(request, _("That preview is no longer open; upload the file again."))
        return redirect("settings-import")
    try:
        server = pick_server(pending["server"])
        summary = run_import(
            pending["source"], uploads.upload_path(pending["token"]), actor=actor(request), server=server
        )
    except ServiceError as exc:
        report(request, exc)
        return redirect("settings-import")
    finally:
        _forget(request)
    messages.success(request, _("Import finished."))
    # Post/Redirect/Get: the next page shows what was imported, once; reloading imports nothing.
    request.session[RESULT_KEY] = summary.as_dict()
    return redirect("settings-import")


@dashboard_view
@require_POST
def settings_import_cancel(request: HttpRequest) -> HttpResponse:
    _forget(request)
    messages.info(request, _("Import cancelled; the uploaded file was removed."))
    return redirect("settings-import")


def _forget(request: HttpRequest) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        uploads.discard(str(pending.get("token", "")))


@dashboard_view
@require_GET
def members_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(members_csv(actor=actor(request)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="guestlist-members-{timezone.now():%Y%m%d-%H%M}.csv"'
    return response


@dashboard_view
@require_POST
def member_erase(request: HttpRequest, member_id: int) -> HttpResponse:
    form = EraseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm that their personal data is erased for good."))
        return redirect("member-detail", member_id=member_id)
    try:
        member = erase_member(member_id, actor=actor(request))
    except ServiceError as exc:
        report(request, exc)
    else:
        messages.success(request, _("Their personal data is erased; they are listed as %(name)s.") % {"name": member})
    return redirect("member-detail", member_id=member_id)
