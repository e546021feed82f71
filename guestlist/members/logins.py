"""Members' own accounts: the Django user behind a member, signing in, local accounts and
linking a Plex account to one.

A member's user is never staff. It is made when the member first signs in with Plex, when
they create a local account while redeeming, or when someone sets their permissions.
Plex sign-in works as for redeemers: Guestlist creates and polls the PIN, reads who the
person is with their token and forgets the token at once (linking hands it to the
redemption, which keeps it encrypted only until the share is accepted).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Forbidden, Gone, Invalid, NotFound, ServiceError
from guestlist.core.models import AuditEvent, SiteSettings
from guestlist.invites.models import Redemption
from guestlist.lib import crypto
from guestlist.members import permissions
from guestlist.members.models import Member
from guestlist.members.permissions import Caller
from guestlist.plex import services
from guestlist.plex.errors import PlexError
from guestlist.plex.models import MediaServer, PlexPin
from guestlist.plex.records import PlexAccount
from guestlist.plexwork import outbox
from guestlist.plexwork.models import PlexOperation

# Where a browser session keeps the PIN of its Plex sign-in or link: only that session can
# finish it (the pages and the member API share it).
PIN_SESSION_KEY = "member_plex_pin"
# Sessions made without a password check (Plex sign-in, a local account just created) name it.
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"
USERNAME_ALLOWED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@+"


def ensure_user(member: Member, *, actor: Actor) -> User:
    """The member's Django user, made on first need with the owner's default permissions
    (none while a trial runs: the trial's promotion grants them)."""
    if member.user_id is not None and member.user is not None:
        return member.user
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.user_id is not None:
            member.user = User.objects.get(pk=locked.user_id)
            return member.user
        base = f"plex-{locked.plex_id}" if locked.plex_id is not None else f"member-{locked.pk}"
        username = base
        while User.objects.filter(username__iexact=username).exists():
            username = f"{base}-{secrets.token_hex(2)}"
        user = User(username=username, email=locked.email, is_staff=False, is_superuser=False)
        user.set_unusable_password()
        user.save()
        if not locked.in_trial:
            permissions.set_user_permissions(user, permissions.default_permissions())
        Member.objects.filter(pk=locked.pk).update(user=user)
        audit.record(actor, "member.account_created", locked, username=username, local=False)
    member.user = user
    return user


def check_local_account(username: str, password: str, email: str) -> str:
    """A local username and password someone chose while redeeming; the cleaned username."""
    username = username.strip()
    if not 3 <= len(username) <= 150 or any(ch not in USERNAME_ALLOWED for ch in username):
        raise Invalid(
            "A username needs 3 to 150 letters, digits or . - _ @ +.",
            details=[{"field": "username", "message": "invalid"}],
        )
    if username.lower().startswith(("plex-", "member-")):
        raise Invalid("Pick another username.", details=[{"field": "username", "message": "reserved"}])
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"The username {username!r} is taken.", code="username_taken")
    try:
        validate_password(password, User(username=username, email=email))
    except ValidationError as exc:
        raise Invalid(
            " ".join(exc.messages), details=[{"field": "password", "message": m} for m in exc.messages]
        ) from exc
    return username


def create_local_user(member: Member, username: str, password: str, *, actor: Actor) -> User:
    """Inside the redemption's transaction: the member's user, with the password hashed (Argon2)."""
    user = User.objects.create_user(username=username, email=member.email, password=password)
    if not member.in_trial:
        permissions.set_user_permissions(user, permissions.default_permissions())
    Member.objects.filter(pk=member.pk).update(user=user)
    member.user = user
    audit.record(actor, "member.account_created", member, username=username, local=True)
    return user


def may_sign_in_with_password(user: User) -> str | None:
    """Why a password sign-in is refused (None: it is fine). Admins always may."""
    if user.is_staff:
        return None
    if not SiteSettings.current().local_accounts_enabled:
        return "local_accounts_disabled"
    member = permissions.member_of_user(user)
    if member is None or member.status not in permissions.SIGN_IN_STATUSES:
        return "not_a_member"
    return None


# -- Plex sign-in -------------------------------------------------------------------------


@dataclass(frozen=True)
class StartedPlexSignIn:
    public_id: str
    auth_url: str


def start_plex_sign_in(*, forward_url: str) -> StartedPlexSignIn:
    started = services.start_pin(PlexPin.Purpose.MEMBER_LOGIN, forward_url=forward_url)
    return StartedPlexSignIn(started.pin.public_id, started.auth_url)


@dataclass(frozen=True)
class SignedIn:
    account: PlexAccount
    token: str


def poll_plex_sign_in(public_id: str, *, now: datetime | None = None) -> SignedIn | None:
    """One look at the PIN: None while Plex waits; the account (and its token, for this
    call only) once signed in. Each PIN is used once."""
    now = now or timezone.now()
    pin = PlexPin.objects.filter(public_id=public_id, purpose=PlexPin.Purpose.MEMBER_LOGIN).first()
    if pin is None:
        raise NotFound("This sign-in is unknown; start again.", code="not_found")
    if pin.state == PlexPin.State.USED:
        raise Gone("This sign-in was already used; start again.", code="pin_expired")
    if pin.state == PlexPin.State.EXPIRED or pin.expires_at <= now:
        PlexPin.objects.filter(pk=pin.pk).update(state=PlexPin.State.EXPIRED)
        raise Gone("The Plex sign-in took too long and expired; start again.", code="pin_expired")
    token = services.poll_pin(pin, now)
    if token is None:
        return None
    account = services.account_for_token(token)
    # Claimed once: a second poll of the same PIN cannot sign anyone in again.
    if not PlexPin.objects.filter(pk=pin.pk).exclude(state=PlexPin.State.USED).update(state=PlexPin.State.USED):
        raise Gone("This sign-in was already used; start again.", code="pin_expired")
    return SignedIn(account, token)


# -- The browser's side: one Plex sign-in per session ---------------------------------------
# The login page (sign in, or link from /me/) and /api/me/plex-link take the same steps: the
# PIN is made by the server and its id kept in the browser's session, so only whoever
# started a sign-in can finish it. Rate limits are the caller's (they know the request).


def start_in_session(session: MutableMapping[str, Any], *, flow: str, forward_url: str) -> StartedPlexSignIn:
    """Start a Plex sign-in for this session; ``flow`` says what finishing it will do."""
    started = start_plex_sign_in(forward_url=forward_url)
    session[PIN_SESSION_KEY] = {"id": started.public_id, "flow": flow}
    return started


def flow_in_session(session: Mapping[str, Any]) -> str | None:
    """The flow of the sign-in this session has under way, if any."""
    pending = session.get(PIN_SESSION_KEY) or {}
    return str(pending.get("flow") or "login") if pending.get("id") else None


def poll_in_session(session: MutableMapping[str, Any]) -> SignedIn | None:
    """One look at this session's sign-in: None while Plex waits.

    The session lets go of the PIN once it is used, or refused for good; while Plex is
    merely unavailable (or the caller is asked to slow down) it keeps it for the next try.
    """
    pending = session.get(PIN_SESSION_KEY) or {}
    if not pending.get("id"):
        raise NotFound("No Plex sign-in is under way; start one first.", code="not_found")
    try:
        signed_in = poll_plex_sign_in(str(pending["id"]))
    except ServiceError as exc:
        if exc.code not in ("plex_unavailable", "rate_limited"):
            session.pop(PIN_SESSION_KEY, None)
        raise
    if signed_in is not None:
        session.pop(PIN_SESSION_KEY, None)
    return signed_in


def owner_user_for(account: PlexAccount) -> User | None:
    """The owner's admin account when this Plex account owns a connected server (by Plex id,
    or by an e-mail address plex.tv has confirmed)."""
    owns = MediaServer.objects.filter(owner_plex_id=account.id).exists() or (
        bool(account.email)
        and account.email_confirmed
        and MediaServer.objects.filter(owner_email__iexact=account.email).exists()
    )
    if not owns:
        return None
    return User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()


def member_for_account(account: PlexAccount) -> Member | None:
    """A pending or active member of this install, by Plex id first, then by e-mail.

    The e-mail only counts once plex.tv reports it confirmed: anyone can make a Plex
    account with someone else's address. When that is all that stands between this account
    and a membership, the refusal says so, so the person knows what to do.
    """
    live = Member.objects.filter(status__in=(Member.Status.PENDING, Member.Status.ACTIVE)).select_related("user")
    # Someone on several servers signs in as their person row (it holds their user).
    person_first = (F("primary").asc(nulls_first=True), "-created_at")
    by_id = live.filter(plex_id=account.id).order_by(*person_first).first()
    if by_id is not None:
        return by_id
    if not account.email:
        return None
    by_email = live.filter(plex_id__isnull=True, email__iexact=account.email).order_by(*person_first).first()
    if by_email is not None and not account.email_confirmed:
        raise email_unconfirmed(account.email)
    return by_email


def email_unconfirmed(email: str) -> Forbidden:
    return Forbidden(
        f"Plex has not confirmed that {email} belongs to this Plex account. Follow the link in the "
        "e-mail from Plex (or confirm the address in your Plex account settings), then sign in again.",
        code="email_unconfirmed",
    )


def user_for_plex_account(account: PlexAccount, *, ip: str | None) -> User:
    """Who signs in with this Plex account: the owner, or a member; anyone else is refused."""
    owner = owner_user_for(account)
    if owner is not None:
        audit.record(Actor.admin(owner, ip), "admin.sign_in", owner, method="plex")
        return owner
    member = member_for_account(account)
    if member is None:
        ever = Member.objects.filter(plex_id=account.id).exists() or bool(
            account.email and Member.objects.filter(email__iexact=account.email).exists()
        )
        if ever:
            raise Forbidden("This Plex account's membership here has ended.", code="not_a_member")
        # Someone who never joined is told how to join, not that something ended.
        raise Forbidden(
            "This Plex account has no membership here. Open the link of an invite to join.",
            code="not_a_member",
            details={"never_a_member": True},
        )
    actor = Actor(AuditEvent.Actor.MEMBER, member.username or member.email, member.user_id, ip)
    user = ensure_user(member, actor=actor)
    if member.plex_id is None:
        Member.objects.filter(pk=member.pk).update(plex_id=account.id)
    audit.record(actor, "member.sign_in", member, method="plex")
    return user


# -- Linking a Plex account to a local account --------------------------------------------


def check_may_link(caller: Caller) -> Member:
    """Refuse before any PIN is made: only an unlinked member links a Plex account."""
    member = caller.member
    if member is None:
        raise Forbidden("Only members link a Plex account.", code="not_a_member")
    if member.status != Member.Status.UNLINKED:
        raise Conflict("Your Plex account is linked already.", code="already_linked")
    return member


def link_plex_account(caller: Caller, signed_in: SignedIn) -> Member:
    """Share the server with a local account's member now that they signed in with Plex.

    The Plex account must have the member's e-mail. The share uses the settings copied
    from the invite at redemption, through the outbox (retried if Plex is down), and is
    accepted with their token as on the Plex redemption path.
    """
    member = check_may_link(caller)
    account = signed_in.account
    if not account.email or account.email.strip().lower() != member.email.strip().lower():
        raise Conflict(
            f"Sign in with the Plex account of {member.email}; that one uses another e-mail address.",
            code="email_mismatch",
        )
    if not account.email_confirmed:
        raise email_unconfirmed(account.email)
    if member.expires_at is not None and member.expires_at <= timezone.now():
        raise Gone("Your membership has ended.", code="expired")
    owner = owner_user_for(account)
    if owner is not None:
        raise Conflict("This is the server owner's own Plex account.", code="owner_account")
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.status != Member.Status.UNLINKED:
            raise Conflict("Your Plex account is linked already.", code="already_linked")
        taken = Member.objects.filter(server=locked.server, person_key=f"plex:{account.id}").exclude(pk=locked.pk)
        if Member.objects.filter(server=locked.server, plex_id=account.id).exclude(pk=locked.pk).exists():
            raise Conflict("This Plex account already has a membership here.", code="already_member")
        redemption = (
            Redemption.objects.filter(member=locked, state=Redemption.State.PENDING).order_by("-created_at").first()
        )
        if redemption is not None:
            redemption.user_token_encrypted = crypto.encrypt(signed_in.token)
            redemption.plex_id = account.id
            redemption.username = account.username or account.title or locked.username
            redemption.save(update_fields=["user_token_encrypted", "plex_id", "username"])
        # Their rows on the invite's other servers (issue 20 §3) are linked and shared too.
        siblings = list(
            Member.objects.select_for_update().filter(primary=locked, status=Member.Status.UNLINKED).order_by("pk")
        )
        ops = []
        for row, is_taken in [(locked, taken.exists())] + [
            (sibling, Member.objects.filter(server=sibling.server, person_key=f"plex:{account.id}").exists())
            for sibling in siblings
            if not Member.objects.filter(server=sibling.server, plex_id=account.id).exists()
        ]:
            ops.append(_link_row(row, account, redemption, taken=is_taken))
        audit.record(caller.actor, "member.plex_linked", locked, plex_id=account.id)
    outcomes = [outbox.run(op) for op in ops]
    outcome = outcomes[0]
    if outcome.state == PlexOperation.State.FAILED:
        raise services.as_service_error(outcome.exc or PlexError(outcome.error))
    if any(each.done for each in outcomes) and redemption is not None:
        for accept in PlexOperation.objects.filter(
            redemption=redemption, kind=PlexOperation.Kind.ACCEPT, state=PlexOperation.State.QUEUED
        ).values_list("pk", flat=True):
            if (claimed := outbox.claim(accept)) is not None:
                outbox.run(claimed)
    locked.refresh_from_db()
    return locked


def _link_row(row: Member, account: PlexAccount, redemption: Redemption | None, *, taken: bool) -> PlexOperation:
    """One server's row of a local account gets its Plex account and its share queued."""
    row.plex_id = account.id
    if not taken:
        row.person_key = f"plex:{account.id}"
    row.username = account.username or account.title or row.username
    row.thumb = account.thumb or row.thumb
    row.status = Member.Status.PENDING
    row.save()
    payload: dict[str, Any] = {
        "invitee": row.email,
        "library_keys": row.library_keys or [],
        "allow_sync": row.allow_sync,
        "allow_channels": row.allow_channels,
        "allow_camera_upload": row.allow_camera_upload,
        "content_limits": row.content_limits or {},
        # A refusal puts them back to "unlinked" instead of deleting the member.
        "previous_status": Member.Status.UNLINKED,
    }
    kind = PlexOperation.Kind.HOME_INVITE if row.is_home else PlexOperation.Kind.SHARE
    return outbox.enqueue(kind, member=row, redemption=redemption, payload=payload)
