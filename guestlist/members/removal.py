"""Ending a member's access on Plex: the removal every path shares, and local accounts'
end. Below ``services`` and ``suspension``, which both start removals."""

from __future__ import annotations

from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.invites.models import Redemption
from guestlist.invites.services import disable_invites_of_departed
from guestlist.members.models import Member
from guestlist.notifications import notify
from guestlist.plexwork import outbox
from guestlist.plexwork.models import PlexOperation

Status = Member.Status
LIVE = (Status.PENDING, Status.ACTIVE)


def end_unlinked(member: Member, *, actor: Actor, reason: str, final_status: str = Status.EXPIRED) -> None:
    """End a local account's membership that never reached Plex: nothing to take back there.

    Call inside a transaction holding the member's row. Their pending redemption is
    settled as done (the use was spent, as for any member who leaves).
    """
    now = timezone.now()
    member.status = final_status
    member.removed_at = now
    member.reason = reason[:200]
    member.save(update_fields=["status", "removed_at", "reason", "updated_at"])
    Redemption.objects.filter(member=member, state=Redemption.State.PENDING).update(
        state=Redemption.State.DONE, completed_at=now, user_token_encrypted=""
    )
    audit.record(actor, f"member.{final_status}", member, confirmed_by_plex=False, unlinked=True)
    disable_invites_of_departed(member, actor=actor)
    notify.member_ended(member, final_status)


def open_removal(member: Member) -> PlexOperation | None:
    return PlexOperation.objects.filter(
        member=member, kind=PlexOperation.Kind.REMOVE, state=PlexOperation.State.QUEUED
    ).first()


def queue_removal(
    member: Member, *, actor: Actor, reason: str, final_status: str, inline: bool = True
) -> PlexOperation | None:
    """Mark them ``removing`` and queue the Plex removal, exactly once.

    Call inside a transaction holding the member's row (``select_for_update``). Returns
    None when there is nothing to start: they are gone already, or a removal is queued.
    A member whose earlier removal Plex refused for good may be removed again. With
    ``inline`` the caller runs the operation right after committing; without, the
    outbox job does.
    """
    if member.status in (Status.REMOVED, Status.EXPIRED):
        return None
    if member.status == Status.REMOVING and open_removal(member) is not None:
        return None
    previous = member.status if member.status in LIVE else None
    outbox.cancel_open(member.pk)
    member.status = Status.REMOVING
    member.reason = reason[:200]
    member.save(update_fields=["status", "reason", "updated_at"])
    op = outbox.enqueue(
        PlexOperation.Kind.REMOVE,
        member=member,
        payload={"final_status": final_status, "previous_status": previous},
        reason=reason[:32],
        inline=inline,
    )
    audit.record(actor, "member.remove_requested", member, reason=reason, final_status=final_status)
    return op
