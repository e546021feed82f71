"""Invite requests on the dashboard: the list, one request (approve or decline), the settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guestlist.core.errors import ServiceError
from guestlist.core.labels import REQUEST_FILTERS
from guestlist.core.paging import pagination, requested_page
from guestlist.dashboard.forms.invite_requests import ApproveForm, DeclineForm, RequestSettingsForm
from guestlist.dashboard.views.common import PAGE_SIZE, actor, admin_user, dashboard_view, form_error, report
from guestlist.invite_requests import erasure, services
from guestlist.invites.qr import invite_url
from guestlist.members.permissions import Caller


def _caller(request: HttpRequest) -> Caller:
    return Caller.admin(actor(request), admin_user(request))


@dashboard_view
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "pending")
    if status not in services.STATUS_FILTERS:
        status = "pending"
    page = services.list_requests(_caller(request), status=status, page=requested_page(request), page_size=PAGE_SIZE)
    found = services.counts()
    context: dict[str, Any] = {
        "nav": "requests",
        "status": status,
        "tabs": [(name, label, found[name]) for name, label in REQUEST_FILTERS.items()],
        "rows": page.items,
        "total": page.total,
        "enabled": services.request_settings().enabled,
        **pagination(request, page.page, page.total, page.page_size),
    }
    return render(request, "dashboard/requests/list.html", context)


@dashboard_view
@require_GET
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    found = services.get_for(_caller(request), request_id)
    context = {
        "nav": "requests",
        "asked": found,
        "approve_form": ApproveForm(mail_ready=services.mail_ready()),
        "decline_form": DeclineForm(initial={"send_mail": services.mail_ready()}),
        "mail_ready": services.mail_ready(),
        "invite_link": invite_url(found.invite.code) if found.invite is not None else None,
        "same_address": services.requests_queryset().filter(email=found.email).exclude(pk=found.pk).count()
        if found.email
        else 0,
    }
    return render(request, "dashboard/requests/detail.html", context)


@dashboard_view
@require_POST
def request_approve(request: HttpRequest, request_id: int) -> HttpResponse:
    form = ApproveForm(request.POST, mail_ready=services.mail_ready())
    if not form.is_valid():
        messages.error(request, form.problem())
        return redirect("request-detail", request_id=request_id)
    try:
        decision = services.approve(
            _caller(request),
            request_id,
            template_id=form.cleaned_data["template"],
            send_mail=bool(form.cleaned_data.get("send_mail")),
            server_ids=form.server_ids(),
        )
    except ServiceError as exc:
        report(request, exc)
    else:
        if decision.mailed:
            messages.success(request, _("Approved. The invite is on its way by e-mail."))
        else:
            messages.success(request, _("Approved. Copy the invite's link below and send it yourself."))
    return redirect("request-detail", request_id=request_id)


@dashboard_view
@require_POST
def request_decline(request: HttpRequest, request_id: int) -> HttpResponse:
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The message is too long."))
        return redirect("request-detail", request_id=request_id)
    try:
        services.decline(
            _caller(request),
            request_id,
            message=form.cleaned_data["message"],
            send_mail=bool(form.cleaned_data.get("send_mail")),
        )
    except ServiceError as exc:
        report(request, exc)
    else:
        messages.success(request, _("Declined."))
    return redirect("request-detail", request_id=request_id)


@dashboard_view
@require_POST
def request_erase(request: HttpRequest, request_id: int) -> HttpResponse:
    found = services.get_for(_caller(request), request_id)
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Tick the box to confirm."))
        return redirect("request-detail", request_id=request_id)
    try:
        count = erasure.erase_requests(found.email, actor=actor(request)) if found.email else 0
    except ServiceError as exc:
        report(request, exc)
        return redirect("request-detail", request_id=request_id)
    messages.success(request, _("Erased the personal data of %(count)s request(s).") % {"count": count})
    return redirect("requests")


@dashboard_view
@require_http_methods(["GET", "POST"])
def settings_requests(request: HttpRequest) -> HttpResponse:
    found = services.request_settings()
    initial = {"enabled": found.enabled, "questions": "\n".join(found.questions or [])}
    form = RequestSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_settings(
                {"enabled": form.cleaned_data["enabled"], "questions": form.question_list()}, actor=actor(request)
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Invite request settings saved."))
            return redirect("settings-requests")
    return render(request, "dashboard/settings/requests.html", {"nav": "settings", "tab": "requests", "form": form})
