"""Invite templates: named presets of settings, offered in the create form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guestlist.core.durations import as_amount_and_unit
from guestlist.core.errors import NotFound, ServiceError
from guestlist.dashboard.forms.invites import InviteSettingsForm, InviteTemplateForm
from guestlist.dashboard.views.common import actor, dashboard_view, form_error
from guestlist.invites import invite_templates
from guestlist.invites.models import InviteTemplate
from guestlist.plex.models import MediaServer


def _template_or_404(template_id: int) -> InviteTemplate:
    try:
        return invite_templates.get_template(template_id)
    except NotFound:
        raise Http404 from None


def _initial(template: InviteTemplate, servers: list[MediaServer]) -> dict[str, Any]:
    settings = invite_templates.template_settings(template)
    initial = InviteSettingsForm.initial_for(settings, [server.pk for server in servers])
    amount, unit = as_amount_and_unit(settings["expires_in_days"])
    initial.update(name=template.name, expires_amount=amount, expires_unit=unit)
    return initial


@dashboard_view
@require_http_methods(["GET", "POST"])
def template_list(request: HttpRequest) -> HttpResponse:
    servers = list(MediaServer.objects.all())
    form = InviteTemplateForm(
        request.POST if request.method == "POST" else None,
        initial={"usage_limit": 1, "expires_unit": "never", "membership_unit": "never"},
        servers=servers,
    )
    if request.method == "POST" and form.is_valid():
        try:
            template = invite_templates.create_template(
                form.cleaned_data["name"], form.template_settings(), actor=actor(request)
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Template “%(name)s” saved.") % {"name": template.name})
            return redirect("invite-templates")
    return render(
        request,
        "dashboard/invites/templates.html",
        {"nav": "invites", "templates": InviteTemplate.objects.all(), "form": form},
    )


@dashboard_view
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    template = _template_or_404(template_id)
    servers = list(MediaServer.objects.all())
    form = InviteTemplateForm(
        request.POST if request.method == "POST" else None, initial=_initial(template, servers), servers=servers
    )
    if request.method == "POST" and form.is_valid():
        try:
            invite_templates.update_template(
                template, form.cleaned_data["name"], form.template_settings(), actor=actor(request)
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Template “%(name)s” saved.") % {"name": template.name})
            return redirect("invite-templates")
    return render(
        request, "dashboard/invites/template_edit.html", {"nav": "invites", "template": template, "form": form}
    )


@dashboard_view
@require_POST
def template_delete(request: HttpRequest, template_id: int) -> HttpResponse:
    template = _template_or_404(template_id)
    name = template.name
    invite_templates.delete_template(template, actor=actor(request))
    messages.success(request, _("Template “%(name)s” deleted.") % {"name": name})
    return redirect("invite-templates")
