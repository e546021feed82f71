"""The members manager: the table, bulk expiry changes, and one member's page and actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from guestlist.core.audit import AuditQuery, search_events
from guestlist.core.errors import NotFound, ServiceError
from guestlist.core.labels import MEMBER_FILTERS
from guestlist.core.paging import page_count
from guestlist.dashboard.forms.members import (
    EXTENSIONS,
    FLAG_FIELDS,
    FLAG_LABELS,
    AccessEndForm,
    AccessForm,
    BulkMemberForm,
    ExpiryForm,
    MemberFilterForm,
    extension,
)
from guestlist.dashboard.views.common import (
    PAGE_SIZE,
    actor,
    admin_user,
    dashboard_view,
    is_htmx,
    report,
)
from guestlist.dashboard.views.member_allowances import rights_context
from guestlist.invites.models import Redemption
from guestlist.members import access, inactivity, persons, services, suspension
from guestlist.members.allowances import allowances
from guestlist.members.erasure import is_erased
from guestlist.members.models import Member
from guestlist.members.reinvite import reinvite
from guestlist.members.sync import sync_now
from guestlist.plex import content_options
from guestlist.plex.models import Library
from guestlist.plexwork.models import PlexOperation

LIVE = ("pending", "active")
# Members whose expiry can be changed: a later date renews a suspended one.
RENEWABLE = (*LIVE, "suspending", "suspended")


def member_badges(member: Member, now: datetime, *, changing: bool = False) -> list[str]:
    badges = [member.status]
    if changing:
        badges.append("changing")
    if member.plex_access and member.status in LIVE:
        badges.append("differs")
    if member.status in LIVE and member.expires_at and member.expires_at <= now + services.EXPIRING_WITHIN:
        badges.append("expiring")
    if member.in_trial:
        badges.append("trial")
    return badges


def _member_or_404(member_id: int) -> Member:
    try:
        return services.get_member(member_id)
    except NotFound:
        raise Http404 from None


def _link(request: HttpRequest, page: int) -> str:
    params: QueryDict = request.GET.copy()
    params["page"] = str(page)
    return reverse("members") + "?" + params.urlencode()


def _sorted_link(request: HttpRequest, sort: str) -> str:
    params: QueryDict = request.GET.copy()
    params["sort"] = sort
    params.pop("page", None)
    return reverse("members") + "?" + params.urlencode()


@dashboard_view
@require_GET
def member_list(request: HttpRequest) -> HttpResponse:
    form = MemberFilterForm(request.GET, statuses=list(MEMBER_FILTERS))
    data = form.cleaned_data if form.is_valid() else {}
    query = services.MemberQuery(
        search=data.get("search") or "",
        status=data.get("status") or "all",
        page=data.get("page") or 1,
        page_size=PAGE_SIZE,
        not_seen_days=data.get("not_seen"),
        sort=data.get("sort") or "-created_at",
        persons=True,
    )
    page = services.list_members(query)
    now = timezone.now()
    counts = services.member_queryset(
        services.MemberQuery(search=query.search, not_seen_days=query.not_seen_days, persons=True)
    ).aggregate(**{name: Count("id", filter=services.status_q(name, now)) for name in MEMBER_FILTERS})
    pages = page_count(page.total, page.page_size)
    rights = allowances(page.items, now=now)
    busy = access.changing_ids([member.pk for member in page.items])
    context = {
        "nav": "members",
        "form": form,
        "query": query,
        "tabs": [(name, label, counts[name]) for name, label in MEMBER_FILTERS.items()],
        "rows": [
            (member, member_badges(member, now, changing=member.pk in busy), rights[member.pk]) for member in page.items
        ],
        "total": page.total,
        "page": page.page,
        "pages": pages,
        "previous_url": _link(request, page.page - 1) if page.page > 1 else None,
        "next_url": _link(request, page.page + 1) if page.page < pages else None,
        "seen_sort_url": _sorted_link(request, "last_seen" if query.sort == "-last_seen" else "-last_seen"),
        "extensions": [(f"extend_{name}", label) for name, (label, _days) in EXTENSIONS.items()],
        "bulk_form": BulkMemberForm(),
        "here": request.get_full_path(),
        "oob": is_htmx(request),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "member-results":
        return render(request, "dashboard/members/list.html#results", context)
    return render(request, "dashboard/members/list.html", context)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


@dashboard_view
@require_POST
def member_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Select at least one member and an action."))
        return _back(request, "members")
    action = form.cleaned_data["action"]
    if action == "access":
        # The change needs its own form (libraries, permissions, limits): a page of its own.
        query = QueryDict(mutable=True)
        query.setlist("ids", [str(pk) for pk in form.cleaned_data["ids"]])
        return redirect(reverse("members-access") + "?" + query.urlencode())
    period = extension(action)
    try:
        outcome = services.act_on_members(
            list(form.cleaned_data["ids"]),
            "extend" if period is not None else action,
            actor=actor(request),
            days=period or 0,
        )
    except ServiceError as exc:
        report(request, exc)
        return _back(request, "members")
    done, queued, skipped = outcome.done, outcome.queued, outcome.skipped
    if period is not None:
        messages.success(request, ngettext("Extended %(n)s member.", "Extended %(n)s members.", done) % {"n": done})
    elif action == "clear_expiry":
        messages.success(
            request,
            ngettext("%(n)s member no longer expires.", "%(n)s members no longer expire.", done) % {"n": done},
        )
    elif action == "remove":
        messages.success(request, ngettext("Removed %(n)s member.", "Removed %(n)s members.", done) % {"n": done})
        if queued:
            messages.warning(
                request,
                ngettext(
                    "Plex is not answering for %(n)s member; their removal will be retried.",
                    "Plex is not answering for %(n)s members; their removal will be retried.",
                    queued,
                )
                % {"n": queued},
            )
    if skipped:
        messages.info(
            request,
            ngettext(
                "%(n)s selected member has no access and was left alone.",
                "%(n)s selected members have no access and were left alone.",
                skipped,
            )
            % {"n": skipped},
        )
    return _back(request, "members")


@dashboard_view
@require_POST
def member_sync(request: HttpRequest) -> HttpResponse:
    import_friends = request.POST.get("import") == "1"
    try:
        outcome = sync_now(actor=actor(request), import_friends=import_friends)
    except ServiceError as exc:
        report(request, exc)
    else:
        messages.success(
            request,
            _("Synced with Plex: %(updated)s updated, %(removed)s removed in Plex, %(imported)s imported.")
            % {"updated": outcome.updated, "removed": outcome.removed, "imported": outcome.imported},
        )
    return redirect("members")


def _expiry_context(member: Member, form: ExpiryForm | None = None) -> dict[str, Any]:
    return {
        "member": member,
        "badges": member_badges(member, timezone.now(), changing=access.changing(member) is not None),
        "expiry_form": form
        or ExpiryForm(initial={"expires_at": timezone.localtime(member.expires_at) if member.expires_at else None}),
        "extensions": [(f"extend_{name}", label) for name, (label, _days) in EXTENSIONS.items()],
        "live": member.status in RENEWABLE,
    }


def _access_context(member: Member) -> dict[str, Any]:
    keys = member.library_keys or []
    titles = dict(Library.objects.filter(server=member.server).values_list("key", "title"))
    theirs = member.plex_access or {}
    return {
        "member": member,
        "live": member.status in LIVE,
        "libraries": [titles.get(key, f"#{key}") for key in keys],
        "all_libraries": member.library_keys == [],
        "limits_words": content_options.words(member.content_limits),
        "changing": access.changing(member),
        "plex_access": theirs
        and {
            "libraries": ", ".join(titles.get(key, f"#{key}") for key in theirs["library_keys"])
            if theirs.get("library_keys")
            else (_("All libraries") if "library_keys" in theirs else None),
            "flags": [(FLAG_LABELS[flag], theirs[flag]) for flag in FLAG_FIELDS if flag in theirs],
            "limits_words": content_options.words(theirs["content_limits"]) or _("no limits")
            if "content_limits" in theirs
            else None,
        },
    }


@dashboard_view
@require_GET
def member_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _member_or_404(member_id)
    if is_htmx(request) and request.headers.get("HX-Target") == "member-access":
        # The access box polls itself while a change waits for Plex.
        return render(request, "dashboard/members/detail.html#access", _access_context(member))
    context = {
        "nav": "members",
        **_expiry_context(member),
        **_access_context(member),
        "redemptions": list(Redemption.objects.filter(member=member).order_by("-created_at")[:50]),
        "events": list(search_events(AuditQuery(object_type="member", object_id=str(member.pk)))[:50]),
        "operations": list(PlexOperation.objects.filter(member=member).order_by("-created_at")[:20]),
        **rights_context(member),
        "erased": is_erased(member),
        "server_shares": _server_shares(member),
        "inactivity_warning": inactivity.standing_warning(member, inactivity.Rule.current()),
        **_suspension_context(member),
    }
    return render(request, "dashboard/members/detail.html", context)


def _server_shares(member: Member) -> list[tuple[Member, PlexOperation | None]]:
    """The person's rows, one per server, each with its latest Plex work (issue 20 §3)."""
    rows = persons.rows_of(member)
    if len(rows) < 2:
        return []
    latest: dict[int, PlexOperation] = {}
    for op in PlexOperation.objects.filter(member__in=rows).order_by("created_at", "id"):
        latest[op.member_id or 0] = op
    return [(row, latest.get(row.pk)) for row in rows]


def _suspension_context(member: Member) -> dict[str, Any]:
    saved = [int(key) for key in (member.suspended_share or {}).get("library_keys", [])]
    return {
        "access_end_form": AccessEndForm(initial={"access_end": member.access_end}),
        "access_end_now": suspension.chosen_end(member),
        "can_suspend": member.status == "active" and not suspension.why_not_suspendable(member),
        "restores_all_libraries": member.suspended_share is not None and not saved,
        "restores_libraries": list(Library.objects.filter(server=member.server, key__in=saved)) if saved else [],
    }


@dashboard_view
@require_POST
def member_suspend(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _member_or_404(member_id)
    try:
        outcome = suspension.suspend_member(member, actor=actor(request))
    except ServiceError as exc:
        report(request, exc)
    else:
        if outcome.done:
            messages.success(
                request, _("%(name)s is suspended: they keep only the suspension library.") % {"name": member}
            )
        else:
            messages.warning(
                request,
                _("Plex is not answering; suspending %(name)s will be retried until it works.") % {"name": member},
            )
    return redirect("member-detail", member_id=member.pk)


@dashboard_view
@require_POST
def member_restore(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _member_or_404(member_id)
    try:
        outcome = suspension.restore_member(member, actor=actor(request))
    except ServiceError as exc:
        report(request, exc)
    else:
        if outcome.done:
            messages.success(request, _("%(name)s has their libraries back.") % {"name": member})
        else:
            messages.warning(
                request,
                _("Plex is not answering; restoring %(name)s will be retried until it works.") % {"name": member},
            )
    return redirect("member-detail", member_id=member.pk)


@dashboard_view
@require_POST
def member_access_end(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _member_or_404(member_id)
    form = AccessEndForm(request.POST)
    if form.is_valid():
        try:
            suspension.set_access_end(member, form.cleaned_data["access_end"], actor=actor(request))
        except ServiceError as exc:
            report(request, exc)
        else:
            messages.success(request, _("Saved what ending their access does."))
    else:
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    return redirect("member-detail", member_id=member.pk)


@dashboard_view
@require_POST
def member_expiry(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _member_or_404(member_id)
    form: ExpiryForm | None = ExpiryForm(request.POST)
    if form is not None and form.is_valid():
        action = form.cleaned_data["action"]
        try:
            if action == "set":
                services.set_expiry(member, form.cleaned_data["expires_at"], actor=actor(request))
                messages.success(request, _("Expiry saved."))
            elif action == "clear":
                services.set_expiry(member, None, actor=actor(request))
                messages.success(request, _("%(name)s no longer expires.") % {"name": member})
            elif (period := extension(action)) is not None:
                services.extend_expiry([member], days=period, actor=actor(request))
                messages.success(request, _("Expiry extended."))
        except ServiceError as exc:
            report(request, exc)
        member.refresh_from_db()
        form = None
    if is_htmx(request):
        return render(
            request, "dashboard/members/detail.html#expiry", {**_expiry_context(member, form), "oob_messages": True}
        )
    if form is not None:
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    return redirect("member-detail", member_id=member.pk)


@dashboard_view
@require_POST
def member_refresh(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _member_or_404(member_id)
    try:
        services.refresh_from_plex(member, actor=actor(request))
    except ServiceError as exc:
        report(request, exc)
    else:
        messages.success(request, _("Refreshed %(name)s from Plex.") % {"name": member})
    return redirect("member-detail", member_id=member.pk)


@dashboard_view
def member_access(request: HttpRequest, member_id: int) -> HttpResponse:
    """Change one member's libraries, permissions and content limits on Plex."""
    member = _member_or_404(member_id)
    if member.status not in LIVE:
        messages.error(request, _("Only members with access can have it changed."))
        return redirect("member-detail", member_id=member.pk)
    form = AccessForm(request.POST or None, server=member.server, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = access.change_access(member, form.changes(), actor=actor(request))
        except ServiceError as exc:
            report(request, exc)
        else:
            _say_outcome(request, [outcome.member] if outcome.state == "done" else [], outcome)
            return redirect("member-detail", member_id=member.pk)
    return render(request, "dashboard/members/access.html", {"nav": "members", "member": member, "form": form})


def _say_outcome(request: HttpRequest, done: list[Member], outcome: access.AccessOutcome) -> None:
    name = {"name": outcome.member}
    if outcome.state == "done":
        messages.success(request, _("Plex confirmed the new access of %(name)s.") % name)
    elif outcome.state == "changing":
        messages.warning(request, _("Plex is not answering; the change for %(name)s waits and will be retried.") % name)
    else:
        messages.error(
            request,
            _("Plex refused the change for %(name)s; nothing was changed. %(error)s")
            % {**name, "error": outcome.error},
        )


@dashboard_view
@require_POST
def member_access_resolve(request: HttpRequest, member_id: int) -> HttpResponse:
    """A difference made in Plex itself: keep Plex's, or set Plex back to Guestlist's."""
    member = _member_or_404(member_id)
    keep: access.Keep = "plex" if request.POST.get("keep") == "plex" else "guestlist"
    try:
        outcome = access.resolve_difference(member, keep, actor=actor(request))
    except ServiceError as exc:
        report(request, exc)
    else:
        if keep == "plex":
            messages.success(request, _("Guestlist now records what Plex has for %(name)s.") % {"name": member})
        else:
            _say_outcome(request, [], outcome)
    return redirect("member-detail", member_id=member.pk)


@dashboard_view
def members_access(request: HttpRequest) -> HttpResponse:
    """The same access change for a selection of members (the list's bulk action)."""
    source = request.POST if request.method == "POST" else request.GET
    ids = [int(value) for value in source.getlist("ids") if value.isdigit()][: access.MAX_BULK]
    chosen = list(Member.objects.filter(pk__in=ids).select_related("server").order_by("username", "email"))
    if not chosen:
        messages.error(request, _("Select at least one member."))
        return redirect("members")
    form = AccessForm(request.POST if request.method == "POST" else None, server=chosen[0].server, bulk=True)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = access.change_access_of_many([m.pk for m in chosen], form.changes(), actor=actor(request))
        except ServiceError as exc:
            report(request, exc)
        else:
            _say_bulk(request, outcome)
            return redirect("members")
    return render(
        request, "dashboard/members/access.html", {"nav": "members", "chosen": chosen, "form": form, "bulk": True}
    )


def _say_bulk(request: HttpRequest, outcome: access.BulkAccessOutcome) -> None:
    if outcome.done:
        count = len(outcome.done)
        messages.success(
            request,
            ngettext(
                "Plex confirmed the new access of %(n)s member.",
                "Plex confirmed the new access of %(n)s members.",
                count,
            )
            % {"n": count},
        )
    if outcome.changing:
        count = len(outcome.changing)
        messages.warning(
            request,
            ngettext(
                "Plex is not answering for %(n)s member; the change waits and will be retried.",
                "Plex is not answering for %(n)s members; the change waits and will be retried.",
                count,
            )
            % {"n": count},
        )
    for member, error in outcome.refused:
        messages.error(
            request,
            _("Plex refused the change for %(name)s; nothing was changed. %(error)s")
            % {"name": member, "error": error},
        )
    if outcome.skipped:
        count = len(outcome.skipped)
        messages.info(
            request,
            ngettext(
                "%(n)s selected member has no access and was left alone.",
                "%(n)s selected members have no access and were left alone.",
                count,
            )
            % {"n": count},
        )


@dashboard_view
@require_POST
def member_remove(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _member_or_404(member_id)
    try:
        outcome = services.remove_member(member, actor=actor(request), reason="removed by admin")
    except ServiceError as exc:
        report(request, exc)
    else:
        if outcome.done:
            messages.success(request, _("%(name)s no longer has access to your server.") % {"name": member})
        else:
            messages.warning(
                request,
                _("Plex is not answering; removing %(name)s will be retried until it works.") % {"name": member},
            )
    return redirect("member-detail", member_id=member.pk)


@dashboard_view
@require_POST
def member_reinvite(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _member_or_404(member_id)
    try:
        invite = reinvite(
            member,
            actor=actor(request),
            created_by=admin_user(request),
            description=_("Re-invite for %(name)s") % {"name": member},
        )
    except ServiceError as exc:
        report(request, exc)
        return redirect("member-detail", member_id=member.pk)
    messages.success(
        request, _("Send this link to %(name)s: it works once and brings back their access.") % {"name": member}
    )
    return redirect("invite-detail", invite_id=invite.pk)
