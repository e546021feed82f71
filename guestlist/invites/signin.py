"""How a redeemer says who they are: Plex sign-in (PINs created and polled by the server,
never by the browser), an e-mail address, or a local account made while redeeming.

The browser only ever holds Guestlist's opaque ``public_id``. The Plex token that a signed-in
PIN yields is read here, used to ask Plex who the person is, and handed to the redemption
service (which keeps it encrypted until the share is accepted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Gone, Invalid, NotFound
from guestlist.core.models import SiteSettings
from guestlist.invites import codes, discord_gate
from guestlist.invites.discord_gate import DiscordPass
from guestlist.invites.models import Redemption
from guestlist.invites.redemption import Identity, RedeemResult, existing_result, redeem, usable_invite
from guestlist.members.logins import check_local_account, create_local_user
from guestlist.members.models import Member
from guestlist.plex import services
from guestlist.plex.models import PlexPin

StartedSignIn = services.StartedPin


def start(
    code: str,
    *,
    forward_url: str | None = None,
    purpose: str = PlexPin.Purpose.REDEEM,
    discord: DiscordPass | None = None,
) -> StartedSignIn:
    """Create a Plex PIN bound to this invite and the URL of Plex's sign-in page.

    A Discord-gated invite sends nobody to Plex before Discord vouched for them."""
    invite = usable_invite(code) if purpose == PlexPin.Purpose.REDEEM else None
    if invite is not None:
        discord_gate.require(invite, discord)
    return services.start_pin(purpose, forward_url=forward_url, invite_id=invite.pk if invite is not None else None)


def _pin_for(public_id: str, code: str) -> PlexPin:
    pin = (
        PlexPin.objects.select_related("invite", "redemption")
        .filter(public_id=public_id, purpose=PlexPin.Purpose.REDEEM)
        .first()
    )
    if pin is None:
        raise NotFound("This sign-in is unknown; start again.", code="not_found")
    if pin.invite is None or pin.invite.code != codes.normalize(code):
        raise Conflict("This sign-in was started for another invite.", code="pin_mismatch")
    return pin


@dataclass(frozen=True)
class PollResult:
    waiting: bool
    result: RedeemResult | None = None
    again: bool = False


def poll_and_redeem(
    code: str, public_id: str, *, actor: Actor, now: datetime | None = None, discord: DiscordPass | None = None
) -> PollResult:
    """One poll of the PIN; once Plex says it is signed in, redeem as that Plex account."""
    now = now or timezone.now()
    pin = _pin_for(public_id, code)
    if pin.state == PlexPin.State.USED and pin.redemption is not None:
        member = pin.redemption.member
        again = existing_result(pin.invite, member) if member is not None and pin.invite is not None else None
        if again is None:
            raise Gone("This sign-in was already used and did not succeed; start again.", code="pin_expired")
        return PollResult(False, again, again=True)
    if pin.expires_at <= now or pin.state == PlexPin.State.EXPIRED:
        PlexPin.objects.filter(pk=pin.pk).update(state=PlexPin.State.EXPIRED)
        raise Gone("The Plex sign-in took too long and expired; start again.", code="pin_expired")
    token = services.poll_pin(pin, now)
    if token is None:
        return PollResult(True)
    account = services.account_for_token(token)
    identity = Identity(
        method=Redemption.Method.OAUTH,
        email=account.email,
        username=account.username or account.title,
        plex_id=account.id,
        thumb=account.thumb,
        token=token,
    )
    PlexPin.objects.filter(pk=pin.pk, state=PlexPin.State.WAITING).update(state=PlexPin.State.SIGNED_IN)
    result = redeem(code, identity, actor=Actor.redeemer(identity.label, actor.ip), discord=discord)
    redemption = Redemption.objects.filter(member=result.member, invite=pin.invite).order_by("-created_at").first()
    PlexPin.objects.filter(pk=pin.pk).update(state=PlexPin.State.USED, redemption=redemption)
    return PollResult(False, result)


def check_redeem_body(email: object, pin_id: object) -> None:
    if email and pin_id:
        raise Invalid(
            "Send either an e-mail or a pin_id, not both.",
            details=[{"field": "email", "message": "not_both"}, {"field": "pin_id", "message": "not_both"}],
        )
    if not email and not pin_id:
        raise Invalid(
            "Send an e-mail, or a pin_id from /api/invites/oauth/start.",
            details=[{"field": "email", "message": "missing"}, {"field": "pin_id", "message": "missing"}],
        )


def email_identity(email: str) -> Identity:
    address = email.strip()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise Invalid(
            "That does not look like an e-mail address.", details=[{"field": "email", "message": "invalid"}]
        ) from exc
    return Identity(method=Redemption.Method.EMAIL, email=address)


def redeem_with_local_account(
    code: str, email: str, username: str, password: str, *, actor: Actor, discord: DiscordPass | None = None
) -> RedeemResult:
    """Streamarr's local-account path: redeem by e-mail with a username and password.

    A use is claimed and the member recorded as ``unlinked``; Plex is not asked for
    anything until they link a Plex account with this e-mail from their page.
    """
    # ``redeem`` checks this too; asking first means a switched-off feature says so before
    # anyone is told their password is too short.
    if not SiteSettings.current().local_accounts_enabled:
        raise Gone("Local accounts are switched off", code="local_accounts_disabled")
    identity = email_identity(email)
    identity = Identity(method=Redemption.Method.LOCAL, email=identity.email)
    clean = check_local_account(username, password, identity.email)

    def make_user(member: Member) -> None:
        create_local_user(member, clean, password, actor=actor)

    result = redeem(code, identity, actor=actor, on_claimed=make_user, discord=discord)
    if result.member.user_id is None:
        # They had redeemed this invite before without an account: nothing new was claimed.
        raise Conflict("You have redeemed this invite already; sign in instead.", code="already_member")
    return result
