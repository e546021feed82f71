"""The invites manager: list, create (one, many, from a template), details, edit, delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guestlist.core.durations import EXPIRY_UNITS, as_amount_and_unit
from guestlist.core.errors import NotFound, ServiceError
from guestlist.core.labels import INVITE_FILTERS
from guestlist.core.paging import page_count
from guestlist.dashboard.forms.invites import (
    InviteCreateForm,
    InviteEditForm,
    InviteFilterForm,
    InviteSettingsForm,
)
from guestlist.dashboard.forms.notifications import SendInviteForm
from guestlist.dashboard.views.common import (
    PAGE_SIZE,
    actor,
    admin_user,
    dashboard_view,
    day_end,
    day_start,
    form_error,
    is_htmx,
    report,
)
from guestlist.invites import bulk, invite_templates, onboarding, qr, services, status
from guestlist.invites.models import Invite, InviteTemplate, Redemption
from guestlist.members.models import Member
from guestlist.notifications import services as notification_services
from guestlist.plex import libraries
from guestlist.plex.models import MediaServer

EXPORT_LIMIT = 10000


def _invite_or_404(invite_id: int) -> Invite:
    try:
        return services.get_invite(invite_id)
    except NotFound:
        raise Http404 from None


def _filters(request: HttpRequest) -> tuple[InviteFilterForm, services.InviteQuery]:
    creators = list(
        Invite.objects.exclude(created_by_label="")
        .order_by("created_by_label")
        .values_list("created_by_label", flat=True)
        .distinct()
    )
    form = InviteFilterForm(request.GET, statuses=list(status.FILTERS), creators=creators)
    data = form.cleaned_data if form.is_valid() else {}
    query = services.InviteQuery(
        status=data.get("status") or "all",
        search=data.get("search") or "",
        created_by=data.get("created_by") or "",
        created_after=day_start(data.get("created_after")),
        created_before=day_end(data.get("created_before")),
        page=data.get("page") or 1,
        page_size=PAGE_SIZE,
    )
    return form, query


def _link(request: HttpRequest, **changes: Any) -> str:
    params: QueryDict = request.GET.copy()
    for key, value in changes.items():
        if value in (None, "", "all") and key in ("status", "page"):
            params.pop(key, None)
        else:
            params[key] = str(value)
    if "page" not in changes:
        params.pop("page", None)
    encoded = params.urlencode()
    return reverse("invites") + (f"?{encoded}" if encoded else "")


@dashboard_view
@require_GET
def invite_list(request: HttpRequest) -> HttpResponse:
    form, query = _filters(request)
    page = services.list_invites(query)
    now = timezone.now()
    pages = page_count(page.total, page.page_size)
    context = {
        "nav": "invites",
        "form": form,
        "query": query,
        "tabs": [(name, label, page.counts[name]) for name, label in INVITE_FILTERS.items()],
        "rows": [(invite, status.badges(invite, now), qr.invite_url(invite.code)) for invite in page.items],
        "total": page.total,
        "page": page.page,
        "pages": pages,
        "previous_url": _link(request, page=page.page - 1) if page.page > 1 else None,
        "next_url": _link(request, page=page.page + 1) if page.page < pages else None,
        "export_url": reverse("invites-export") + (f"?{request.GET.urlencode()}" if request.GET else ""),
        "has_server": MediaServer.objects.exists(),
        "oob": is_htmx(request),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "invite-results":
        return render(request, "dashboard/invites/list.html#results", context)
    return render(request, "dashboard/invites/list.html", context)


@dashboard_view
@require_GET
def invite_export(request: HttpRequest) -> HttpResponse:
    """The links of a batch (``?ids=``) or of the filtered list, as CSV."""
    ids = [
        int(part)
        for part in request.GET.get("ids", "").split(",")
        if part.strip().isdigit() and int(part) <= services.MAX_ID
    ]
    if ids:
        invites = Invite.objects.filter(pk__in=ids).order_by("created_at", "id")
    else:
        _form, query = _filters(request)
        invites = services.invite_queryset(query)
        if query.status != "all":
            invites = invites.filter(status.filter_q(query.status, timezone.now()))
        invites = invites.order_by("-created_at", "-id")
    response = HttpResponse(bulk.invites_csv(invites[:EXPORT_LIMIT]), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="guestlist-invites-{stamp}.csv"'
    return response


def _initial_from_template(template: InviteTemplate | None, servers: list[MediaServer]) -> dict[str, Any]:
    site_settings = invite_templates.template_settings(template) if template else services.defaults_from_settings()
    initial = InviteSettingsForm.initial_for(site_settings, [server.pk for server in servers])
    amount, unit = as_amount_and_unit(site_settings.get("expires_in_days"))
    initial.update(expires_amount=amount, expires_unit=unit, count=1)
    return initial


@dashboard_view
@require_http_methods(["GET", "POST"])
def invite_new(request: HttpRequest) -> HttpResponse:
    servers = list(MediaServer.objects.all())
    templates = list(InviteTemplate.objects.all())
    if request.method == "POST" and request.POST.get("mode") == "basic":
        try:
            invite = services.create_invite({}, actor=actor(request), created_by=admin_user(request))
        except ServiceError as exc:
            report(request, exc)
            return redirect("invite-new")
        messages.success(request, _("Invite %(code)s created with your defaults.") % {"code": invite.code})
        return redirect("invite-detail", invite_id=invite.pk)

    template = None
    if request.GET.get("template", "").isdigit():
        template = InviteTemplate.objects.filter(pk=int(request.GET["template"])).first()
    form = InviteCreateForm(
        request.POST if request.method == "POST" else None,
        initial=_initial_from_template(template, servers),
        servers=servers,
    )
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["save_as_template"].strip()
        try:
            invites, _template = invite_templates.create_invites_saving_template(
                form.invite_data(),
                form.cleaned_data["count"],
                template_name=name,
                template_data=form.template_settings(),
                actor=actor(request),
                created_by=admin_user(request),
            )
        except ServiceError as exc:
            if exc.code == "template_name_taken":
                form.add_error("save_as_template", _("A template with this name already exists."))
            else:
                form_error(form, exc)
        else:
            if name:
                messages.success(request, _("Template “%(name)s” saved.") % {"name": name})
            if len(invites) == 1:
                messages.success(request, _("Invite %(code)s created.") % {"code": invites[0].code})
                return redirect("invite-detail", invite_id=invites[0].pk)
            # Post/Redirect/Get: reloading the result page shows the batch again, never makes another.
            return redirect(reverse("invites-created") + "?ids=" + ",".join(str(i.pk) for i in invites))
    context = {
        "nav": "invites",
        "form": form,
        "servers": servers,
        "templates": templates,
        "template": template,
        "defaults": services.defaults_from_settings(),
        "advanced_open": request.method == "POST" or template is not None or "advanced" in request.GET,
        "expiry_units": EXPIRY_UNITS,
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "advanced-form":
        return render(request, "dashboard/invites/new.html#create_form", context)
    return render(request, "dashboard/invites/new.html", context)


@dashboard_view
@require_GET
def invites_created(request: HttpRequest) -> HttpResponse:
    """The result of creating several invites at once: what was made, their links, the CSV."""
    ids = [int(part) for part in request.GET.get("ids", "").split(",") if part.strip().isdigit()][: bulk.MAX_BULK]
    invites = list(Invite.objects.filter(pk__in=ids).select_related("server").order_by("created_at", "id"))
    if not invites:
        return redirect("invites")
    first = invites[0]
    return render(
        request,
        "dashboard/invites/batch.html",
        {
            "nav": "invites",
            "rows": [(invite, qr.invite_url(invite.code)) for invite in invites],
            "sample": first,
            "library_titles": libraries.titles(first.libraries, first.server_id),
            "export_url": reverse("invites-export") + "?ids=" + ",".join(str(i.pk) for i in invites),
        },
    )


def _detail_context(invite: Invite) -> dict[str, Any]:
    now = timezone.now()
    return {
        "invite": invite,
        "badges": status.badges(invite, now),
        "url": qr.invite_url(invite.code),
        "redeemable": status.is_redeemable(invite, now),
    }


@dashboard_view
@require_GET
def invite_detail(request: HttpRequest, invite_id: int) -> HttpResponse:
    invite = _invite_or_404(invite_id)
    members = list(Member.objects.filter(invite=invite).order_by("-created_at"))
    redemptions = list(Redemption.objects.filter(invite=invite).select_related("member").order_by("-created_at")[:200])
    context = {
        "nav": "invites",
        **_detail_context(invite),
        "members": members,
        "live_members": sum(1 for member in members if member.status in ("pending", "active", "removing")),
        "redemptions": redemptions,
        "library_titles": libraries.titles(invite.libraries, invite.server_id),
        # An invite naming several servers (issue 20 §3) lists each with its libraries.
        "invite_servers": [
            (choice.server, libraries.titles(choice.libraries, choice.server.pk))
            for choice in services.invite_servers(invite)
        ],
        "library_mode": invite.libraries if invite.libraries in (libraries.ALL, libraries.DEFAULT) else "specific",
        # The onboarding steps its redeemers see (issue 16): its own set, else the default one.
        "step_set": invite.step_set or onboarding.default_set(),
        "send_form": SendInviteForm(initial={"language": translation.get_language()}),
        "mail_ready": notification_services.mail_server().configured,
    }
    return render(request, "dashboard/invites/detail.html", context)


@dashboard_view
@require_http_methods(["GET", "POST"])
def invite_edit(request: HttpRequest, invite_id: int) -> HttpResponse:
    invite = _invite_or_404(invite_id)
    # Every connected server is offered, the invite's ticked with their libraries (issue 20).
    servers = list(MediaServer.objects.all())
    initial = InviteSettingsForm.initial_for(
        {
            "usage_limit": invite.usage_limit,
            "user_expires_in_days": invite.user_expires_in_days,
            "libraries": invite.libraries,
            "servers": [
                {"server_id": choice.server.pk, "libraries": choice.libraries}
                for choice in services.invite_servers(invite)
            ],
            **{name: getattr(invite, name) for name in services.BOOLEAN_FIELDS},
            "description": invite.description,
            "step_set_id": invite.step_set_id,
            "discord_gate": invite.discord_gate,
            "discord_role_ids": invite.discord_role_ids,
        },
        [invite.server_id],
    )
    initial["expires_at"] = timezone.localtime(invite.expires_at) if invite.expires_at else None
    form = InviteEditForm(request.POST if request.method == "POST" else None, initial=initial, servers=servers)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_invite(invite, form.changes(), actor=actor(request))
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Invite %(code)s saved.") % {"code": invite.code})
            return redirect("invite-detail", invite_id=invite.pk)
    return render(request, "dashboard/invites/edit.html", {"nav": "invites", "invite": invite, "form": form})


@dashboard_view
@require_POST
def invite_set_active(request: HttpRequest, invite_id: int) -> HttpResponse:
    invite = _invite_or_404(invite_id)
    active = request.POST.get("active") == "1"
    try:
        invite = services.set_active(invite, active, actor=actor(request))
    except ServiceError as exc:
        report(request, exc)
    else:
        if active:
            messages.success(request, _("Invite %(code)s is active again.") % {"code": invite.code})
        else:
            messages.success(request, _("Invite %(code)s is disabled.") % {"code": invite.code})
    if is_htmx(request):
        return render(
            request, "dashboard/invites/detail.html#status", {**_detail_context(invite), "oob_messages": True}
        )
    return redirect("invite-detail", invite_id=invite.pk)


@dashboard_view
@require_POST
def invite_delete(request: HttpRequest, invite_id: int) -> HttpResponse:
    invite = _invite_or_404(invite_id)
    force = request.POST.get("confirm_members") == "1"
    try:
        outcome = services.delete_invite(invite, actor=actor(request), force=force)
    except ServiceError as exc:
        report(request, exc)
        return redirect("invite-detail", invite_id=invite_id)
    if outcome.members_kept:
        messages.success(
            request,
            ngettext(
                "Invite %(code)s deleted. Its %(count)s member keeps their access.",
                "Invite %(code)s deleted. Its %(count)s members keep their access.",
                outcome.members_kept,
            )
            % {"code": invite.code, "count": outcome.members_kept},
        )
    else:
        messages.success(request, _("Invite %(code)s deleted.") % {"code": invite.code})
    return redirect("invites")


@dashboard_view
@require_GET
def invite_qr(request: HttpRequest, invite_id: int, fmt: str) -> HttpResponse:
    if fmt not in qr.FORMATS:
        raise Http404
    invite = _invite_or_404(invite_id)
    response = HttpResponse(qr.render_qr(invite, fmt), content_type=qr.FORMATS[fmt])
    response["Cache-Control"] = "private, max-age=300"
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="invite-{invite.code}.{fmt}"'
    return response
