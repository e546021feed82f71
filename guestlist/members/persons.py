"""One person on several Plex servers (issue 20 §3).

A person has one ``Member`` row per server. The row with ``primary`` empty is their person
row: it holds what belongs to the person rather than to a share (their Django user, quota
overrides) and is the row lists show; their rows on other servers point to it. Each row
keeps its own status, share, libraries, expiry and Plex work, so expiry, removal, sync and
access changes act per server without knowing about the others.
"""

from __future__ import annotations

from django.db.models import Q

from guestlist.members.models import LIVE_STATUSES, Member


def person_row(member: Member) -> Member:
    if member.primary_id is None:
        return member
    return Member.objects.filter(pk=member.primary_id).first() or member


def rows_of(member: Member) -> list[Member]:
    """All rows of the person ``member`` belongs to, person row first, then by server."""
    head = member.primary_id or member.pk
    rows = list(Member.objects.filter(Q(pk=head) | Q(primary_id=head)).select_related("server"))
    return sorted(rows, key=lambda row: (row.primary_id is not None, row.server_id, row.pk))


def hand_over(member: Member) -> Member | None:
    """When a person row loses its access but another of their rows still has it, that row
    becomes the person row (with the user and the quota overrides), so lists keep showing a
    person who can still watch. Call inside the transaction that ended ``member``'s access.
    Returns the new person row, or None when nothing changed."""
    if member.primary_id is not None or member.status in LIVE_STATUSES:
        return None
    heir = Member.objects.filter(primary_id=member.pk, status__in=LIVE_STATUSES).order_by("server_id", "pk").first()
    if heir is None:
        return None
    user_id = member.user_id
    Member.objects.filter(primary_id=member.pk).exclude(pk=heir.pk).update(primary_id=heir.pk)
    Member.objects.filter(pk=member.pk).update(primary_id=heir.pk, user=None)
    Member.objects.filter(pk=heir.pk).update(
        primary_id=None,
        user_id=user_id if user_id is not None else heir.user_id,
        invite_quota_limit=member.invite_quota_limit,
        invite_quota_days=member.invite_quota_days,
    )
    heir.refresh_from_db()
    return heir
