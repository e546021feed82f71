"""The member area, ``/me/``: a member's status, trial, quota and invites, and for holders of
Manage Invites / Manage Users the everyone's-invites and members pages. Views only
translate; every rule is in ``members/self_service.py`` and ``members/permissions.py``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guestlist.core.errors import ServiceError
from guestlist.core.labels import member_error_message as error_message
from guestlist.core.paging import pagination, requested_page
from guestlist.core.ratelimit import client_ip
from guestlist.invite_requests import services as invite_requests
from guestlist.invite_requests.forms import ApproveForm, DeclineForm
from guestlist.invites import qr, status, welcome
from guestlist.invites.models import Invite
from guestlist.invites.qr import invite_url
from guestlist.invites.services import InviteQuery
from guestlist.members import permissions, persons, self_service
from guestlist.members.allowances import allowances
from guestlist.members.forms import (
    PERMISSION_LABELS,
    ExtensionForm,
    InviteForm,
    PermissionsForm,
    QuotaForm,
    TrialForm,
)
from guestlist.members.permissions import Caller
from guestlist.members.services import MemberQuery
from guestlist.notifications.services import mail_server

CREATED_KEY = "me_created_invite"
# Long lists come in pages, with links to the rest (partials/pagination.html).
INVITES_PAGE_SIZE = 50
MEMBERS_PAGE_SIZE = 25
View = Callable[..., HttpResponse]


def member_view(view: View) -> View:
    """Signed-in members only; admins have the dashboard, others are sent to sign in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or not isinstance(user, User):
            return redirect_to_login(request.get_full_path())
        if user.is_staff:
            return redirect("dashboard")
        try:
            caller = permissions.caller_for(user, client_ip(request))
        except ServiceError as exc:
            context = {"title": _("No membership"), "message": error_message(exc)}
            return render(request, "error.html", context, status=exc.status)
        return view(request, caller, *args, **kwargs)

    return wrapper


def invite_rows(invites: list[Invite]) -> list[dict[str, Any]]:
    now = timezone.now()
    joined = self_service.redeemed_by([invite.pk for invite in invites])
    return [
        {
            "invite": invite,
            "url": invite_url(invite.code),
            "badges": status.badges(invite, now),
            "redeemed_by": joined.get(invite.pk, []),
        }
        for invite in invites
    ]


def _nav(caller: Caller, here: str) -> dict[str, Any]:
    return {
        "nav": here,
        "show_all_invites": caller.has(permissions.MANAGE_INVITES),
        "show_members": caller.has(permissions.MANAGE_USERS),
        "show_requests": caller.has(permissions.MANAGE_USERS),
    }


@member_view
@require_GET
def home(request: HttpRequest, caller: Caller) -> HttpResponse:
    view = self_service.overview(caller)
    rows: list[dict[str, Any]] = []
    paging: dict[str, Any] = {}
    can_list = caller.has(permissions.VIEW_INVITES) or caller.has(permissions.MANAGE_INVITES)
    if can_list:
        page = self_service.list_invites(caller, InviteQuery(page=requested_page(request), page_size=INVITES_PAGE_SIZE))
        rows = invite_rows(page.items)
        paging = pagination(request, page.page, page.total, page.page_size)
    created = None
    created_id = request.session.pop(CREATED_KEY, None)
    if isinstance(created_id, int) and caller.user is not None:
        # The creator sees their new invite's link once, with or without View Invites.
        invite = Invite.objects.filter(pk=created_id, created_by=caller.user).first()
        created = invite_rows([invite])[0] if invite is not None else None
        # Shown once at the top; the list below would repeat it.
        rows = [row for row in rows if invite is None or row["invite"].pk != invite.pk]
    context = {
        **_nav(caller, "me"),
        "caller": caller,
        "member": caller.member,
        # Each of their servers and its share (issue 20), when they have more than one.
        "servers": persons.rows_of(caller.member) if caller.member is not None else [],
        "view": view,
        "quota": view.quota,
        "rows": rows,
        **paging,
        "can_list": can_list,
        "created": created,
        "mail_ready": mail_server().configured,
        "advanced": caller.has(permissions.ADVANCED_INVITES),
        "invite_form": InviteForm(),
        "extension_form": ExtensionForm(),
        "perm_labels": [PERMISSION_LABELS[p] for p in permissions.ALL if caller.has(p)],
    }
    return render(request, "members/home.html", context)


@member_view
@require_POST
def invite_create(request: HttpRequest, caller: Caller) -> HttpResponse:
    # The advanced fields go to the service even without the permission: it refuses them clearly.
    advanced = request.POST.get("mode") == "advanced"
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the invite's fields and try again."))
        return redirect("me")
    try:
        invite = self_service.create_invite(caller, form.service_data(advanced=advanced))
    except ServiceError as exc:
        messages.error(request, error_message(exc))
        return redirect("me")
    request.session[CREATED_KEY] = invite.pk
    messages.success(request, _("Invite created. Copy its link and send it."))
    return redirect("me")


@member_view
@require_POST
def invite_delete(request: HttpRequest, caller: Caller, invite_id: int) -> HttpResponse:
    try:
        self_service.delete_invite(caller, invite_id, force=request.POST.get("force") == "1")
    except ServiceError as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, _("Invite deleted."))
    return redirect(request.POST.get("back") == "all" and "me-all-invites" or "me")


@member_view
@require_POST
def invite_send(request: HttpRequest, caller: Caller, invite_id: int) -> HttpResponse:
    email = request.POST.get("email", "").strip()
    try:
        self_service.send_invite(
            caller, invite_id, email, request.POST.get("message", ""), request.POST.get("language") or None
        )
    except ServiceError as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, _("The invite is on its way to %(email)s.") % {"email": email})
    return redirect("me")


@member_view
@require_POST
def invite_set_active(request: HttpRequest, caller: Caller, invite_id: int) -> HttpResponse:
    try:
        self_service.update_invite(caller, invite_id, {"is_active": request.POST.get("active") == "1"})
    except ServiceError as exc:
        messages.error(request, error_message(exc))
    return redirect("me-all-invites")


@member_view
@require_GET
def invite_qr(request: HttpRequest, caller: Caller, invite_id: int) -> HttpResponse:
    try:
        invite = self_service.get_invite(caller, invite_id)
    except ServiceError:
        invite = None
    if invite is None:
        # A creator may show the QR of the invite they just made, as they may see its link.
        invite = Invite.objects.filter(pk=invite_id, created_by=caller.user).first() if caller.user else None
    if invite is None:
        return HttpResponse(status=404)
    response = HttpResponse(qr.render_qr(invite, "svg"), content_type=qr.FORMATS["svg"])
    response["Cache-Control"] = "private, max-age=300"
    return response


@member_view
@require_POST
def extension_request(request: HttpRequest, caller: Caller) -> HttpResponse:
    form = ExtensionForm(request.POST)
    try:
        self_service.request_extension(caller, form.data.get("message", "")[:1000])
    except ServiceError as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, _("Your request was sent to the owner."))
    return redirect("me")


@member_view
@require_GET
def all_invites(request: HttpRequest, caller: Caller) -> HttpResponse:
    try:
        query = InviteQuery(page=requested_page(request), page_size=INVITES_PAGE_SIZE)
        page = self_service.list_invites(caller, query, everyone=True)
    except ServiceError as exc:
        return render(request, "error.html", {"title": _("Not allowed"), "message": error_message(exc)}, status=403)
    context = {
        **_nav(caller, "all"),
        "rows": invite_rows(page.items),
        "total": page.total,
        **pagination(request, page.page, page.total, page.page_size),
    }
    return render(request, "members/all_invites.html", context)


@member_view
@require_GET
def members_page(request: HttpRequest, caller: Caller) -> HttpResponse:
    try:
        query = MemberQuery(status="live", page=requested_page(request), page_size=MEMBERS_PAGE_SIZE)
        page = self_service.list_members(caller, query)
    except ServiceError as exc:
        return render(request, "error.html", {"title": _("Not allowed"), "message": error_message(exc)}, status=403)
    found = allowances(page.items)
    rows = [
        {
            "member": member,
            "state": self_service.member_state(member, found[member.pk]),
            "self": caller.member is not None and member.pk == caller.member.pk,
            "permissions_form": PermissionsForm(
                initial={"permissions": found[member.pk].permissions}, prefix=f"m{member.pk}"
            ),
        }
        for member in page.items
    ]
    context = {
        **_nav(caller, "members"),
        "rows": rows,
        "total": page.total,
        "perm_labels": PERMISSION_LABELS,
        **pagination(request, page.page, page.total, page.page_size),
    }
    return render(request, "members/members.html", context)


def _acted(request: HttpRequest, action: Callable[[], object], done: str) -> HttpResponse:
    try:
        action()
    except ServiceError as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, done)
    return redirect("me-members")


@member_view
@require_POST
def member_permissions(request: HttpRequest, caller: Caller, member_id: int) -> HttpResponse:
    form = PermissionsForm(request.POST, prefix=f"m{member_id}")
    chosen = form.cleaned_data["permissions"] if form.is_valid() else []
    return _acted(request, lambda: self_service.set_permissions(caller, member_id, chosen), _("Permissions saved."))


@member_view
@require_POST
def member_quota(request: HttpRequest, caller: Caller, member_id: int) -> HttpResponse:
    form = QuotaForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the quota's numbers."))
        return redirect("me-members")
    data = form.cleaned_data
    return _acted(
        request, lambda: self_service.set_quota(caller, member_id, data["limit"], data["days"]), _("Quota saved.")
    )


@member_view
@require_POST
def member_trial(request: HttpRequest, caller: Caller, member_id: int) -> HttpResponse:
    form = TrialForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say how many days."))
        return redirect("me-members")
    data = form.cleaned_data
    return _acted(
        request,
        lambda: self_service.trial_action(caller, member_id, data["action"], days=data["days"]),
        _("Trial updated."),
    )


@member_view
@require_POST
def member_expiry(request: HttpRequest, caller: Caller, member_id: int) -> HttpResponse:
    raw = request.POST.get("expires_on", "").strip()
    expires_at: datetime | None = None
    if raw:
        try:
            day = datetime.strptime(raw, "%Y-%m-%d").date()
        except ValueError:
            messages.error(request, _("Give the date as YYYY-MM-DD."))
            return redirect("me-members")
        expires_at = timezone.make_aware(datetime.combine(day, time.max), timezone.get_current_timezone())
    return _acted(request, lambda: self_service.set_expiry(caller, member_id, expires_at), _("Expiry saved."))


@member_view
@require_GET
def requests_page(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Manage Users: the invite requests waiting for an answer, each with approve and decline."""
    try:
        page = invite_requests.list_requests(
            caller, status="pending", page=requested_page(request), page_size=MEMBERS_PAGE_SIZE
        )
    except ServiceError as exc:
        return render(request, "error.html", {"title": _("Not allowed"), "message": error_message(exc)}, status=403)
    ready = invite_requests.mail_ready()
    rows = [
        {
            "asked": asked,
            "approve_form": ApproveForm(mail_ready=ready, prefix=f"a{asked.pk}"),
            "decline_form": DeclineForm(initial={"send_mail": ready}, prefix=f"d{asked.pk}"),
        }
        for asked in page.items
    ]
    context = {
        **_nav(caller, "requests"),
        "rows": rows,
        "total": page.total,
        **pagination(request, page.page, page.total, page.page_size),
    }
    return render(request, "members/requests.html", context)


@member_view
@require_POST
def request_decide(request: HttpRequest, caller: Caller, request_id: int, decision: str) -> HttpResponse:
    if decision not in ("approve", "decline"):
        raise Http404
    ready = invite_requests.mail_ready()
    try:
        if decision == "approve":
            form = ApproveForm(request.POST, mail_ready=ready, prefix=f"a{request_id}")
            if not form.is_valid():
                messages.error(request, form.problem())
                return redirect("me-requests")
            done = invite_requests.approve(
                caller,
                request_id,
                template_id=form.cleaned_data["template"],
                send_mail=bool(form.cleaned_data.get("send_mail")),
                server_ids=form.server_ids(),
            )
            assert done.invite is not None  # noqa: S101 - an approval always makes one
            link = invite_url(done.invite.code)
            if done.mailed:
                messages.success(request, _("Approved. The invite is on its way by e-mail: %(link)s") % {"link": link})
            else:
                messages.success(request, _("Approved. Send this link to the person: %(link)s") % {"link": link})
        else:
            declined = DeclineForm(request.POST, prefix=f"d{request_id}")
            if not declined.is_valid():
                messages.error(request, _("The message is too long."))
                return redirect("me-requests")
            invite_requests.decline(
                caller,
                request_id,
                message=declined.cleaned_data["message"],
                send_mail=bool(declined.cleaned_data.get("send_mail")),
            )
            messages.success(request, _("Declined."))
    except ServiceError as exc:
        messages.error(request, error_message(exc))
    return redirect("me-requests")


@member_view
@require_GET
def getting_started(request: HttpRequest, caller: Caller) -> HttpResponse:
    """The after-joining steps of the member's invite, for as long as they are a member."""
    member = caller.member
    if member is None:
        return redirect("me")
    page = welcome.page_for(member, welcome.VIA_PLEX if member.plex_id else welcome.VIA_EMAIL)
    context = welcome.guide_context(page, request.GET.get("step"), request.path)
    context.update(_nav(caller, "start"), accept_url=reverse("me-start-accept"), member=member)
    return render(request, "members/start.html", context)


@member_view
@require_POST
def getting_started_accept(request: HttpRequest, caller: Caller) -> HttpResponse:
    raw = request.POST.get("step_id", "")
    if caller.member is None:
        return redirect("me")
    try:
        welcome.accept_after_step(caller.member, int(raw) if raw.isdigit() else 0, actor=caller.actor)
    except ServiceError as exc:
        messages.error(request, error_message(exc))
    next_url = request.POST.get("next", "")
    return redirect(next_url if next_url.startswith(reverse("me-start")) else reverse("me-start"))
