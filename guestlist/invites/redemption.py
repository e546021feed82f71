"""The one redemption service behind every path (e-mail, Plex sign-in, dashboard, API).

Order matters: validate, check that the person has no access yet, then claim one use with a
single conditional UPDATE in a short transaction that also records the member, the
redemption and the Plex work owed. Plex is called only after that transaction commits, so no
write lock is ever held across a network call, and a crash at any point leaves either
nothing or a row the job runner finishes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
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
from guestlist.invites import discord_gate, guide, status
from guestlist.invites.discord_gate import DiscordPass
from guestlist.invites.models import Invite, Redemption
from guestlist.invites.services import ServerChoice, find_by_code, invite_servers
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
PART_STATES: dict[str, str] = {PlexOperation.State.DONE: "done", PlexOperation.State.FAILED: "failed"}
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
class SharePart:
    """How one server of a redemption went: ``done``, ``pending`` (Plex owes it; the outbox
    retries), ``failed`` (Plex refused this server; the others stand) or ``had_access``."""

    server_id: int
    server_name: str
    state: str
    member_id: int | None = None
    error: str = ""


@dataclass(frozen=True)
class RedeemResult:
    outcome: str  # "created" (201), "existing" (200) or "pending" (202: Plex work still owed)
    member: Member
    message: str = ""
    # One entry per server of the invite (a single one for most invites).
    parts: tuple[SharePart, ...] = ()


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


def _person_row(found: dict[int, Member | None]) -> Member | None:
    """The person row of someone who already has a row on one of the invite's servers."""
    for member in found.values():
        if member is not None:
            return Member.objects.filter(pk=member.primary_id).first() if member.primary_id else member
    return None


def _claim(
    invite: Invite,
    identity: Identity,
    todo: list[tuple[ServerChoice, Member | None]],
    person: Member | None,
    actor: Actor,
    now: datetime,
    on_claimed: Callable[[Member], None] | None = None,
    accepted_steps: list[dict[str, Any]] | None = None,
    discord: DiscordPass | None = None,
) -> tuple[list[Member], list[PlexOperation]]:
    """One short transaction: take one use, record a member row per server still to share,
    the redemption and one Plex operation per server.

    However many servers the invite names, this is one conditional UPDATE of ``used_count``:
    one redemption, one use (Exactly N). A local account (``Redemption.Method.LOCAL``) owes
    Plex nothing yet: its rows are ``unlinked`` and the redemption stays pending until they
    link their Plex account.
    """
    local = identity.method == Redemption.Method.LOCAL
    with transaction.atomic():
        claimed = (
            Invite.objects.filter(pk=invite.pk).filter(status.redeemable_q(now)).update(used_count=F("used_count") + 1)
        )
        if not claimed:
            invite.refresh_from_db()
            raise gone(status.unusable_reason(invite, now) or "used_up")
        members: list[Member] = []
        previous: list[str | None] = []
        for choice, existing in todo:
            previous.append(existing.status if existing is not None else None)
            member = _claim_row(invite, identity, choice, existing, local, now, discord)
            if person is None:
                person = member
            elif member.pk != person.pk and member.primary_id != person.pk:
                # One person, one person row: rows that pointed to this one follow it.
                Member.objects.filter(primary=member).update(primary=person)
                member.primary = person
                member.save(update_fields=["primary", "updated_at"])
            members.append(member)
        first = members[0]
        redemption = Redemption.objects.create(
            invite=invite,
            invite_code=invite.code,
            member=first,
            method=identity.method,
            person_key=identity.person_key,
            email=identity.email.strip(),
            username=identity.username,
            plex_id=identity.plex_id,
            client_ip=actor.ip,
            user_token_encrypted=crypto.encrypt(identity.token) if identity.token else "",
            accepted_steps=accepted_steps or [],
        )
        if on_claimed is not None:
            on_claimed(person or first)
        audit.record(
            actor,
            "invite.redeem",
            invite,
            label=invite.code,
            member_id=first.pk,
            person=identity.label,
            method=identity.method,
            reinvited=previous[0] is not None,
            **({"discord_id": discord.id} if discord is not None else {}),
            **({"servers": [member.server_id for member in members]} if len(members) > 1 else {}),
        )
        notify.invite_redeemed(invite, first, method=identity.method)
        mail.remember_language(identity.email, translation.get_language())
        if local:
            return members, []
        ops = []
        for member, previous_status, (choice, _existing) in zip(members, previous, todo, strict=True):
            payload: dict[str, Any] = {
                "invitee": identity.email.strip() or identity.username,
                "library_keys": list(libraries.resolve_keys(choice.libraries, choice.server)),
                "allow_sync": invite.allow_sync,
                "allow_channels": invite.allow_channels,
                "allow_camera_upload": invite.allow_camera_upload,
                "content_limits": dict(invite.content_limits or {}),
                "previous_status": previous_status,
            }
            if _restoring(previous_status, local, invite):
                op = suspension.queue_restore(
                    member, actor=actor, reason="invite redeemed", settings=payload, redemption=redemption
                )
                if op is None:
                    raise LookupError("a suspended member's restore was not queued")
                ops.append(op)
                continue
            kind = PlexOperation.Kind.HOME_INVITE if invite.plex_home else PlexOperation.Kind.SHARE
            ops.append(outbox.enqueue(kind, member=member, redemption=redemption, payload=payload))
    return members, ops


def _restoring(previous_status: str | None, local: bool, invite: Invite) -> bool:
    """A suspended friend still holds their accepted share: redeeming gives it back with this
    invite's libraries and settings (members.suspension), nothing new to accept."""
    return previous_status == Member.Status.SUSPENDED and not local and not invite.plex_home


def _claim_row(
    invite: Invite,
    identity: Identity,
    choice: ServerChoice,
    existing: Member | None,
    local: bool,
    now: datetime,
    discord: DiscordPass | None = None,
) -> Member:
    member = existing or Member(server=choice.server, person_key=identity.person_key)
    member.person_key = identity.person_key
    member.email = identity.email.strip() or member.email
    member.username = identity.username or member.username
    member.plex_id = identity.plex_id if identity.plex_id is not None else member.plex_id
    member.thumb = identity.thumb or member.thumb
    member.invite = invite
    if not _restoring(existing.status if existing is not None else None, local, invite):
        # While restoring they stay suspended, with the share Plex has, until Plex confirms.
        member.status = Member.Status.UNLINKED if local else Member.Status.PENDING
        member.is_home = invite.plex_home
        member.library_keys = list(libraries.resolve_keys(choice.libraries, choice.server))
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
    if discord is not None:
        member.discord_id = discord.id
        member.discord_username = discord.username
    member.discord_gate = invite.discord_gate
    member.discord_role_ids = list(invite.discord_role_ids) if invite.discord_gate else []
    member.discord_left_at = None
    member.save()
    return member


def _run_accept_inline(redemption_id: int) -> None:
    """Accept every server's share as the redeemer, right away (one accept per server)."""
    ops = PlexOperation.objects.filter(
        redemption_id=redemption_id, kind=PlexOperation.Kind.ACCEPT, state=PlexOperation.State.QUEUED
    ).values_list("pk", flat=True)
    for op_id in list(ops):
        claimed = outbox.claim(op_id)
        if claimed is not None:
            outbox.run(claimed)


def redeem(
    code: str,
    identity: Identity,
    *,
    actor: Actor,
    on_claimed: Callable[[Member], None] | None = None,
    accepted: Collection[int] = (),
    discord: DiscordPass | None = None,
) -> RedeemResult:
    """Redeem ``code`` for ``identity``; ``on_claimed`` runs inside the claiming transaction
    (the local-account path makes the member's user there). ``accepted``: the ids of the
    before-joining steps the person ticked; every required one must be there."""
    try:
        result = _redeem(code, identity, actor=actor, on_claimed=on_claimed, accepted=accepted, discord=discord)
    except ServiceError as exc:
        metrics.count_redemption(exc.code)
        raise
    metrics.count_redemption(result.outcome)
    return result


def _redeem(
    code: str,
    identity: Identity,
    *,
    actor: Actor,
    on_claimed: Callable[[Member], None] | None,
    accepted: Collection[int],
    discord: DiscordPass | None,
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
    # Before anything is claimed (or even looked up): Discord must have vouched for them.
    discord_gate.require(invite, discord)
    choices = invite_servers(invite)
    if any(is_owner(choice.server, identity) for choice in choices):
        raise Conflict(MESSAGES["owner_account"], code="owner_account")
    found = {choice.server.pk: find_member(choice.server, identity) for choice in choices}
    for existing in found.values():
        if existing is not None:
            again = existing_result(invite, existing)
            if again is not None:
                return again
    # Someone who already has some of the servers gets the others; with all of them there
    # is nothing to redeem.
    todo = [(choice, found[choice.server.pk]) for choice in choices if not _has_access(found[choice.server.pk])]
    if not todo:
        raise Conflict(MESSAGES["already_member"], code="already_member")
    reason = status.unusable_reason(invite, now)
    if reason:
        raise gone(reason)
    # The steps as they are now: a rule added since the page was loaded must be accepted too.
    steps = guide.fresh_set_for(invite.step_set_id)
    given = guide.check_accepted(steps, accepted)
    records = guide.acceptance_records(steps, given, now)
    if discord is not None and discord_gate.is_gated(invite):
        # One Discord account stands for one live member of a server.
        taken = Member.objects.filter(
            server__in=[choice.server for choice in choices], discord_id=discord.id, status__in=LIVE_MEMBER_STATUSES
        )
        discord_gate.refuse_if_taken(taken.exclude(person_key=identity.person_key).exists())
    # Whether they already reach the server another way (shared by hand) is Plex's answer
    # to the share itself (outbox._share): asking first would cost two more calls on
    # every redemption for a case that is rare.
    try:
        members, ops = _claim(invite, identity, todo, _person_row(found), actor, now, on_claimed, records, discord)
    except IntegrityError:
        # The same person won a race against themselves (double click, two tabs).
        raced = find_member(choices[0].server, identity)
        again = existing_result(invite, raced) if raced is not None else None
        if again is None:
            raise Conflict(MESSAGES["already_member"], code="already_member") from None
        return again
    had = tuple(
        SharePart(choice.server.pk, choice.server.name, "had_access", member.pk if member else None)
        for choice, member in ((c, found[c.server.pk]) for c in choices)
        if all(choice is not chosen for chosen, _ in todo)
    )
    if not ops:
        return RedeemResult("created", members[0])
    outcomes = [outbox.run(op) for op in ops]
    if all(outcome.state == PlexOperation.State.FAILED for outcome in outcomes):
        # The use was given back and no access remains (see plexwork.effects.give_back_use).
        first = outcomes[0]
        if all(isinstance(outcome.exc, PlexAlreadyShared) for outcome in outcomes):
            raise Conflict(MESSAGES["already_member"], code="already_member")
        raise services.as_service_error(first.exc or PlexError(first.error))
    parts = tuple(
        SharePart(
            op.server_id,
            choice.server.name,
            PART_STATES.get(outcome.state, "pending"),
            op.member_id,
            outcome.error,
        )
        for op, outcome, (choice, _) in zip(ops, outcomes, todo, strict=True)
    )
    done = any(outcome.state == PlexOperation.State.DONE for outcome in outcomes)
    if done and identity.token and ops[0].redemption_id:
        _run_accept_inline(ops[0].redemption_id)
    member = _result_member(members)
    if any(part.state == "pending" for part in parts):
        return RedeemResult("pending", member, PENDING_MESSAGE, parts + had)
    if identity.token and ops[0].redemption_id and member.status != Member.Status.ACTIVE:
        return RedeemResult(
            "created",
            member,
            "Plex has not shown the invitation yet; it will be accepted for you shortly.",
            parts + had,
        )
    return RedeemResult("created", member, "", parts + had)


def _has_access(member: Member | None) -> bool:
    return member is not None and member.status in LIVE_MEMBER_STATUSES


def _result_member(members: list[Member]) -> Member:
    """The row to answer with: the person row, unless Plex refused it and another row stands."""
    rows = list(Member.objects.filter(pk__in=[member.pk for member in members]))
    live = [row for row in rows if row.status in LIVE_MEMBER_STATUSES]
    by_pk = {row.pk: row for row in live or rows}
    for member in members:
        if member.pk in by_pk:
            return by_pk[member.pk]
    return members[0]
