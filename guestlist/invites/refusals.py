"""Why a redemption did not happen, and what to do next, in the redeemer's language.

The services raise errors with contract codes and English sentences (the API's words).
Public pages show these instead: the words of contract.md ("Public redemption pages") as
headlines, translated, each with a plain next step. Only known codes are shown, so a
crafted ``?problem=`` link cannot put words of its choosing on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guestlist.core.errors import ServiceError
from guestlist.core.ratelimit import RateLimited

EMAIL_DISABLED = "email_disabled"
ACCOUNT_INVALID = "account_invalid"


@dataclass(frozen=True)
class Refusal:
    code: str
    title: str | Promise
    next_step: str | Promise
    status: int
    # Plex's own explanation, when Plex refused (it comes from Plex, never from the URL).
    plex_words: str = ""
    retry_after: int | None = None


_WORDS: dict[str, tuple[str | Promise, str | Promise, int]] = {
    "not_found": (
        _("Invite code not found"),
        _("Check the link or the code with the person who invited you. Upper or lower case does not matter."),
        404,
    ),
    "not_configured": (
        _("This invite cannot be used yet"),
        _("The owner has not connected their Plex server yet. Try again later."),
        404,
    ),
    "disabled": (
        _("Invite code is not active"),
        _("The person who invited you has switched this invite off. Ask them for a new one."),
        410,
    ),
    "used_up": (
        _("Invite code is not active"),
        _("This invite has been used as often as it allows. Ask the person who invited you for a new one."),
        410,
    ),
    "expired": (
        _("Invite code has expired"),
        _("Ask the person who invited you for a new invite."),
        410,
    ),
    "signup_disabled": (
        _("Sign-up is currently closed"),
        _("The owner is not taking new members right now. Try again later, or ask them."),
        410,
    ),
    EMAIL_DISABLED: (
        _("Joining by e-mail is switched off"),
        _("Use “Sign in with Plex” instead."),
        410,
    ),
    "already_member": (
        _("You already have access to this Plex server"),
        _("Open Plex and sign in: the server is already in your list. Nothing was used up."),
        409,
    ),
    "owner_account": (
        _("This is the server owner's own Plex account"),
        _("Sign in with the Plex account of the person who is being invited."),
        409,
    ),
    "pin_expired": (
        _("The Plex sign-in did not finish in time"),
        _("Press “Sign in with Plex” and try again."),
        410,
    ),
    "pin_mismatch": (
        _("This Plex sign-in belongs to another invite"),
        _("Press “Sign in with Plex” on this page and try again."),
        409,
    ),
    "plex_pass_required": (
        _("Plex needs Plex Pass for this invite"),
        _(
            "This invite adds you to the owner's Plex Home, and Plex only allows that when the owner has an "
            "active Plex Pass. Nothing was used up. Let the person who invited you know: they can send you a "
            "regular invite instead."
        ),
        502,
    ),
    "plex_refused": (
        _("Plex refused the invitation"),
        _("Nothing was used up. Let the person who invited you know what Plex said."),
        502,
    ),
    "plex_unavailable": (
        _("Plex is not answering right now"),
        _("Nothing was used up. Try again in a minute."),
        503,
    ),
    "rate_limited": (
        _("Too many attempts"),
        _("Wait a minute, then try again."),
        429,
    ),
    "username_taken": (
        _("That username is taken"),
        _("Pick another username."),
        409,
    ),
    "local_accounts_disabled": (
        _("Accounts with a password are switched off"),
        _("Use “Sign in with Plex” instead."),
        410,
    ),
    ACCOUNT_INVALID: (
        _("That username or password cannot be used"),
        _(
            "A username needs 3 to 150 letters, digits or . - _ @ +; a password at least 10 characters that "
            "are not too common or too close to the username."
        ),
        422,
    ),
    "discord_required": (
        _("Sign in with Discord first"),
        _("This invite is for people the owner knows from Discord. Press “Sign in with Discord”, then continue."),
        403,
    ),
    "discord_not_member": (
        _("You are not in the owner's Discord server"),
        _(
            "This invite is for members of the owner's Discord server. Join the server (or ask the owner for an "
            "invitation to it), then sign in with Discord again. Nothing was used up."
        ),
        403,
    ),
    "discord_missing_role": (
        _("You do not have the Discord role this invite asks for"),
        _(
            "You are in the owner's Discord server, but without the role this invite is for. Ask the owner or a "
            "moderator, then sign in with Discord again. Nothing was used up."
        ),
        403,
    ),
    "discord_in_use": (
        _("This Discord account is already used by another member"),
        _("Each Discord account can stand for one member here. Sign in with your own Discord account."),
        409,
    ),
    "discord_unavailable": (
        _("Discord is not answering right now"),
        _("Nothing was used up. Try again in a few minutes."),
        503,
    ),
    "discord_refused": (
        _("Discord did not accept the sign-in"),
        _("Nothing was used up. Press “Sign in with Discord” and try again; if it keeps failing, tell the owner."),
        502,
    ),
    "discord_state": (
        _("This Discord sign-in is unknown or was already used"),
        _("Go back to your invite link and press “Sign in with Discord” again, in the same browser."),
        403,
    ),
    "discord_cancelled": (
        _("The Discord sign-in was cancelled"),
        _("Press “Sign in with Discord” and allow Guestlist to see your account and your server membership."),
        403,
    ),
    "discord_not_configured": (
        _("Signing in with Discord is not set up"),
        _("The owner has not finished connecting Discord. Let them know."),
        503,
    ),
    "invalid": (
        _("That does not look like an e-mail address"),
        _("Check it for typos and send it again."),
        422,
    ),
}

KNOWN = frozenset(_WORDS)
_PLEX_SPEAKS = ("plex_refused", "plex_pass_required")


def refusal(code: str, *, plex_words: str = "", retry_after: int | None = None) -> Refusal:
    """The words for ``code``; an unknown code reads as a refusal by Plex, never as itself."""
    if code not in _WORDS:
        code = "plex_refused"
    title, next_step, status = _WORDS[code]
    if code == "rate_limited" and retry_after:
        next_step = gettext("Wait %(seconds)s seconds, then try again.") % {"seconds": retry_after}
    return Refusal(code, title, next_step, status, plex_words, retry_after)


def from_error(exc: ServiceError) -> Refusal:
    if isinstance(exc, RateLimited):
        return refusal("rate_limited", retry_after=exc.retry_after)
    words = _plex_words(exc.message) if exc.code in _PLEX_SPEAKS else ""
    if exc.code == "invalid" and isinstance(exc.details, list):
        fields = {item.get("field") for item in exc.details if isinstance(item, dict)}
        if fields & {"username", "password"}:
            return refusal(ACCOUNT_INVALID)
    return refusal(exc.code, plex_words=words, retry_after=exc.retry_after)


def _plex_words(message: str) -> str:
    # Service messages read "Our sentence. (Plex said: their words)"; the page shows only
    # Plex's part next to its own translated explanation.
    marker = "(Plex said: "
    if marker in message and message.endswith(")"):
        return message.split(marker, 1)[1][:-1]
    return ""
