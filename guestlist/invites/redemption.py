"""The one redemption service behind every path (e-mail, Plex sign-in, dashboard, API).

Order matters: validate, check that the person has no access yet, then claim one use with a
single conditional UPDATE in a short transaction that also records the member, the
redemption and the Plex work owed. Plex is called only after that transaction commits, so no
write lock is ever held across a network call, and a crash at any point leaves either
nothing or a row the job runner finishes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Gone, NotFound, ServiceError
from guestlist.core.models import SiteSettings
from guestlist.invites import status
from guestlist.invites.models import Invite, Redemption
from guestlist.invites.services import find_by_code
from guestlist.lib import crypto, metrics
from guestlist.members import suspension
from guestlist.members.models import Member
from guestlist.members.trials import start_trial
from guestlist.notifications import mail, notify
from guestlist.plex import libraries, services
from guestlist.plex.errors import PlexAlreadyShared, PlexError
from guestlist.plex.models import MediaServer
from guestlist.plexwork import outbox
from guestlist.plexwork.models import PlexOperation

LIVE_MEMBER_STATUSES = (
    Member.Status.PENDING,
    Member.Status.ACTIVE,
    Member.Status.REMOVING,
    Member.Status.UNLINKED,
    Member.Status.SUSPENDING,
)
LIVE_REDEMPTION_STATES = (Redemption.State.PENDING, Redemption.State.DONE)
PENDING_MESSAGE = "Plex is not answering right now. Your invite is saved and will finish on its own."

# The words of contract.md's "Public redemption pages", shown on the public pages.
MESSAGES = {
    "not_found": "Invite code not found",
    "disabled": "Invite code is not active",
    "used_up": "Invite code is not active",
    "expired": "Invite code has expired",
    "signup_disabled": "Sign-up is currently closed",
    "already_member": "You already have access to this Plex server",
    "owner_account": "This is the server owner's own Plex account",
    "not_configured": "This Guestlist has no Plex server connected yet",
    "local_accounts_disabled": "Local accounts are switched off",
}


@dataclass(frozen=True)
class Identity:
    """Who is redeeming. On the Plex path every field comes from Plex, read with their token."""

    method: str
    email: str
    username: str = ""
    plex_id: int | None = None
    thumb: str = ""
    token: str | None = None

    @property
    def person_key(self) -> str:
        if self.plex_id is not None:
            return f"plex:{self.plex_id}"
        return f"email:{self.email.strip().lower()}"

    @property
    def label(self) -> str:
        return self.username or self.email


@dataclass(frozen=True)
class RedeemResult:
    outcome: str  # "created" (201), "existing" (200) or "pending" (202: Plex work still owed)
    member: Member
    message: str = ""


def gone(reason: str) -> Gone:
    return Gone(MESSAGES.get(reason, reason), code=reason)


def usable_invite(code: str, *, now: datetime | None = None) -> Invite:
    """The invite behind ``code`` if it can be redeemed now, else the refusal to show."""
    now = now or timezone.now()
    invite = find_by_code(code)
    if invite is None:
        raise NotFound(MESSAGES["not_found"], code="not_found")
    if not SiteSettings.load().signup_enabled:
        raise gone("signup_disabled")
    reason = status.unusable_reason(invite, now)
    if reason:
        raise gone(reason)
    return invite


def is_owner(server: MediaServer, identity: Identity) -> bool:
    if identity.plex_id is not None and server.owner_plex_id is not None:
        return identity.plex_id == server.owner_plex_id
    return bool(server.owner_email) and identity.email.strip().lower() == server.owner_email.lower()


def find_member(server: MediaServer, identity: Identity) -> Member | None:
    """The person's row on this server, matched by Plex id first, then by e-mail."""
    members = Member.objects.filter(server=server)
    match = Q(person_key=identity.person_key)
    if identity.plex_id is not None:
        match |= Q(plex_id=identity.plex_id)
    if identity.email:
        match |= Q(email__iexact=identity.email.strip())
    candidates = list(members.filter(match).order_by("-created_at"))
    for member in candidates:
        if member.person_key == identity.person_key:
            return member
    return candidates[0] if candidates else None


def existing_result(invite: Invite, member: Member) -> RedeemResult | None:
    """The answer for someone asking again: their membership, or "pending" while Plex owes it."""
    live = Redemption.objects.filter(invite=invite, member=member, state__in=LIVE_REDEMPTION_STATES).first()
    if live is None:
        return None
    waiting = PlexOperation.objects.filter(redemption=live, state=PlexOperation.State.QUEUED).exclude(last_error="")
    if live.state == Redemption.State.PENDING and waiting.exists():
        # Honest about it: Plex failed and their access is still owed, not done. (A double
        # click while the first attempt is under way is simply the same membership.)
        return RedeemResult("pending", member, PENDING_MESSAGE)
    return RedeemResult("existing", member)


def _member_expiry(invite: Invite, now: datetime) -> datetime | None:
    if invite.user_expires_in_days is None:
        return None
    return now + timedelta(days=invite.user_expires_in_days)


def _claim(
    invite: Invite,
    identity: Identity,
    existing: Member | None,
    actor: Actor,
    now: datetime,
    on_claimed: Callable[[Member], None] | None = None,
) -> tuple[Member, PlexOperation | None]:
    """One short transaction: take a use, record member + redemption + the Plex work owed.

    A local account (``Redemption.Method.LOCAL``) owes Plex nothing yet: the member is
    ``unlinked`` and the redemption stays pending until they link their Plex account.
    """
    local = identity.method == Redemption.Method.LOCAL
    with transaction.atomic():
        claimed = (
            Invite.objects.filter(pk=invite.pk).filter(status.redeemable_q(now)).update(used_count=F("used_count") + 1)
        )
        if not claimed:
            invite.refresh_from_db()
            raise gone(status.unusable_reason(invite, now) or "used_up")
        previous_status = existing.status if existing is not None else None
        # A suspended friend still holds their accepted share: redeeming gives it back with
        # this invite's libraries and settings (members.suspension), nothing new to accept.
        restoring = previous_status == Member.Status.SUSPENDED and not local and not invite.plex_home
        member = existing or Member(server=invite.server, person_key=identity.person_key)
        member.person_key = identity.person_key
        member.email = identity.email.strip() or member.email
        member.username = identity.username or member.username
        member.plex_id = identity.plex_id if identity.plex_id is not None else member.plex_id
        member.thumb = identity.thumb or member.thumb
        member.invite = invite
        granted = list(libraries.resolve_keys(invite.libraries, invite.server))
        if not restoring:
            # While restoring they stay suspended, with the share Plex has, until Plex confirms.
            member.status = Member.Status.UNLINKED if local else Member.Status.PENDING
            member.is_home = invite.plex_home
            member.library_keys = granted
            member.allow_sync = invite.allow_sync
            member.allow_channels = invite.allow_channels
            member.allow_camera_upload = invite.allow_camera_upload
            member.content_limits = dict(invite.content_limits or {})
            member.plex_access = None
        member.expires_at = _member_expiry(invite, now)
        member.expiry_warned_at = None
        member.removed_at = None
        member.reason = ""
        start_trial(member, invite, now)
        member.save()
        redemption = Redemption.objects.create(
            invite=invite,
            invite_code=invite.code,
            member=member,
            method=identity.method,
            person_key=identity.person_key,
            email=identity.email.strip(),
            username=identity.username,
            plex_id=identity.plex_id,
            client_ip=actor.ip,
            user_token_encrypted=crypto.encrypt(identity.token) if identity.token else "",
        )
        if on_claimed is not None:
            on_claimed(member)
        audit.record(
            actor,
            "invite.redeem",
            invite,
            label=invite.code,
            member_id=member.pk,
            person=identity.label,
            method=identity.method,
            reinvited=previous_status is not None,
        )
        notify.invite_redeemed(invite, member, method=identity.method)
        mail.remember_language(identity.email, translation.get_language())
        if local:
            return member, None
        payload: dict[str, Any] = {
            "invitee": identity.email.strip() or identity.username,
            "library_keys": granted,
            "allow_sync": invite.allow_sync,
            "allow_channels": invite.allow_channels,
            "allow_camera_upload": invite.allow_camera_upload,
            "content_limits": member.content_limits,
            "previous_status": previous_status,
        }
        if restoring:
            op = suspension.queue_restore(
                member, actor=actor, reason="invite redeemed", settings=payload, redemption=redemption
            )
            if op is None:
                raise LookupError("a suspended member's restore was not queued")
            return member, op
        kind = PlexOperation.Kind.HOME_INVITE if invite.plex_home else PlexOperation.Kind.SHARE
        op = outbox.enqueue(kind, member=member, redemption=redemption, payload=payload)
    return member, op


def _run_accept_inline(redemption_id: int) -> None:
    op = PlexOperation.objects.filter(
        redemption_id=redemption_id, kind=PlexOperation.Kind.ACCEPT, state=PlexOperation.State.QUEUED
    ).first()
    if op is not None:
        claimed = outbox.claim(op.pk)
        if claimed is not None:
            outbox.run(claimed)


def redeem(
    code: str, identity: Identity, *, actor: Actor, on_claimed: Callable[[Member], None] | None = None
) -> RedeemResult:
    """Redeem ``code`` for ``identity``; ``on_claimed`` runs inside the claiming transaction
    (the local-account path makes the member's user there)."""
    try:
        result = _redeem(code, identity, actor=actor, on_claimed=on_claimed)
    except ServiceError as exc:
        metrics.count_redemption(exc.code)
        raise
    metrics.count_redemption(result.outcome)
    return result


def _redeem(
    code: str, identity: Identity, *, actor: Actor, on_claimed: Callable[[Member], None] | None
) -> RedeemResult:
    now = timezone.now()
    invite = find_by_code(code)
    if invite is None:
        raise NotFound(MESSAGES["not_found"], code="not_found")
    site = SiteSettings.load()
    if not site.signup_enabled or (identity.method == Redemption.Method.EMAIL and not site.email_redemption_enabled):
        raise gone("signup_disabled")
    if identity.method == Redemption.Method.LOCAL and not site.local_accounts_enabled:
        raise gone("local_accounts_disabled")
    server = invite.server
    if is_owner(server, identity):
        raise Conflict(MESSAGES["owner_account"], code="owner_account")
    existing = find_member(server, identity)
    if existing is not None:
        again = existing_result(invite, existing)
        if again is not None:
            return again
        if existing.status in LIVE_MEMBER_STATUSES:
            raise Conflict(MESSAGES["already_member"], code="already_member")
    reason = status.unusable_reason(invite, now)
    if reason:
        raise gone(reason)
    # Whether they already reach the server another way (shared by hand) is Plex's answer
    # to the share itself (outbox._share): asking first would cost two more calls on
    # every redemption for a case that is rare.
    try:
        member, op = _claim(invite, identity, existing, actor, now, on_claimed)
    except IntegrityError:
        # The same person won a race against themselves (double click, two tabs).
        raced = find_member(server, identity)
        again = existing_result(invite, raced) if raced is not None else None
        if again is None:
            raise Conflict(MESSAGES["already_member"], code="already_member") from None
        return again
    if op is None:
        return RedeemResult("created", member)
    outcome = outbox.run(op)
    if outcome.state == PlexOperation.State.FAILED:
        # The use was given back and no access remains (see plexwork.effects.give_back_use).
        if isinstance(outcome.exc, PlexAlreadyShared):
            raise Conflict(MESSAGES["already_member"], code="already_member")
        raise services.as_service_error(outcome.exc or PlexError(outcome.error))
    member = Member.objects.get(pk=op.member_id or 0)
    if outcome.state != PlexOperation.State.DONE:
        return RedeemResult("pending", member, PENDING_MESSAGE)
    if op.redemption_id and identity.token:
        _run_accept_inline(op.redemption_id)
        member.refresh_from_db()
        if member.status != Member.Status.ACTIVE:
            return RedeemResult(
                "created", member, "Plex has not shown the invitation yet; it will be accepted for you shortly."
            )
    return RedeemResult("created", member)
