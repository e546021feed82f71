"""When access ends: remove the share, or suspend it; and renewing a suspended member.

The owner chooses per setting (``SiteSettings.access_end``) and per member
(``Member.access_end``, blank follows the setting) what ending a member's access means:

- ``remove`` (the default): the share goes, as it always did (``services.queue_removal``);
- ``suspend``: the friend keeps their accepted share, narrowed through the outbox to the one
  library the owner picked (``SiteSettings.suspend_library_key``, e.g. "Renew your access").
  They are ``suspending`` until Plex confirms, then ``suspended``; the share's libraries and
  settings from before are kept in ``Member.suspended_share``.

Renewing a suspended member (a new expiry date, a trial extended, a new invite redeemed)
gives the share back through the outbox; they are ``active`` again once Plex confirms.

Only a share can be suspended: a member whose invitation is still pending (nothing
accepted to keep), a Plex Home member, one whose Plex account is unknown, or any member
while no suspension library is set, is removed instead, and the audit says why.

``end_access`` is the one function every path that ends access calls (the expiry job, a
trial's "deactivate", the owner by hand, and any later rule such as inactivity).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Invalid
from guestlist.core.models import SiteSettings
from guestlist.members.models import Member
from guestlist.members.removal import end_unlinked, queue_removal
from guestlist.plex import services
from guestlist.plex.models import Library
from guestlist.plexwork import outbox
from guestlist.plexwork.models import PlexOperation

Status = Member.Status
AccessEnd = Member.AccessEnd
Kind = PlexOperation.Kind
ACCESS_END_CHOICES = ("remove", "suspend")
SUSPENDED_BY_ADMIN = "suspended by admin"
SHARE_FIELDS = ("allow_sync", "allow_channels", "allow_camera_upload")


def share_settings(member: Member) -> dict[str, Any]:
    """The member's share as an update_share payload (what a suspension keeps to give back)."""
    return {
        "library_keys": list(member.library_keys or []),
        **{field: bool(getattr(member, field)) for field in SHARE_FIELDS},
    }


def chosen_end(member: Member, site: SiteSettings | None = None) -> str:
    """``remove`` or ``suspend``: the member's own choice, else the owner's setting."""
    if member.access_end in ACCESS_END_CHOICES:
        return member.access_end
    site = site or SiteSettings.current()
    return site.access_end if site.access_end in ACCESS_END_CHOICES else AccessEnd.REMOVE


def suspension_library(member: Member, site: SiteSettings | None = None) -> int | None:
    """The PMS key of the owner's suspension library on the member's server, if it is there."""
    site = site or SiteSettings.current()
    key = site.suspend_library_key
    if key is None:
        return None
    present = Library.objects.filter(server_id=member.server_id, key=key, is_present=True).exists()
    return key if present else None


def why_not_suspendable(member: Member, site: SiteSettings | None = None) -> str:
    """Empty if this member's share can be suspended now, else why it cannot (for the audit)."""
    if member.status != Status.ACTIVE:
        return "no accepted share"
    if member.is_home:
        return "Plex Home member"
    if member.plex_id is None:
        return "Plex account unknown"
    if suspension_library(member, site) is None:
        return "no suspension library"
    return ""


def end_access(
    member: Member,
    *,
    actor: Actor,
    reason: str,
    final_status: str,
    inline: bool = True,
    choice: str | None = None,
) -> PlexOperation | None:
    """End a member's access the way the owner chose: suspend or remove.

    Call inside a transaction holding the member's row (``select_for_update``), as
    ``queue_removal``. ``final_status`` (``expired`` or ``removed``) is what a removal
    records; a suspension records ``suspended`` and keeps it as the cause. ``choice``
    overrides the member's and owner's choice (the owner's "Suspend now" / "Remove"). Returns
    the Plex operation to run after commit (with ``inline``), or None when there is nothing
    to start. Local accounts that never linked Plex end at once (``end_unlinked``).
    """
    if member.status == Status.UNLINKED:
        end_unlinked(member, actor=actor, reason=reason, final_status=final_status)
        return None
    site = SiteSettings.current()
    wanted = choice or chosen_end(member, site)
    if wanted == AccessEnd.SUSPEND:
        if member.status in (Status.SUSPENDING, Status.SUSPENDED):
            return None
        refusal = why_not_suspendable(member, site)
        if not refusal:
            return queue_suspension(member, actor=actor, reason=reason, cause=final_status, inline=inline)
        audit.record(actor, "member.suspend_skipped", member, why=refusal, removed_instead=True)
    return queue_removal(member, actor=actor, reason=reason, final_status=final_status, inline=inline)


def queue_suspension(
    member: Member, *, actor: Actor, reason: str, cause: str, inline: bool = True
) -> PlexOperation | None:
    """Mark them ``suspending`` and queue the narrowing of their share, exactly once."""
    key = suspension_library(member)
    if key is None or member.status != Status.ACTIVE:
        return None
    saved = share_settings(member)
    outbox.cancel_open(member.pk)
    member.status = Status.SUSPENDING
    member.reason = reason[:200]
    member.save(update_fields=["status", "reason", "updated_at"])
    op = outbox.enqueue(
        Kind.SUSPEND,
        member=member,
        payload={**saved, "library_keys": [key], "saved": saved, "cause": cause, "previous_status": Status.ACTIVE},
        reason=reason[:32],
        inline=inline,
    )
    audit.record(actor, "member.suspend_requested", member, reason=reason, cause=cause, library_key=key)
    return op


def open_restore(member: Member) -> PlexOperation | None:
    return PlexOperation.objects.filter(member=member, kind=Kind.RESTORE, state=PlexOperation.State.QUEUED).first()


def queue_restore(
    member: Member,
    *,
    actor: Actor,
    reason: str,
    settings: dict[str, Any] | None = None,
    redemption: Any = None,
    inline: bool = True,
) -> PlexOperation | None:
    """Queue giving a suspended member's share back; call inside a transaction holding
    their row. ``settings`` (an invite's, when they redeem one) replaces the saved share.

    They stay ``suspended`` until Plex confirms (``plexwork.effects``); None when they are
    not suspended. A restore already queued is replaced (giving a share back twice is
    harmless on Plex's side).
    """
    if member.status != Status.SUSPENDED:
        return None
    outbox.cancel_open(member.pk)
    payload = dict(settings or member.suspended_share or share_settings(member))
    payload["previous_status"] = Status.SUSPENDED
    op = outbox.enqueue(
        Kind.RESTORE, member=member, redemption=redemption, payload=payload, reason=reason[:32], inline=inline
    )
    audit.record(actor, "member.restore_requested", member, reason=reason)
    return op


def call_off_suspension(member: Member, actor: Actor) -> bool:
    """A suspension still waiting for Plex no longer applies (the owner renewed them first):
    cancelled, and they are ``active`` again. Call inside a transaction holding their row."""
    if member.status != Status.SUSPENDING:
        return False
    pending = PlexOperation.objects.filter(member=member, kind=Kind.SUSPEND, state=PlexOperation.State.QUEUED).first()
    if pending is None:
        return False
    outbox.cancel_open(member.pk, kinds=(Kind.SUSPEND,))
    member.status = Status.ACTIVE
    member.reason = ""
    member.save(update_fields=["status", "reason", "updated_at"])
    audit.record(actor, "member.suspension_called_off", member)
    return True


def renew(member: Member, *, actor: Actor, reason: str) -> PlexOperation | None:
    """A renewal (new expiry, trial extended): call off a suspension in progress, or queue
    giving a suspended share back. Inside a transaction holding the member's row."""
    if call_off_suspension(member, actor):
        return None
    return queue_restore(member, actor=actor, reason=reason)


@dataclass(frozen=True)
class ActionOutcome:
    member: Member
    done: bool
    error: str = ""


def _run(member: Member, op: PlexOperation | None) -> ActionOutcome:
    if op is None:
        member.refresh_from_db()
        return ActionOutcome(member, True)
    outcome = outbox.run(op)
    member.refresh_from_db()
    if outcome.state == PlexOperation.State.FAILED and outcome.exc is not None and op.kind == Kind.RESTORE:
        raise services.as_service_error(outcome.exc)
    return ActionOutcome(member, outcome.done, outcome.error)


def suspend_member(member: Member, *, actor: Actor, reason: str = SUSPENDED_BY_ADMIN) -> ActionOutcome:
    """The owner suspends a member now (``POST /api/users/{id}/suspend``)."""
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.status in (Status.SUSPENDING, Status.SUSPENDED):
            raise Conflict("This member is suspended already.", code="already_suspended")
        refusal = why_not_suspendable(locked)
        if refusal == "no suspension library":
            raise Conflict(
                "Choose the library suspended members keep first (Settings → Members).", code="no_suspension_library"
            )
        if refusal:
            raise Conflict(f"Only a friend with an accepted share can be suspended ({refusal}).", code="not_active")
        op = queue_suspension(locked, actor=actor, reason=reason, cause=Status.REMOVED)
    return _run(member, op)


def restore_member(member: Member, *, actor: Actor, reason: str = "restored by admin") -> ActionOutcome:
    """The owner gives a suspended member their share back (``POST /api/users/{id}/restore``)."""
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.status == Status.SUSPENDING:
            call_off_suspension(locked, actor)
            op = None
        elif locked.status != Status.SUSPENDED:
            raise Conflict("Only a suspended member can be restored.", code="not_suspended")
        else:
            op = queue_restore(locked, actor=actor, reason=reason)
    return _run(member, op)


def set_access_end(member: Member, choice: str, *, actor: Actor) -> Member:
    """The member's own choice of what ending their access means ("" follows the setting)."""
    if choice not in AccessEnd.values:
        raise Invalid(
            "access_end must be default, remove or suspend.", details=[{"field": "access_end", "message": "invalid"}]
        )
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        before = locked.access_end
        if before != choice:
            locked.access_end = choice
            locked.save(update_fields=["access_end", "updated_at"])
            audit.record(actor, "member.access_end", locked, before=before or "default", after=choice or "default")
    member.refresh_from_db()
    return member
