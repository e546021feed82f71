"""A member's rights on the owner's member page: permissions, invite quota and trial.

The same services as the member API (``members.self_service``), called as the signed-in admin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guestlist.core.errors import ServiceError
from guestlist.dashboard.views.common import actor, admin_user, dashboard_view, report
from guestlist.members import self_service
from guestlist.members.forms import PermissionsForm, QuotaForm, TrialForm
from guestlist.members.models import Member
from guestlist.members.permissions import Caller


def _caller(request: HttpRequest) -> Caller:
    return Caller.admin(actor(request), admin_user(request))


def rights_context(member: Member) -> dict[str, Any]:
    state = self_service.member_state(member)
    return {
        "rights": state,
        "permissions_form": PermissionsForm(initial={"permissions": state["permissions"]}, prefix="rights"),
        "quota_form": QuotaForm(initial={"limit": member.invite_quota_limit, "days": member.invite_quota_days}),
    }


def _act(request: HttpRequest, member_id: int, action: Callable[[], object], done: str) -> HttpResponse:
    try:
        action()
    except ServiceError as exc:
        report(request, exc)
    else:
        messages.success(request, done)
    return redirect("member-detail", member_id=member_id)


@dashboard_view
@require_POST
def member_permissions(request: HttpRequest, member_id: int) -> HttpResponse:
    form = PermissionsForm(request.POST, prefix="rights")
    chosen = form.cleaned_data["permissions"] if form.is_valid() else []
    return _act(
        request,
        member_id,
        lambda: self_service.set_permissions(_caller(request), member_id, list(chosen)),
        _("Permissions saved."),
    )


@dashboard_view
@require_POST
def member_quota(request: HttpRequest, member_id: int) -> HttpResponse:
    form = QuotaForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the quota's numbers."))
        return redirect("member-detail", member_id=member_id)
    data = form.cleaned_data
    return _act(
        request,
        member_id,
        lambda: self_service.set_quota(_caller(request), member_id, data["limit"], data["days"]),
        _("Quota saved."),
    )


@dashboard_view
@require_POST
def member_trial(request: HttpRequest, member_id: int) -> HttpResponse:
    form = TrialForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say how many days."))
        return redirect("member-detail", member_id=member_id)
    data = form.cleaned_data
    return _act(
        request,
        member_id,
        lambda: self_service.trial_action(_caller(request), member_id, data["action"], days=data["days"]),
        _("Trial updated."),
    )
