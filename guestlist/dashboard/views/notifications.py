"""Settings → Notifications: the SMTP server, destinations, test sends and the delivery log.

Test buttons queue a message like any other; the job runner sends it within seconds and the
log shows the outcome (the web process never sends).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guestlist.core import shown_once
from guestlist.core.errors import ServiceError
from guestlist.core.labels import DELIVERY_STATES
from guestlist.dashboard.forms.notifications import DestinationForm, SendInviteForm, SmtpForm, TestMailForm
from guestlist.dashboard.views.common import actor, dashboard_view, form_error, report
from guestlist.invites import services as invites
from guestlist.notifications import delivery as queue
from guestlist.notifications import services
from guestlist.notifications.models import Delivery, Destination

LOG_SIZE = 50


def _page(request: HttpRequest, **extra: Any) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in DELIVERY_STATES:
        status = ""
    log = services.deliveries(status=status).select_related("destination")[:LOG_SIZE]
    context = {
        "nav": "settings",
        "tab": "notifications",
        "smtp": services.mail_server(),
        "smtp_form": SmtpForm.for_server(services.mail_server()),
        "test_form": TestMailForm(),
        "destination_form": DestinationForm(),
        "destinations": [
            {"row": item, "api": services.destination_as_api(item)} for item in services.list_destinations()
        ],
        "log": log,
        "status": status,
        "delivery_states": DELIVERY_STATES,
        **extra,
    }
    response = render(request, "dashboard/settings/notifications.html", context)
    response["Cache-Control"] = "no-store"  # a new webhook secret may be on it
    return response


def _destination_data(form: DestinationForm, *, editing: bool) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    if editing:
        data.pop("kind", None)
    kind = data.get("kind")
    if not data.get("url"):
        data.pop("url", None)
    if not data.get("email") or kind in ("apprise", "webhook"):
        data.pop("email", None)
    if kind == "email":
        data.pop("url", None)
    return data


def _new_secret(request: HttpRequest) -> dict[str, Any]:
    """The signing secret of the webhook just added, on the page after the redirect, once."""
    wanted = request.GET.get("secret_for", "")
    secret = shown_once.take(request, f"webhook_secret_{wanted}") if wanted.isdigit() else None
    if secret is None:
        return {}
    return {"new_secret": secret, "new_secret_for": Destination.objects.filter(pk=int(wanted)).first()}


@dashboard_view
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request, **_new_secret(request))
    form = DestinationForm(request.POST)
    if not form.is_valid():
        return _page(request, destination_form=form, error_form=form)
    try:
        saved = services.create_destination(_destination_data(form, editing=False), actor=actor(request))
    except ServiceError as exc:
        form_error(form, exc)
        return _page(request, destination_form=form, error_form=form)
    messages.success(request, _("Destination “%(name)s” added.") % {"name": saved.destination.name})
    if saved.secret:
        # Post/Redirect/Get: the next page shows the signing secret once.
        shown_once.keep(request, f"webhook_secret_{saved.destination.pk}", saved.secret)
        return redirect(reverse("settings-notifications") + f"?secret_for={saved.destination.pk}")
    return redirect("settings-notifications")


@dashboard_view
@require_POST
def smtp(request: HttpRequest) -> HttpResponse:
    form = SmtpForm(request.POST)
    if not form.is_valid():
        return _page(request, smtp_form=form, error_form=form)
    try:
        services.save_mail_server(dict(form.cleaned_data), actor=actor(request))
    except ServiceError as exc:
        form_error(form, exc)
        return _page(request, smtp_form=form, error_form=form)
    messages.success(request, _("Mail settings saved."))
    return redirect("settings-notifications")


@dashboard_view
@require_POST
def smtp_test(request: HttpRequest) -> HttpResponse:
    form = TestMailForm(request.POST)
    if not form.is_valid():
        return _page(request, test_form=form, error_form=form)
    try:
        services.test_mail(form.cleaned_data["email"], actor=actor(request))
    except ServiceError as exc:
        form_error(form, exc)
        return _page(request, test_form=form, error_form=form)
    messages.success(request, _("Test mail queued; the log below shows when it is sent."))
    return redirect("settings-notifications")


def _destination(destination_id: int) -> Destination:
    destination = Destination.objects.filter(pk=destination_id).first()
    if destination is None:
        raise Http404
    return destination


@dashboard_view
@require_http_methods(["GET", "POST"])
def destination_edit(request: HttpRequest, destination_id: int) -> HttpResponse:
    destination = _destination(destination_id)
    initial = {
        "name": destination.name,
        "email": destination.email,
        "url": destination.url if destination.kind == Destination.Kind.WEBHOOK else "",
        "language": destination.language,
        "events": destination.events,
    }
    form = DestinationForm(request.POST if request.method == "POST" else None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = _destination_data(form, editing=True)
        if destination.kind != Destination.Kind.EMAIL:
            data.pop("email", None)
        else:
            data.pop("url", None)
        try:
            services.update_destination(destination, data, actor=actor(request))
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Destination “%(name)s” saved.") % {"name": destination.name})
            return redirect("settings-notifications")
    return render(
        request,
        "dashboard/settings/notification_edit.html",
        {"nav": "settings", "tab": "notifications", "form": form, "destination": destination},
    )


@dashboard_view
@require_POST
def destination_action(request: HttpRequest, destination_id: int, action: str) -> HttpResponse:
    destination = _destination(destination_id)
    who = actor(request)
    if action == "test":
        services.test_destination(destination, actor=who)
        messages.success(request, _("Test message queued; the log below shows when it is sent."))
    elif action in ("enable", "disable"):
        services.update_destination(destination, {"enabled": action == "enable"}, actor=who)
    elif action == "delete":
        services.delete_destination(destination, actor=who)
        messages.success(request, _("Destination “%(name)s” deleted.") % {"name": destination.name})
    else:
        raise Http404
    return redirect("settings-notifications")


@dashboard_view
@require_POST
def delivery_retry(request: HttpRequest, delivery_id: int) -> HttpResponse:
    found = Delivery.objects.filter(pk=delivery_id).first()
    if found is None:
        raise Http404
    queue.send_again(found, actor=actor(request))
    messages.success(request, _("Queued to be sent again."))
    return redirect("settings-notifications")


@dashboard_view
@require_POST
def invite_send(request: HttpRequest, invite_id: int) -> HttpResponse:
    invite = invites.get_invite(invite_id)
    form = SendInviteForm(request.POST)
    if form.is_valid():
        try:
            services.send_invite(
                invite,
                form.cleaned_data["email"],
                form.cleaned_data["message"],
                actor=actor(request),
                language=form.cleaned_data["language"],
            )
        except ServiceError as exc:
            report(request, exc)
        else:
            messages.success(
                request, _("The invite is on its way to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
    else:
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    return redirect("invite-detail", invite_id=invite.pk)
