"""Changing what a member has on Plex after they joined: libraries, Downloads / Live TV /
camera upload and content limits, one member or a selection; and differences between Plex and
Guestlist that someone made in Plex itself.

The one Plex operation behind all of it is ``UPDATE_SHARE``: `queue_access_change` writes it
down inside the caller's transaction (other features, such as narrowing a share instead of
removing it, call it too), and the outbox runs it. Nothing about the member's access is recorded
as changed until Plex confirmed (`plexwork.effects.on_done` writes the fields); a refusal leaves
the member as they were, with the error as their reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import transaction

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Invalid, PlexRefused
from guestlist.members.models import Member
from guestlist.plex import content_options, libraries
from guestlist.plex.content_limits import from_filters
from guestlist.plexwork import outbox
from guestlist.plexwork.models import PlexOperation

Status = Member.Status
LIVE = (Status.PENDING, Status.ACTIVE)
FLAGS = ("allow_sync", "allow_channels", "allow_camera_upload")
# What an access change may name; ``libraries`` takes "all", "default" or keys.
CHANGEABLE = ("libraries", *FLAGS, "content_limits")
MAX_BULK = 500
FAILED_REASON = "Changing access failed: "


def access_of(member: Member) -> dict[str, Any]:
    """A member's access as Guestlist has it (the shape of the operation's payload)."""
    return {
        "library_keys": [int(key) for key in (member.library_keys or [])],
        **{flag: bool(getattr(member, flag)) for flag in FLAGS},
        "content_limits": dict(member.content_limits or {}),
    }


def target_access(member: Member, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The member's access with ``changes`` applied; fields not named stay as they are."""
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise Invalid(f"Unknown access fields: {', '.join(sorted(unknown))}.")
    target = access_of(member)
    if changes.get("libraries") is not None:
        selection = libraries.normalize_selection(changes["libraries"], member.server)
        target["library_keys"] = list(libraries.resolve_keys(selection, member.server))
    for flag in FLAGS:
        if flag in changes and changes[flag] is not None:
            if not isinstance(changes[flag], bool):
                raise Invalid(f"{flag} must be true or false.")
            target[flag] = changes[flag]
    if "content_limits" in changes:
        target["content_limits"] = content_options.clean(changes["content_limits"], member.server)
    return target


def changing(member: Member) -> PlexOperation | None:
    """The change Plex has not confirmed yet (Plex was down: the outbox retries it)."""
    return PlexOperation.objects.filter(
        member=member, kind=PlexOperation.Kind.UPDATE_SHARE, state=PlexOperation.State.QUEUED
    ).first()


def changing_ids(member_ids: list[int]) -> set[int]:
    return set(
        PlexOperation.objects.filter(
            member_id__in=member_ids, kind=PlexOperation.Kind.UPDATE_SHARE, state=PlexOperation.State.QUEUED
        ).values_list("member_id", flat=True)
    )


def queue_access_change(
    member: Member, target: Mapping[str, Any], *, actor: Actor, reason: str = "access changed", inline: bool = True
) -> PlexOperation:
    """Write down that ``member``'s share on Plex must become ``target`` (see `access_of`).

    Call inside a transaction holding the member's row. A change still waiting for Plex is
    replaced (the newest wins). With ``inline`` the caller runs the operation right after
    committing (``outbox.run``); without, the outbox job does. The member's fields change only
    when Plex confirms.
    """
    before = access_of(member)
    after = {
        "library_keys": [int(key) for key in target.get("library_keys", before["library_keys"])],
        **{flag: bool(target.get(flag, before[flag])) for flag in FLAGS},
        "content_limits": dict(target.get("content_limits", before["content_limits"])),
    }
    outbox.cancel_open(member.pk, kinds=(PlexOperation.Kind.UPDATE_SHARE,))
    op = outbox.enqueue(
        PlexOperation.Kind.UPDATE_SHARE,
        member=member,
        payload={**after, "before": before},
        reason=reason[:32],
        inline=inline,
    )
    audit.record(actor, "member.access_change_requested", member, before=before, after=after)
    return op


@dataclass(frozen=True)
class AccessOutcome:
    member: Member
    state: Literal["done", "changing", "refused"]
    error: str = ""


def change_access(member: Member, changes: Mapping[str, Any], *, actor: Actor) -> AccessOutcome:
    """Change one member's share on Plex now; "changing" when Plex is down (retried),
    "refused" when Plex said no for good (nothing recorded as changed)."""
    with transaction.atomic():
        locked = Member.objects.select_for_update().select_related("server").get(pk=member.pk)
        if locked.status not in LIVE:
            raise Conflict("Only members with access can have it changed.", code="not_active")
        op = queue_access_change(locked, target_access(locked, changes), actor=actor)
    outcome = outbox.run(op)
    member.refresh_from_db()
    if outcome.done:
        return AccessOutcome(member, "done")
    if outcome.state == PlexOperation.State.FAILED:
        return AccessOutcome(member, "refused", outcome.error)
    return AccessOutcome(member, "changing", outcome.error)


def raise_if_refused(outcome: AccessOutcome) -> None:
    """For the API: a refusal is Plex's 502, as everywhere else."""
    if outcome.state == "refused":
        raise PlexRefused(outcome.error or "Plex refused the change.", code="plex_refused")


@dataclass(frozen=True)
class BulkAccessOutcome:
    done: list[Member] = field(default_factory=list)
    changing: list[Member] = field(default_factory=list)
    refused: list[tuple[Member, str]] = field(default_factory=list)
    skipped: list[Member] = field(default_factory=list)  # without access: left alone


def change_access_of_many(member_ids: list[int], changes: Mapping[str, Any], *, actor: Actor) -> BulkAccessOutcome:
    """The same change for a selection (the members table's bulk action, ``POST /api/users/access``).

    Every member's change is decided and written down in one transaction, then each runs
    against Plex after it commits; one member Plex refuses does not stop the others.
    """
    ids = list(dict.fromkeys(member_ids))
    if not ids:
        raise Invalid("Choose at least one member.")
    if len(ids) > MAX_BULK:
        raise Invalid(f"At most {MAX_BULK} members at once.")
    if not any(changes.get(name) is not None for name in CHANGEABLE):
        raise Invalid(
            "Say what to change: libraries, allow_sync, allow_channels, allow_camera_upload or content_limits."
        )
    queued: list[tuple[Member, PlexOperation]] = []
    outcome = BulkAccessOutcome()
    with transaction.atomic():
        chosen = list(Member.objects.select_for_update().filter(pk__in=ids).select_related("server").order_by("pk"))
        for member in chosen:
            if member.status not in LIVE:
                outcome.skipped.append(member)
                continue
            queued.append((member, queue_access_change(member, target_access(member, changes), actor=actor)))
    for member, op in queued:
        result = outbox.run(op)
        member.refresh_from_db()
        if result.done:
            outcome.done.append(member)
        elif result.state == PlexOperation.State.FAILED:
            outcome.refused.append((member, result.error))
        else:
            outcome.changing.append(member)
    return outcome


# Differences between Plex and Guestlist


def plex_side(user: Any) -> dict[str, Any]:
    """What a Plex user's share says, in `access_of`'s shape; ``library_keys`` only when read."""
    side: dict[str, Any] = {flag: bool(getattr(user, flag)) for flag in FLAGS}
    if user.library_keys is not None:
        side["library_keys"] = sorted(int(key) for key in user.library_keys)
    limits = from_filters(user.filter_movies, user.filter_television, user.filter_music)
    side["content_limits"] = limits.as_json()
    return side


def differences(member: Member, user: Any) -> dict[str, Any] | None:
    """Plex's values where they differ from the member's (None: in step).

    The libraries are compared only when the read included them; a difference seen by an
    earlier, fuller read is kept until a read says otherwise.
    """
    side = plex_side(user)
    ours = access_of(member)
    found: dict[str, Any] = {}
    for flag in FLAGS:
        if side[flag] != ours[flag]:
            found[flag] = side[flag]
    if "library_keys" in side:
        if side["library_keys"] != sorted(ours["library_keys"]):
            found["library_keys"] = side["library_keys"]
    elif member.plex_access and "library_keys" in member.plex_access:
        found["library_keys"] = member.plex_access["library_keys"]
    theirs = content_options.stored(side["content_limits"])
    if not content_options.stored(ours["content_limits"]).same_on_plex(theirs):
        found["content_limits"] = side["content_limits"]
    return found or None


Keep = Literal["plex", "guestlist"]


def resolve_difference(member: Member, keep: Keep, *, actor: Actor) -> AccessOutcome:
    """ "keep Plex's": Guestlist takes what Plex has; "apply Guestlist's": Plex is set back."""
    if keep not in ("plex", "guestlist"):
        raise Invalid('keep must be "plex" or "guestlist".')
    if keep == "guestlist":
        with transaction.atomic():
            locked = Member.objects.select_for_update().select_related("server").get(pk=member.pk)
            if locked.status not in LIVE:
                raise Conflict("Only members with access can have it changed.", code="not_active")
            op = queue_access_change(locked, access_of(locked), actor=actor, reason="Guestlist's access applied")
        result = outbox.run(op)
        member.refresh_from_db()
        if result.done:
            return AccessOutcome(member, "done")
        state: Literal["changing", "refused"] = "refused" if result.state == PlexOperation.State.FAILED else "changing"
        return AccessOutcome(member, state, result.error)
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        theirs = locked.plex_access
        if not theirs:
            raise Conflict("Plex and Guestlist agree on this member's access.", code="no_difference")
        before = access_of(locked)
        if "library_keys" in theirs:
            locked.library_keys = list(theirs["library_keys"])
        for flag in FLAGS:
            if flag in theirs:
                setattr(locked, flag, bool(theirs[flag]))
        if "content_limits" in theirs:
            locked.content_limits = dict(theirs["content_limits"])
        locked.plex_access = None
        locked.save(update_fields=["library_keys", *FLAGS, "content_limits", "plex_access", "updated_at"])
        audit.record(actor, "member.plex_access_kept", locked, before=before, after=access_of(locked))
    member.refresh_from_db()
    return AccessOutcome(member, "done")
