"""The member area's actions, shared by ``/api/me`` and the ``/me/`` pages (and, for acting
on members, the admin API): invites a member creates and sees, and what Manage Users
holders do to other members. Rules come from ``permissions``; quotas from ``quotas``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.errors import Forbidden, Invalid, NotFound
from guestlist.invites import services as invites
from guestlist.invites.models import Invite
from guestlist.members import permissions, quotas, trials
from guestlist.members import services as members
from guestlist.members.allowances import Allowance, allowances
from guestlist.members.logins import ensure_user
from guestlist.members.models import Member, TrialExtensionRequest
from guestlist.members.permissions import Caller
from guestlist.notifications import services as notifications


def create_invite(caller: Caller, data: Mapping[str, Any]) -> Invite:
    """A member's (or admin's) new invite, within their rights and their quota."""
    allowed = permissions.check_create(caller, data)

    def create(fields: Mapping[str, Any]) -> Invite:
        return invites.create_invite(fields, actor=caller.actor, created_by=caller.user)

    return quotas.create_within_quota(caller, allowed, create)


def redeemed_by(invite_ids: list[int]) -> dict[int, list[str]]:
    """Who came through each invite (names, oldest first), for a whole page in one query."""
    joined: dict[int, list[str]] = {}
    for invite_id, username, email in (
        Member.objects.filter(invite_id__in=invite_ids)
        .order_by("created_at")
        .values_list("invite_id", "username", "email")
    ):
        joined.setdefault(invite_id, []).append(username or email)
    return joined


def list_invites(caller: Caller, query: invites.InviteQuery, *, everyone: bool = False) -> invites.InvitePage:
    permissions.check_list(caller, everyone=everyone)
    if everyone:
        return invites.list_invites(query)
    # An API key has no invites of its own; staff sessions see the ones they made.
    return invites.list_invites(query, created_by_id=caller.user.pk if caller.user is not None else 0)


def get_invite(caller: Caller, invite_id: int, action: str = "view") -> Invite:
    invite = Invite.objects.select_related("server").filter(pk=invite_id).first()
    if invite is None:
        raise NotFound(f"There is no invite with id {invite_id}.")
    try:
        permissions.check_invite(caller, invite.created_by_id, invite.used_count, action)
    except Forbidden:
        if caller.user is None or invite.created_by_id != caller.user.pk:
            # Someone else's invite is as good as absent to whoever may not see it.
            raise NotFound(f"There is no invite with id {invite_id}.") from None
        raise
    return invite


def update_invite(caller: Caller, invite_id: int, changes: Mapping[str, Any]) -> Invite:
    permissions.check_edit(caller, changes)
    invite = get_invite(caller, invite_id, "view")
    return invites.update_invite(invite, changes, actor=caller.actor)


def delete_invite(caller: Caller, invite_id: int, *, force: bool = False) -> invites.DeleteOutcome:
    invite = get_invite(caller, invite_id, "delete")
    return invites.delete_invite(invite, actor=caller.actor, force=force)


# -- Trial (the member's own side) ----------------------------------------------------------


def request_extension(caller: Caller, message: str) -> TrialExtensionRequest:
    return trials.request_extension(caller, message)


@dataclass(frozen=True)
class Overview:
    """What ``GET /api/me`` and the ``/me/`` page show."""

    caller: Caller
    quota: quotas.Quota
    extension: TrialExtensionRequest | None
    last_extension: TrialExtensionRequest | None

    @property
    def can_create(self) -> bool:
        return (
            self.caller.has(permissions.CREATE_INVITES) or self.caller.has(permissions.MANAGE_INVITES)
        ) and not self.caller.in_trial

    @property
    def quota_full(self) -> bool:
        remaining = self.quota.remaining
        return remaining is not None and remaining <= 0


def overview(caller: Caller) -> Overview:
    member = caller.member
    extension = trials.open_request(member) if member is not None else None
    last = member.extension_requests.first() if member is not None else None
    return Overview(caller, quotas.quota_of(caller), extension, last)


# -- Acting on members (Manage Users, and the admin API) ------------------------------------


def managed_member(caller: Caller, member_id: int) -> Member:
    member = Member.objects.select_related("user", "invite", "server").filter(pk=member_id).first()
    if member is None:
        raise NotFound(f"There is no member with id {member_id}.")
    permissions.check_manage_member(caller, member)
    return member


def list_members(caller: Caller, query: members.MemberQuery) -> members.MemberPage:
    permissions.require(caller, permissions.MANAGE_USERS)
    return members.list_members(query)


def set_expiry(caller: Caller, member_id: int, expires_at: datetime | None) -> Member:
    member = managed_member(caller, member_id)
    permissions.check_expiry(caller, expires_at)
    return members.set_expiry(member, expires_at, actor=caller.actor)


def set_permissions(caller: Caller, member_id: int, values: list[Any]) -> Member:
    member = managed_member(caller, member_id)
    chosen = permissions.clean_permissions(values)
    user = ensure_user(member, actor=caller.actor)
    before = permissions.perms_of(user)
    permissions.check_grant(caller, before, chosen)
    with transaction.atomic():
        permissions.set_user_permissions(user, chosen)
        audit.record(caller.actor, "member.permissions", member, before=sorted(before), after=chosen)
    member.refresh_from_db()
    return member


def set_quota(caller: Caller, member_id: int, limit: object, days: object) -> Member:
    member = managed_member(caller, member_id)
    clean_limit, clean_days = quotas.clean_override(limit, days)
    with transaction.atomic():
        before = [member.invite_quota_limit, member.invite_quota_days]
        Member.objects.filter(pk=member.pk).update(
            invite_quota_limit=clean_limit, invite_quota_days=clean_days, updated_at=timezone.now()
        )
        audit.record(caller.actor, "member.quota", member, before=before, after=[clean_limit, clean_days])
    member.refresh_from_db()
    return member


def trial_action(caller: Caller, member_id: int, action: str, *, days: object = None, message: str = "") -> Member:
    member = managed_member(caller, member_id)
    if not isinstance(message, str):
        raise Invalid("message must be text.")
    return trials.act(caller, member, action, days=days, message=message)


def member_state(member: Member, allowance: Allowance | None = None) -> dict[str, Any]:
    """Role, permissions, quota and trial of one member, as the API and the manager show them.

    Lists pass each member's ``allowance`` from one ``allowances()`` call for the whole page.
    """
    if allowance is None:
        allowance = allowances([member])[member.pk]
    user = member.user
    request = allowance.open_extension
    return {
        "has_account": user is not None,
        "local_account": bool(user is not None and user.has_usable_password()),
        "account_username": user.get_username() if user is not None else None,
        "permissions": allowance.permissions,
        "quota": allowance.quota.as_api(),
        "trial": trial_state(member),
        "extension_request": extension_out(request) if request is not None else None,
    }


def trial_state(member: Member) -> dict[str, Any]:
    return {
        "active": member.in_trial,
        "ends_at": member.trial_ends_at,
        "outcome": member.trial_outcome or None,
        "settled_at": member.trial_settled_at,
    }


def extension_out(request: TrialExtensionRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "state": request.state,
        "message": request.message,
        "created_at": request.created_at,
        "decided_at": request.decided_at,
        "days": request.days,
    }


def send_invite(caller: Caller, invite_id: int, to: object, message: object = "", language: object = None) -> Any:
    """Mail the link of an invite the caller may see (their own, or everyone's with Manage Invites)."""
    invite = get_invite(caller, invite_id, "send")
    return notifications.send_invite(invite, to, message, actor=caller.actor, language=language)
