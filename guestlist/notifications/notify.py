"""What the domain says when something happens: one function per event, called inside the
transaction that made it happen (so an event exists exactly when its change committed).

Payloads carry the invite and member as the API shows them (``invite_as_api``,
``member_as_api``), never a token. Mails to the member ride on the same moments.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from guestlist.core.models import SiteSettings
from guestlist.invite_requests.models import InviteRequest
from guestlist.invite_requests.representation import request_as_api, status_url
from guestlist.invites import start_link
from guestlist.invites.models import Invite
from guestlist.invites.representation import invite_as_api
from guestlist.members.models import Member
from guestlist.members.representation import member_as_api
from guestlist.notifications import mail
from guestlist.notifications.events import emit
from guestlist.plex.models import MediaServer


def _server(server: MediaServer | None) -> dict[str, Any] | None:
    return {"id": server.pk, "name": server.name} if server is not None else None


def dashboard_url(path: str) -> str:
    return mail.absolute(path)


def _member_data(member: Member, **extra: Any) -> dict[str, Any]:
    invite = Invite.objects.filter(pk=member.invite_id).first() if member.invite_id else None
    return {
        "member": member_as_api(member),
        "invite": invite_as_api(invite) if invite is not None else None,
        "server": _server(member.server),
        "url": dashboard_url(f"/users/{member.pk}"),
        **extra,
    }


def invite_created(invite: Invite) -> None:
    emit(
        "invite.created",
        {
            "invite": invite_as_api(invite),
            "server": _server(invite.server),
            "url": dashboard_url(f"/invites/{invite.pk}"),
        },
    )


def invite_redeemed(invite: Invite, member: Member, *, method: str) -> None:
    emit(
        "invite.redeemed",
        {
            "invite": invite_as_api(invite),
            "member": member_as_api(member),
            "server": _server(invite.server),
            "method": method,
            "url": dashboard_url(f"/invites/{invite.pk}"),
        },
    )


def redemption_failed(invite: Invite | None, member: Member | None, *, error_code: str, error: str) -> None:
    emit(
        "invite.redemption_failed",
        {
            "invite": invite_as_api(invite) if invite is not None else None,
            "member": member_as_api(member) if member is not None else None,
            "server": _server(invite.server if invite is not None else None),
            "error_code": error_code,
            "error": error[:500],
            "url": dashboard_url(f"/invites/{invite.pk}" if invite is not None else "/invites"),
        },
    )


def member_joined(member: Member, *, redemption_id: int) -> None:
    emit("member.joined", _member_data(member))
    if member.email and mail.member_mails_enabled(mail.WELCOME):
        # The getting-started link (start_link.LIFETIME): the after-joining steps, without signing in.
        context = {**_mail_context(member), "steps_url": mail.absolute(f"/start/{start_link.token_for(member.pk)}")}
        mail.queue_mail(mail.WELCOME, member.email, context, key=f"welcome:{redemption_id}")


def member_expiring_soon(member: Member, *, rows: list[Member] | None = None) -> None:
    """Once per member and expiry date, however often the job runs or how many instances do.

    ``rows``: all of the person's servers whose access ends that day (``member`` first):
    one event and one mail for them all (issue 20)."""
    if member.expires_at is None:
        return
    rows = rows or [member]
    day = member.expires_at.date().isoformat()
    servers = [{**(_server(row.server) or {}), "member_id": row.pk, "expires_at": row.expires_at} for row in rows]
    emit(
        "member.expiring_soon",
        _member_data(member, servers=servers),
        key=f"member.expiring_soon:{member.pk}:{day}",
    )
    if member.email and mail.member_mails_enabled(mail.REMINDER):
        context = {**_mail_context(member), "server_name": server_names(rows)}
        mail.queue_mail(mail.REMINDER, member.email, context, key=f"reminder:{member.pk}:{day}")


def member_ended(member: Member, final_status: str) -> None:
    """Expired (``member.expired``), removed by an admin (``member.removed``) or by the
    inactivity rule (``member.removed_inactive``)."""
    event = "member.expired" if final_status == Member.Status.EXPIRED else "member.removed"
    if final_status == Member.Status.REMOVED and member.reason == INACTIVE_REASON:
        event = "member.removed_inactive"
    emit(event, _member_data(member))
    if final_status == Member.Status.EXPIRED and member.email and mail.member_mails_enabled(mail.ENDED):
        context = _mail_context(member)
        if mail.reinvite_requests_allowed():
            context["reinvite_url"] = mail.absolute(f"/mail/reinvite/{mail.reinvite_token(member.pk)}")
        day = member.expires_at.date().isoformat() if member.expires_at else "none"
        mail.queue_mail(mail.ENDED, member.email, context, key=f"ended:{member.pk}:{day}")


# members.inactivity.INACTIVE_REASON; written out because the inactivity module imports this one.
INACTIVE_REASON = "inactive"


def member_inactive_warning(
    member: Member, *, last_seen: Any, removal_due: Any, rows: list[Member] | None = None
) -> None:
    """Once per person and warning (the day it was given), however often the job runs and
    however many servers they have: ``rows`` are all the servers the warning is about
    (``member`` is the first of them)."""
    rows = rows or [member]
    warned = member.inactivity_warned_at.date().isoformat() if member.inactivity_warned_at else "none"
    emit(
        "member.inactive_warning",
        _member_data(member, removal_due=removal_due, servers=[_server(row.server) for row in rows]),
        key=f"member.inactive_warning:{member.pk}:{warned}",
    )
    if member.email and mail.member_mails_enabled(mail.INACTIVE):
        context = {
            **_mail_context(member),
            "server_name": server_names(rows),
            "last_seen": last_seen,
            "removal_due": removal_due,
        }
        mail.queue_mail(mail.INACTIVE, member.email, context, key=f"inactive:{member.pk}:{warned}")


def server_names(rows: list[Member]) -> str:
    """The names of a person's servers for one mail about all of them ("4K, HD")."""
    return ", ".join(dict.fromkeys(row.server.name for row in rows))


def member_suspended(member: Member, *, cause: str) -> None:
    """Access ended but the share was kept, narrowed (``cause``: ``expired`` or ``removed``).

    No mail to the member: the library they still see says how to renew.
    """
    day = member.suspended_at.isoformat() if member.suspended_at else "none"
    emit("member.suspended", _member_data(member, cause=cause), key=f"member.suspended:{member.pk}:{day}")


def member_restored(member: Member) -> None:
    emit("member.restored", _member_data(member))


def member_removed_in_plex(member: Member) -> None:
    emit("member.removed_in_plex", _member_data(member))


def member_access_changed(member: Member, *, before: dict[str, Any], after: dict[str, Any]) -> None:
    emit("member.access_changed", _member_data(member, before=before, after=after))


def member_access_differs(member: Member, *, plex: dict[str, Any]) -> None:
    emit("member.access_differs", _member_data(member, plex=plex))


def member_discord_left(member: Member, *, why: str, action: str) -> None:
    """A member of a Discord-gated invite left the owner's Discord server (``why``: left_server)
    or lost the role it asked for (lost_role); ``action``: warn, or remove (their access ends)."""
    day = member.discord_left_at.date().isoformat() if member.discord_left_at else "none"
    emit(
        "member.discord_left",
        _member_data(
            member, why=why, action=action, discord={"id": member.discord_id, "username": member.discord_username}
        ),
        key=f"member.discord_left:{member.pk}:{day}",
    )


def reinvite_requested(member: Member) -> None:
    day = member.removed_at.date().isoformat() if member.removed_at else "none"
    emit("member.reinvite_requested", _member_data(member), key=f"member.reinvite_requested:{member.pk}:{day}")


def trial_ended(member: Member, *, outcome: str) -> None:
    emit("trial.ended", _member_data(member, outcome=outcome))


def trial_extension_requested(member: Member, *, message: str) -> None:
    emit("trial.extension_requested", _member_data(member, message=message))


def plex_health_changed(
    server: MediaServer,
    *,
    token_was: bool | None,
    token_ok: bool | None,
    server_was: bool | None,
    server_ok: bool | None,
    error: str,
) -> None:
    """The connection check's answer changed: tell the owner once per change, not per check."""
    data = {"server": _server(server), "error": error[:500], "url": dashboard_url("/settings")}
    if token_ok is False and token_was is not False:
        emit("plex.token_rejected", data)
    if server_ok is False and server_was is not False:
        emit("plex.unreachable", data)
    elif server_ok is True and server_was is False:
        emit("plex.reachable", data)


def admin_sign_in_locked(key: str, *, failures: int, attempt: str, minutes: int) -> None:
    """Failed sign-ins locked an admin account or an address: the owner should know someone is trying."""
    subject, _, name = key.partition(":")
    emit(
        "admin.sign_in_locked",
        {
            "account": name if subject == "account" else None,
            "address": name if subject == "address" else None,
            "failures": failures,
            "attempt": attempt,
            "minutes": minutes,
            "url": dashboard_url("/settings/audit?action=admin.sign_in_locked"),
        },
    )


def check_health(server: MediaServer) -> Any:
    """The connection check (``plex.services.check_health``), telling the owner when its answer changed."""
    from guestlist.plex.services import check_health as check

    token_was, server_was = server.token_ok, server.server_ok
    health = check(server)
    if (health.token_ok, health.server_ok) != (token_was, server_was):
        plex_health_changed(
            server,
            token_was=token_was,
            token_ok=health.token_ok,
            server_was=server_was,
            server_ok=health.server_ok,
            error=health.error,
        )
    return health


def _mail_context(member: Member) -> dict[str, Any]:
    return {
        "server_name": member.server.name,
        "name": member.username or member.email,
        "expires_at": member.expires_at,
        "warning_days": SiteSettings.current().expiry_warning_days,
        "member_area_url": mail.absolute("/me/"),
        "plex_url": "https://app.plex.tv/",
    }


def invite_mail_context(invite: Invite, *, message: str, sender: str) -> dict[str, Any]:
    from guestlist.invites.qr import invite_url

    return {
        "server_name": invite.server.name,
        "invite_url": invite_url(invite.code),
        "message": message,
        "sender": sender,
        "invite_expires_at": invite.expires_at,
    }


# Someone who asked for an invite gets one confirmation mail per address in this window, however
# often the form is sent with that address: the address is only a claim, so the form must not
# become a way to flood somebody else's mailbox.
REQUEST_CONFIRMATION_WINDOW = timedelta(hours=24)


def _request_data(request: InviteRequest) -> dict[str, Any]:
    return {
        "request": request_as_api(request),
        "server": _server(MediaServer.objects.order_by("pk").first()),
        "url": dashboard_url(f"/requests/{request.pk}"),
    }


def _request_mail_context(request: InviteRequest) -> dict[str, Any]:
    server = MediaServer.objects.order_by("pk").first()
    return {
        "server_name": server.name if server is not None else "Plex",
        "name": request.name,
        "status_url": status_url(request),
        "decision_message": request.decision_message,
        "invite_url": request_as_api(request)["invite_url"],
        "invite_expires_at": request.invite.expires_at if request.invite is not None else None,
    }


def invite_request_created(request: InviteRequest) -> bool:
    """``invite_request.created``, and the confirmation mail with the status link (True when queued)."""
    emit("invite_request.created", _request_data(request))
    if not mail.mail_ready():
        return False
    now = timezone.now()
    address = request.email.strip().lower()
    if mail.mailed_since(mail.REQUEST_RECEIVED, address, now - REQUEST_CONFIRMATION_WINDOW):
        return False
    # The key makes two simultaneous requests with one address queue one mail between them.
    key = f"request_received:{address}:{int(now.timestamp() // REQUEST_CONFIRMATION_WINDOW.total_seconds())}"
    queued = mail.queue_mail(
        mail.REQUEST_RECEIVED, address, _request_mail_context(request), language=request.language, key=key
    )
    return queued is not None


def invite_request_decided(request: InviteRequest, *, send_mail: bool) -> bool:
    """``invite_request.approved`` or ``.declined``; with ``send_mail``, the answer by mail (True when queued)."""
    approved = request.status == InviteRequest.Status.APPROVED
    emit("invite_request.approved" if approved else "invite_request.declined", _request_data(request))
    if not send_mail or not mail.mail_ready():
        return False
    kind = mail.REQUEST_APPROVED if approved else mail.REQUEST_DECLINED
    queued = mail.queue_mail(
        kind, request.email, _request_mail_context(request), language=request.language, key=f"{kind}:{request.pk}"
    )
    return queued is not None
