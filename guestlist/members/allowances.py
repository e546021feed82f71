"""What members may do and how much of their invite quota is left, for any number of members
in a fixed number of queries: the owner's members table, ``/me/members`` and the member API
all read it here, so they cannot disagree.

The rules themselves live where they belong: who may do what in ``permissions`` (a user's
own and their groups' grants; the quota exemption), what counts against a quota in
``quotas``, trials in ``trials``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import prefetch_related_objects
from django.utils import timezone

from guestlist.core.models import SiteSettings
from guestlist.members import permissions, quotas
from guestlist.members.models import Member, TrialExtensionRequest


@dataclass(frozen=True)
class Allowance:
    permissions: list[str]  # in the order of permissions.ALL
    quota: quotas.Quota
    open_extension: TrialExtensionRequest | None

    @property
    def used(self) -> int:
        return self.quota.used

    @property
    def limit(self) -> int | None:
        """The quota's limit, or None when there is none or the member is exempt."""
        return self.quota.limit if self.quota.restricted else None

    @property
    def asks_for_time(self) -> bool:
        return self.open_extension is not None


def allowances(members: Sequence[Member], *, now: datetime | None = None) -> dict[int, Allowance]:
    """Each member's permissions, quota and open extension request, keyed by member id.

    Queries: the members' users (unless already loaded), two for permissions, one per
    distinct quota window, one for open extension requests.
    """
    now = now or timezone.now()
    site = SiteSettings.current()
    prefetch_related_objects(list(members), "user")
    users = [member.user for member in members if member.user is not None]
    perms = permissions.perms_of_users(users)
    limits = {member.pk: quotas.limits_for(member, site) for member in members}
    windows = {member.user_id: limits[member.pk][1] for member in members if member.user_id is not None}
    used = quotas.used_by(windows, now)
    open_requests = {
        request.member_id: request
        for request in TrialExtensionRequest.objects.filter(
            member__in=[member.pk for member in members], state=TrialExtensionRequest.State.OPEN
        ).order_by("created_at", "id")
    }
    found: dict[int, Allowance] = {}
    for member in members:
        user = member.user
        granted = perms.get(user.pk, frozenset()) if user is not None else frozenset()
        limit, days, overridden = limits[member.pk]
        exempt = permissions.quota_exempt(bool(user is not None and user.is_staff), granted)
        found[member.pk] = Allowance(
            permissions=[perm for perm in permissions.ALL if perm in granted],
            quota=quotas.Quota(limit, days, used.get(member.user_id or 0, 0), exempt, overridden=overridden),
            open_extension=open_requests.get(member.pk),
        )
    return found
