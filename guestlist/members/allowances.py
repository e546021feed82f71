"""Role, quota use and trial of a page of members in a fixed number of queries (the
owner's members table), whatever the page's length."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, prefetch_related_objects

from guestlist.invites.models import Invite
from guestlist.members import permissions, quotas
from guestlist.members.models import Member, TrialExtensionRequest


@dataclass(frozen=True)
class RowRights:
    permissions: list[str]
    used: int
    limit: int | None  # None: no quota (or exempt)
    asks_for_time: bool


def table_rights(members: list[Member], now: datetime) -> dict[int, RowRights]:
    prefetch_related_objects(
        members,
        "user__user_permissions__content_type",
        Prefetch(
            "extension_requests",
            queryset=TrialExtensionRequest.objects.filter(state=TrialExtensionRequest.State.OPEN),
            to_attr="open_extensions",
        ),
    )
    perms: dict[int, list[str]] = {}
    by_days: dict[int, list[int]] = defaultdict(list)
    limits: dict[int, tuple[int | None, int]] = {}
    for member in members:
        user = member.user
        if user is None:
            perms[member.pk] = []
            continue
        if user.is_staff:
            granted = set(permissions.ALL)
        else:
            granted = {
                p.codename
                for p in user.user_permissions.all()
                if p.content_type.app_label == "members" and p.codename in permissions.ALL
            }
        perms[member.pk] = [perm for perm in permissions.ALL if perm in granted]
        limit, days, _overridden = quotas.limits_for(member)
        limits[member.pk] = (limit, days)
        by_days[days].append(user.pk)
    used: dict[int, int] = {}
    for days, user_ids in by_days.items():
        invites = Invite.objects.filter(created_by_id__in=user_ids).exclude(expires_at__lte=now, used_count=0)
        if days:
            invites = invites.filter(created_at__gt=now - timedelta(days=days))
        for row in invites.order_by().values("created_by_id").annotate(n=Count("id")):
            used[row["created_by_id"]] = row["n"]
    rows: dict[int, RowRights] = {}
    for member in members:
        granted_perms = perms[member.pk]
        exempt = bool(set(granted_perms) & {permissions.MANAGE_USERS, permissions.MANAGE_INVITES})
        limit = None if exempt or member.pk not in limits else limits[member.pk][0]
        rows[member.pk] = RowRights(
            permissions=granted_perms,
            used=used.get(member.user_id or 0, 0),
            limit=limit,
            asks_for_time=bool(getattr(member, "open_extensions", [])),
        )
    return rows
