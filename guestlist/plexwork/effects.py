"""What a finished or failed Plex operation means for members, redemptions and invites."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.invites.models import Invite, Redemption
from guestlist.invites.services import delete_if_orphaned, disable_invites_of_departed
from guestlist.members import persons
from guestlist.members.models import Member
from guestlist.notifications import notify
from guestlist.plex.errors import PlexError
from guestlist.plexwork.models import PlexOperation
from guestlist.plexwork.queue import enqueue

Kind = PlexOperation.Kind
State = PlexOperation.State
JOB_ACTOR = Actor.job("plex_operations")


def _member_id(op: PlexOperation) -> int:
    if op.member_id is None:
        raise LookupError(f"Plex operation {op.pk} has no member")
    return op.member_id


GRANTS = (Kind.SHARE, Kind.HOME_INVITE)


def _token_still_needed(op: PlexOperation) -> bool:
    """A redemption of several servers keeps the redeemer's token until every server's share
    and accept are through; one server finishing must not take it from the others."""
    if not op.redemption_id:
        return False
    return (
        PlexOperation.objects.filter(
            redemption_id=op.redemption_id, state=State.QUEUED, kind__in=(*GRANTS, Kind.ACCEPT)
        )
        .exclude(pk=op.pk)
        .exists()
    )


def _forget_token(op: PlexOperation, **fields: Any) -> None:
    """Clear the redeemer's token once no work of the redemption needs it (plus ``fields``)."""
    if not op.redemption_id:
        return
    if not _token_still_needed(op):
        fields["user_token_encrypted"] = ""
    if fields:
        Redemption.objects.filter(pk=op.redemption_id).update(**fields)


def on_done(op: PlexOperation, result: dict[str, Any]) -> None:
    """Runs inside the transaction that marks ``op`` done."""
    member = Member.objects.get(pk=_member_id(op))
    now = timezone.now()
    if op.kind in (Kind.SHARE, Kind.HOME_INVITE):
        if result.get("share_id"):
            member.plex_share_id = result["share_id"]
        if result.get("user_id") and member.plex_id is None:
            member.plex_id = result["user_id"]
        member.save(update_fields=["plex_share_id", "plex_id", "updated_at"])
        if op.redemption_id:
            confirmed = Redemption.objects.filter(pk=op.redemption_id, state=Redemption.State.PENDING).update(
                state=Redemption.State.DONE, completed_at=now, error="", error_code=""
            )
            if confirmed:
                notify.member_joined(member, redemption_id=op.redemption_id)
            redemption = Redemption.objects.get(pk=op.redemption_id)
            if result.get("accepted"):
                # Plex's answer to the share says accepted already (a friend or Home member
                # gets no invite): nothing to accept, and the token's job is done.
                Member.objects.filter(pk=member.pk, status=Member.Status.PENDING).update(
                    status=Member.Status.ACTIVE, updated_at=now
                )
                if redemption.user_token_encrypted:
                    _forget_token(op, accepted_at=now)
            elif (
                redemption.user_token_encrypted
                and not PlexOperation.objects.filter(
                    redemption_id=redemption.pk, kind=Kind.ACCEPT, server_id=op.server_id
                ).exists()
            ):
                # The share exists; now accept it as the redeemer so they need no e-mail.
                enqueue(Kind.ACCEPT, member=member, redemption=redemption, inline=False)
    elif op.kind == Kind.ACCEPT:
        if "accepted" in result:
            Member.objects.filter(pk=member.pk, status=Member.Status.PENDING).update(
                status=Member.Status.ACTIVE, updated_at=now
            )
        # The token's job is done: keep it no longer than needed.
        _forget_token(op, **({"accepted_at": now} if "accepted" in result else {}))
    elif op.kind == Kind.UPDATE_SHARE:
        _access_confirmed(member, op.payload, now)
    elif op.kind == Kind.SUSPEND:
        _suspended(op, member, now)
    elif op.kind == Kind.RESTORE:
        _restored(op, member, result, now)
    elif op.kind == Kind.REMOVE:
        if op.payload.get("compensation"):
            # Taking back a share that was granted after the member had already left.
            audit.record(JOB_ACTOR, "member.late_share_removed", member)
            return
        final = op.payload.get("final_status", Member.Status.REMOVED)
        Member.objects.filter(pk=member.pk).update(
            status=final, removed_at=now, reason=op.reason or member.reason, plex_share_id=None, updated_at=now
        )
        audit.record(JOB_ACTOR, f"member.{final}", member, confirmed_by_plex=True)
        disable_invites_of_departed(member, actor=JOB_ACTOR)
        member.refresh_from_db()
        notify.member_ended(member, final)
        persons.hand_over(member)
        delete_if_orphaned(member.invite_id, actor=JOB_ACTOR)


ACCESS_FLAGS = ("allow_sync", "allow_channels", "allow_camera_upload")
ACCESS_FAILED = "Changing access failed: "


def _access(member: Member) -> dict[str, Any]:
    return {
        "library_keys": [int(key) for key in (member.library_keys or [])],
        **{flag: bool(getattr(member, flag)) for flag in ACCESS_FLAGS},
        "content_limits": dict(member.content_limits or {}),
    }


def _access_confirmed(member: Member, payload: dict[str, Any], now: Any) -> None:
    """Plex confirmed an access change (``members.access``): only now is it recorded."""
    before = payload.get("before") or _access(member)
    fields: dict[str, Any] = {flag: bool(payload[flag]) for flag in ACCESS_FLAGS if flag in payload}
    if "library_keys" in payload:
        fields["library_keys"] = [int(key) for key in payload["library_keys"]]
    if "content_limits" in payload:
        fields["content_limits"] = dict(payload["content_limits"] or {})
    reason = "" if member.reason.startswith(ACCESS_FAILED) else member.reason
    Member.objects.filter(pk=member.pk).update(**fields, plex_access=None, reason=reason, updated_at=now)
    member.refresh_from_db()
    after = _access(member)
    audit.record(JOB_ACTOR, "member.access_changed", member, before=before, after=after, confirmed_by_plex=True)
    if before != after:
        notify.member_access_changed(member, before=before, after=after)


def _share_fields(payload: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        key: payload[key] for key in ("allow_sync", "allow_channels", "allow_camera_upload") if key in payload
    }
    if "library_keys" in payload:
        fields["library_keys"] = payload["library_keys"]
    return fields


def _suspended(op: PlexOperation, member: Member, now: Any) -> None:
    """Plex narrowed the share: the member is ``suspended``, their old share kept to give back."""
    Member.objects.filter(pk=member.pk).update(
        **_share_fields(op.payload),
        status=Member.Status.SUSPENDED,
        suspended_at=now,
        suspended_share=op.payload.get("saved"),
        reason=op.reason or member.reason,
        updated_at=now,
    )
    member.refresh_from_db()
    audit.record(JOB_ACTOR, "member.suspended", member, confirmed_by_plex=True, cause=op.payload.get("cause"))
    disable_invites_of_departed(member, actor=JOB_ACTOR)
    notify.member_suspended(member, cause=str(op.payload.get("cause") or ""))


def _restored(op: PlexOperation, member: Member, result: dict[str, Any], now: Any) -> None:
    """Plex gave the share back (or, for a redemption, shared afresh): ``active`` again."""
    reshared = bool(result.get("reshared"))
    status = Member.Status.ACTIVE if not reshared or result.get("accepted") else Member.Status.PENDING
    changes: dict[str, Any] = {
        **_share_fields(op.payload),
        "status": status,
        "suspended_at": None,
        "suspended_share": None,
        "removed_at": None,
        "reason": "",
        "updated_at": now,
    }
    if result.get("share_id"):
        changes["plex_share_id"] = result["share_id"]
    Member.objects.filter(pk=member.pk).update(**changes)
    member.refresh_from_db()
    audit.record(JOB_ACTOR, "member.restored", member, confirmed_by_plex=True, reshared=reshared)
    notify.member_restored(member)
    if op.redemption_id:
        Redemption.objects.filter(pk=op.redemption_id, state=Redemption.State.PENDING).update(
            state=Redemption.State.DONE, completed_at=now, error="", error_code=""
        )
        redemption = Redemption.objects.get(pk=op.redemption_id)
        if status == Member.Status.ACTIVE or not redemption.user_token_encrypted:
            Redemption.objects.filter(pk=redemption.pk).update(
                user_token_encrypted="", accepted_at=now if status == Member.Status.ACTIVE else None
            )
        else:
            enqueue(Kind.ACCEPT, member=member, redemption=redemption, inline=False)


def on_done_after_cancel(op: PlexOperation, result: dict[str, Any]) -> None:
    """Plex finished an operation that was cancelled while it ran.

    Only a grant matters: if the member left in the meantime, the share Plex just made
    must not outlive them, so it is taken back. A suspension Plex carried out after it was
    called off leaves a member with access narrowed: their share is widened again.
    """
    if op.kind == Kind.SUSPEND and op.member_id is not None:
        member = Member.objects.filter(pk=op.member_id, status=Member.Status.ACTIVE).first()
        if member is not None:
            enqueue(Kind.UPDATE_SHARE, member=member, payload=op.payload.get("saved") or {}, inline=False)
        return
    if op.kind not in (Kind.SHARE, Kind.HOME_INVITE) or op.member_id is None:
        return
    member = Member.objects.filter(pk=op.member_id).first()
    if member is None or member.status in (Member.Status.PENDING, Member.Status.ACTIVE):
        return
    # Even with the member's own removal still queued: it may already have looked for
    # the share before Plex made it. A second removal of nothing counts as done.
    if result.get("user_id") and member.plex_id is None:
        Member.objects.filter(pk=member.pk).update(plex_id=result["user_id"])
        member.plex_id = result["user_id"]
    enqueue(Kind.REMOVE, member=member, payload={"compensation": True}, reason="late share", inline=False)


def on_cancelled(op: PlexOperation) -> None:
    """Runs inside the transaction that cancels ``op`` (the member is being removed)."""
    if op.kind == Kind.ACCEPT or op.kind in (Kind.SHARE, Kind.HOME_INVITE):
        # The redeemer's token is kept only for work still to do.
        _forget_token(op)
    if op.kind in (Kind.SHARE, Kind.HOME_INVITE) and op.redemption_id and not _grant_still_open(op):
        # Their use was spent on a membership that ended before Plex confirmed it; it is
        # settled rather than left pending for ever, and not given back (they redeemed).
        Redemption.objects.filter(pk=op.redemption_id, state=Redemption.State.PENDING).update(
            state=Redemption.State.DONE,
            completed_at=timezone.now(),
            error="Removed before Plex confirmed the share.",
        )


def on_failed(op: PlexOperation, error: str, exc: PlexError | None) -> None:
    """Runs inside the transaction that marks ``op`` failed for good."""
    now = timezone.now()
    if op.kind in (Kind.SHARE, Kind.HOME_INVITE):
        give_back_use(op, error, exc)
    elif op.kind == Kind.ACCEPT:
        # They can still accept from Plex's e-mail or app; the sync job notices when they do.
        _forget_token(op)
        Member.objects.filter(pk=_member_id(op)).update(
            reason="Accept the invitation in the e-mail from Plex.", updated_at=now
        )
    elif op.kind == Kind.UPDATE_SHARE:
        Member.objects.filter(pk=_member_id(op)).update(reason=f"{ACCESS_FAILED}{error}"[:200], updated_at=now)
    elif op.kind == Kind.SUSPEND:
        _remove_instead(op, error)
    elif op.kind == Kind.RESTORE:
        if op.redemption_id:
            # A new invite could not bring them back: its use returns, they stay suspended.
            give_back_use(op, error, exc)
        else:
            Member.objects.filter(pk=_member_id(op)).update(
                reason=f"Restoring access failed: {error}"[:200], updated_at=now
            )
    elif op.kind == Kind.REMOVE:
        # Never recorded as done: the member stays "removing" with the error for the dashboard.
        Member.objects.filter(pk=_member_id(op)).update(reason=f"Removal failed: {error}"[:200], updated_at=now)


def _remove_instead(op: PlexOperation, error: str) -> None:
    """Plex would not narrow the share (it is gone, or refused): access still has to end, so
    the share is removed as if the owner had chosen that; "not found" is checked there."""
    member = Member.objects.get(pk=_member_id(op))
    if member.status != Member.Status.SUSPENDING:
        return
    final = Member.Status.EXPIRED if op.payload.get("cause") == Member.Status.EXPIRED else Member.Status.REMOVED
    member.status = Member.Status.REMOVING
    member.reason = f"Suspending failed, removing instead: {error}"[:200]
    member.save(update_fields=["status", "reason", "updated_at"])
    enqueue(
        Kind.REMOVE,
        member=member,
        payload={"final_status": final, "previous_status": Member.Status.ACTIVE},
        reason=(op.reason or "suspend failed")[:32],
        inline=False,
    )
    audit.record(JOB_ACTOR, "member.suspend_failed", member, error=error[:200], removed_instead=True)


def _grant_still_open(op: PlexOperation) -> bool:
    """Another server of the same redemption is shared or still being shared."""
    if not op.redemption_id:
        return False
    return (
        PlexOperation.objects.filter(
            redemption_id=op.redemption_id, kind__in=GRANTS, state__in=(State.QUEUED, State.DONE)
        )
        .exclude(pk=op.pk)
        .exists()
    )


def _refusal_code(exc: PlexError | None) -> str:
    if exc is not None and type(exc).__name__ == "PlexPassRequired":
        return "plex_pass_required"
    if exc is not None and type(exc).__name__ == "PlexAlreadyShared":
        return "already_member"
    return "plex_refused"


def refuse_one_server(op: PlexOperation, error: str, exc: PlexError | None) -> None:
    """Plex refused one server of a redemption whose other servers stand: the use stays spent
    (it bought the others), this server's row records the refusal, the rest is untouched."""
    code = _refusal_code(exc)
    cancel_open(_member_id(op))
    member = Member.objects.get(pk=_member_id(op))
    previous = op.payload.get("previous_status")
    now = timezone.now()
    member.status = previous or Member.Status.REMOVED
    member.reason = (f"Re-invitation failed: {error}" if previous else f"Plex refused this server: {error}")[:200]
    if not previous:
        member.removed_at = now
    member.save(update_fields=["status", "reason", "removed_at", "updated_at"])
    audit.record(JOB_ACTOR, "invite.redeem_part_failed", member, server_id=op.server_id, error=error[:500])
    # The other servers may have finished already: then nothing needs the token any more.
    _forget_token(op)
    if code != "already_member" and op.redemption_id:
        redemption = Redemption.objects.filter(pk=op.redemption_id).first()
        notify.redemption_failed(
            Invite.objects.filter(pk=redemption.invite_id or 0).first() if redemption else None,
            member,
            error_code=code,
            error=error,
        )
    persons.hand_over(member)


def _drop_refused_siblings(op: PlexOperation) -> None:
    """The last server of a redemption failed too: rows made only for it (refused earlier,
    never anyone's access before) go, as a single server's row does."""
    for sibling in PlexOperation.objects.filter(
        redemption_id=op.redemption_id or 0, kind__in=GRANTS, state=State.FAILED
    ).exclude(pk=op.pk):
        if sibling.payload.get("previous_status") or sibling.member_id is None:
            continue
        row = Member.objects.filter(pk=sibling.member_id, status=Member.Status.REMOVED).first()
        if row is None:
            continue
        Member.objects.filter(primary=row).update(primary=None)
        Redemption.objects.filter(member=row).update(member=None)
        row.delete()


def give_back_use(op: PlexOperation, error: str, exc: PlexError | None) -> None:
    """A redemption Plex refused for good: the use returns to the invite, no access remains.

    With several servers this holds only when every server was refused; while another one
    is shared or still being shared, only this server's part failed (``refuse_one_server``).
    """
    if _grant_still_open(op):
        refuse_one_server(op, error, exc)
        return
    code = _refusal_code(exc)
    if op.redemption_id:
        _drop_refused_siblings(op)
        failed = Redemption.objects.filter(
            pk=op.redemption_id, state__in=(Redemption.State.PENDING, Redemption.State.DONE)
        ).update(
            state=Redemption.State.FAILED,
            error=error[:2000],
            error_code=code,
            completed_at=timezone.now(),
            user_token_encrypted="",
        )
        redemption = Redemption.objects.get(pk=op.redemption_id)
        if failed and redemption.invite_id:
            Invite.objects.filter(pk=redemption.invite_id, used_count__gt=0).update(used_count=F("used_count") - 1)
        if failed and code != "already_member":
            # Someone who already had access is refused politely; nobody needs telling.
            notify.redemption_failed(
                Invite.objects.filter(pk=redemption.invite_id or 0).first(),
                Member.objects.filter(pk=_member_id(op)).first(),
                error_code=code,
                error=error,
            )
    cancel_open(_member_id(op))
    member = Member.objects.get(pk=_member_id(op))
    previous = op.payload.get("previous_status")
    if previous:
        member.status = previous
        member.reason = f"Re-invitation failed: {error}"[:200]
        member.save(update_fields=["status", "reason", "updated_at"])
    else:
        # The member existed only for this attempt; the failed redemption keeps the history.
        Redemption.objects.filter(member=member).update(member=None)
        Member.objects.filter(primary=member).update(primary=None)
        member.delete()


def cancel_open(member_id: int, *, kinds: tuple[str, ...] | None = None) -> int:
    """Cancel a member's queued operations; call inside the transaction that decided it."""
    ops = PlexOperation.objects.filter(member_id=member_id, state=State.QUEUED)
    if kinds:
        ops = ops.filter(kind__in=kinds)
    cancelled = 0
    for op in ops:
        if PlexOperation.objects.filter(pk=op.pk, state=State.QUEUED).update(
            state=State.CANCELLED, finished_at=timezone.now(), locked_until=None, locked_by=""
        ):
            on_cancelled(op)
            cancelled += 1
    return cancelled
