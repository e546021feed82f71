"""Discord-gated invites: a redeemer signs in with Discord before the Plex step.

The sign-in ends in ``finish``: Discord's answer (read with the redeemer's own token, outside any
transaction) is held to the invite's gate, and only a passing answer is kept, as a *pass* in the
redeemer's session for ``PASS_SECONDS``. Every redemption path (Plex sign-in, e-mail, local
account; pages and API alike) hands the session's pass to ``redemption.redeem``, which calls
``require`` before it claims a use: nothing is claimed for anyone Discord did not vouch for, and
when Discord is down nobody gets a pass, so nothing is claimed either.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.http import HttpRequest

from guestlist.core.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from guestlist.discord import client
from guestlist.discord.models import DiscordSettings
from guestlist.invites import codes

SESSION_KEY = "discord_pass"
PASS_SECONDS = 30 * 60
SIGN_IN = "sign_in"
MEMBER = "member"
GATES = ("", SIGN_IN, MEMBER)


class Gated(Protocol):
    """What the gate reads of an invite (an ``Invite`` or the public page's row)."""

    code: str
    discord_gate: str
    discord_role_ids: list[str]


@dataclass(frozen=True)
class DiscordPass:
    """Discord vouched for this person on this invite, at ``at`` (epoch seconds)."""

    code: str
    id: str
    username: str
    in_guild: bool
    guild_id: str
    roles: tuple[str, ...]
    at: float

    def as_session(self) -> dict[str, Any]:
        return {**self.__dict__, "roles": list(self.roles)}

    @classmethod
    def from_session(cls, data: Mapping[str, Any]) -> DiscordPass | None:
        try:
            return cls(
                code=str(data["code"]),
                id=str(data["id"]),
                username=str(data["username"]),
                in_guild=bool(data["in_guild"]),
                guild_id=str(data["guild_id"]),
                roles=tuple(str(role) for role in data["roles"]),
                at=float(data["at"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


class DiscordRequired(ServiceError):
    status = 403
    code = "discord_required"


def is_gated(invite: Gated) -> bool:
    return invite.discord_gate in (SIGN_IN, MEMBER)


def check_gate(gate: str, role_ids: list[str], *, row: DiscordSettings | None = None) -> None:
    """Whether an invite (or template) may ask this of redeemers, given the Discord connection."""
    if gate not in GATES:
        raise Invalid("Unknown Discord requirement.", details=[{"field": "discord_gate", "message": "choice"}])
    if role_ids and gate != MEMBER:
        raise Invalid(
            "Roles can only be asked of members of your Discord server.",
            details=[{"field": "discord_role_ids", "message": "needs_member"}],
        )
    if not gate:
        return
    row = row or DiscordSettings.load()
    if not row.sign_in_ready or (gate == MEMBER and not row.ready):
        raise Invalid(
            "Connect Discord in Settings → Discord first.",
            code="discord_not_configured",
            details=[{"field": "discord_gate", "message": "not_configured"}],
        )


def judge(invite: Gated, account: client.DiscordAccount | DiscordPass, guild_id: str) -> None:
    """Raise the refusal if ``account`` does not meet the invite's gate."""
    if invite.discord_gate != MEMBER:
        return
    if not account.in_guild:
        raise Forbidden(
            "You are not a member of the owner's Discord server. Join it, then sign in with Discord again.",
            code="discord_not_member",
        )
    if isinstance(account, DiscordPass) and account.guild_id != guild_id:
        raise DiscordRequired("The owner's Discord server changed; sign in with Discord again.")
    wanted = {str(role) for role in invite.discord_role_ids}
    if wanted and not wanted & set(account.roles):
        raise Forbidden("You do not have the Discord role this invite asks for.", code="discord_missing_role")


# -- the sign-in --------------------------------------------------------------------------


def start(request: HttpRequest, invite: Gated) -> str:
    """Discord's authorization URL for this invite (the caller checked the invite is usable)."""
    if not is_gated(invite):
        raise Invalid("This invite does not ask for Discord.", code="discord_not_needed")
    return client.authorize_url(request, invite_code=invite.code)


def code_of_callback(request: HttpRequest) -> str | None:
    """The invite this callback's sign-in was started for (None: an unknown or used state)."""
    data = client.remembered(request)
    code = data.get("invite_code") if data else None
    return codes.normalize(str(code)) if code else None


def finish(request: HttpRequest, invite: Gated) -> DiscordPass:
    """Check Discord's answer for ``invite``; keep and return the pass, or raise the refusal.

    Nothing is kept when the answer does not meet the gate, so a refused person has to sign in
    again (after joining the server, say) rather than reuse an old answer.
    """
    row = DiscordSettings.load()
    forget(request)
    account = client.finish(request, guild_id=row.guild_id if invite.discord_gate == MEMBER else "")
    judge(invite, account, row.guild_id)
    granted = DiscordPass(
        code=invite.code,
        id=account.id,
        username=account.username,
        in_guild=account.in_guild,
        guild_id=row.guild_id,
        roles=account.roles,
        at=time.time(),
    )
    request.session[SESSION_KEY] = granted.as_session()
    return granted


def pass_for(request: HttpRequest, code: str) -> DiscordPass | None:
    """The session's pass for this invite, if there is a fresh one. Reads the session only
    when it exists already, so public pages still set none."""
    if not request.COOKIES.get(_session_cookie()):
        return None
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, Mapping):
        return None
    found = DiscordPass.from_session(data)
    if found is None or found.code != codes.normalize(code) or time.time() - found.at > PASS_SECONDS:
        return None
    return found


def forget(request: HttpRequest) -> None:
    if request.COOKIES.get(_session_cookie()) and SESSION_KEY in request.session:
        del request.session[SESSION_KEY]


def _session_cookie() -> str:
    return str(settings.SESSION_COOKIE_NAME)


# -- at redemption ------------------------------------------------------------------------


def require(invite: Gated, granted: DiscordPass | None) -> None:
    """Called by the redemption service before it claims a use."""
    if not is_gated(invite):
        return
    if granted is None or granted.code != invite.code or time.time() - granted.at > PASS_SECONDS:
        raise DiscordRequired("This invite asks you to sign in with Discord first.")
    judge(invite, granted, DiscordSettings.load().guild_id)


def refuse_if_taken(taken: bool) -> None:
    if taken:
        raise Conflict("This Discord account already stands for another member of this server.", code="discord_in_use")


def unknown_sign_in() -> NotFound:
    return NotFound("This Discord sign-in is unknown or was already used; start again.", code="discord_state")
