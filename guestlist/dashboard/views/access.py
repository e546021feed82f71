"""Who may act: API keys (shown once), admins, and what everyone did (the audit log)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guestlist.accounts import services as accounts
from guestlist.accounts.forms import OwnerForm
from guestlist.accounts.models import ApiKey
from guestlist.core import shown_once
from guestlist.core.audit import AuditQuery, known_actions, search_events
from guestlist.core.errors import ServiceError
from guestlist.core.labels import AUDIT_ACTIONS
from guestlist.core.paging import page_count
from guestlist.dashboard.forms.settings import ApiKeyForm, AuditFilterForm
from guestlist.dashboard.views.common import (
    actor,
    admin_user,
    dashboard_view,
    day_start,
    form_error,
    report,
)

AUDIT_PAGE_SIZE = 50


@dashboard_view
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            created = accounts.create_api_key(
                form.cleaned_data["name"], created_by=admin_user(request), actor=actor(request)
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            shown_once.keep(request, "api_key", created)
            return redirect("settings-api-keys")
    new_key = shown_once.take(request, "api_key")
    response = render(
        request,
        "dashboard/settings/api_keys.html",
        {
            "nav": "settings",
            "tab": "api_keys",
            "form": form,
            "new_key": new_key,
            "keys": ApiKey.objects.select_related("created_by"),
        },
    )
    # The new key is in this page only; no cache may keep a copy.
    response["Cache-Control"] = "no-store"
    return response


@dashboard_view
@require_POST
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = ApiKey.objects.filter(pk=key_id).first()
    if key is None:
        raise Http404
    accounts.revoke_api_key(key, actor=actor(request))
    messages.success(request, _("API key “%(name)s” revoked; it stops working now.") % {"name": key.name})
    return redirect("settings-api-keys")


@dashboard_view
@require_http_methods(["GET", "POST"])
def admins(request: HttpRequest) -> HttpResponse:
    form = OwnerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.create_admin(
                form.cleaned_data["username"],
                form.cleaned_data["password"],
                email=form.cleaned_data["email"],
                actor=actor(request),
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("%(name)s is now an admin.") % {"name": user.get_username()})
            return redirect("settings-admins")
    return render(
        request,
        "dashboard/settings/admins.html",
        {
            "nav": "settings",
            "tab": "admins",
            "form": form,
            "admins": User.objects.filter(is_staff=True).order_by("-is_superuser", "username"),
        },
    )


@dashboard_view
@require_POST
def admin_remove(request: HttpRequest, user_id: int) -> HttpResponse:
    user = User.objects.filter(pk=user_id, is_staff=True).first()
    if user is None:
        raise Http404
    name = user.get_username()
    try:
        accounts.remove_admin(user, actor=actor(request))
    except ServiceError as exc:
        report(request, exc)
    else:
        messages.success(request, _("%(name)s is no longer an admin.") % {"name": name})
    return redirect("settings-admins")


@dashboard_view
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    actions = known_actions()
    prefixes = sorted({action.split(".")[0] + "." for action in actions})
    choices = [(prefix, _("Everything about %(kind)s") % {"kind": prefix.rstrip(".")}) for prefix in prefixes] + [
        (action, str(AUDIT_ACTIONS.get(action, action))) for action in actions
    ]
    form = AuditFilterForm(request.GET, actions=choices)
    data = form.cleaned_data if form.is_valid() else {}
    until = data.get("until")
    events = search_events(
        AuditQuery(
            action=data.get("action") or "",
            actor_kind=data.get("actor_kind") or "",
            search=data.get("search") or "",
            since=day_start(data.get("since")),
            until=day_start(until + timedelta(days=1)) if until else None,
        )
    )
    total = events.count()
    pages = page_count(total, AUDIT_PAGE_SIZE)
    page = min(data.get("page") or 1, pages)
    offset = (page - 1) * AUDIT_PAGE_SIZE
    return render(
        request,
        "dashboard/settings/audit.html",
        {
            "nav": "settings",
            "tab": "audit",
            "form": form,
            "events": list(events[offset : offset + AUDIT_PAGE_SIZE]),
            "total": total,
            "page": page,
            "pages": pages,
        },
    )
