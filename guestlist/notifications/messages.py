"""Short, translated words for an event: the title and body of an Apprise message or an owner's mail."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _


def _who(data: dict[str, Any]) -> str:
    person = data.get("member") or data.get("request") or {}
    return str(person.get("username") or person.get("name") or person.get("email") or _("someone"))


def _server(data: dict[str, Any]) -> str:
    return str((data.get("server") or {}).get("name") or "Plex")


def _locked(data: dict[str, Any]) -> str:
    if data.get("account"):
        return _("the admin account %(name)s") % {"name": data["account"]}
    return _("the address %(address)s") % {"address": data.get("address") or "?"}


def describe(payload: dict[str, Any], language: str) -> tuple[str, str]:
    """(title, body) of an event in ``language``; the body ends with the dashboard page's link."""
    data = payload.get("data") or {}
    kind = payload.get("type", "")
    with translation.override(language):
        words = {
            "who": _who(data),
            "server": _server(data),
            "locked": _locked(data),
            "minutes": data.get("minutes", ""),
        }
        titles = {
            "invite.created": _("New invite"),
            "invite.redeemed": _("Invite redeemed"),
            "invite.redemption_failed": _("Redemption failed"),
            "member.joined": _("Member joined"),
            "member.expiring_soon": _("Access ends soon"),
            "member.expired": _("Access expired"),
            "member.removed": _("Member removed"),
            "member.removed_in_plex": _("Removed in Plex"),
            "member.access_changed": _("Access changed"),
            "member.access_differs": _("Access changed in Plex"),
            "member.reinvite_requested": _("Re-invite requested"),
            "member.suspended": _("Member suspended"),
            "member.restored": _("Member restored"),
            "trial.ended": _("Trial ended"),
            "trial.extension_requested": _("Trial extension requested"),
            "member.discord_left": _("Left the Discord server"),
            "invite_request.created": _("Invite requested"),
            "invite_request.approved": _("Invite request approved"),
            "invite_request.declined": _("Invite request declined"),
            "plex.unreachable": _("Plex server unreachable"),
            "plex.reachable": _("Plex server reachable again"),
            "plex.token_rejected": _("Plex token rejected"),
            "admin.sign_in_locked": _("Sign-in locked"),
            "test": _("Test message"),
        }
        bodies = {
            "invite.created": _("A new invite for %(server)s was created."),
            "invite.redeemed": _("%(who)s redeemed an invite to %(server)s."),
            "invite.redemption_failed": _("Plex refused to share %(server)s with %(who)s."),
            "member.joined": _("%(who)s now has access to %(server)s."),
            "member.expiring_soon": _("The access of %(who)s to %(server)s ends soon."),
            "member.expired": _("The access of %(who)s to %(server)s has expired."),
            "member.removed": _("%(who)s was removed from %(server)s."),
            "member.removed_in_plex": _("%(who)s no longer has access to %(server)s in Plex."),
            "member.access_changed": _("Plex confirmed the new access of %(who)s to %(server)s."),
            "member.access_differs": _("Someone changed the access of %(who)s to %(server)s in Plex itself."),
            "member.reinvite_requested": _("%(who)s asks to be invited to %(server)s again."),
            "member.suspended": _("The access of %(who)s to %(server)s is suspended until it is renewed."),
            "member.restored": _("%(who)s has their access to %(server)s back."),
            "trial.ended": _("The trial of %(who)s on %(server)s has ended."),
            "trial.extension_requested": _("%(who)s asks for a longer trial on %(server)s."),
            "member.discord_left": _(
                "%(who)s left your Discord server or lost the role their invite to %(server)s asked for."
            ),
            "invite_request.created": _("%(who)s asks for an invite to %(server)s."),
            "invite_request.approved": _("The invite request of %(who)s was approved."),
            "invite_request.declined": _("The invite request of %(who)s was declined."),
            "plex.unreachable": _("Guestlist cannot reach %(server)s."),
            "plex.reachable": _("Guestlist reaches %(server)s again."),
            "plex.token_rejected": _("Plex rejected the owner's token for %(server)s; sign in again."),
            "admin.sign_in_locked": _("Too many failed sign-ins: %(locked)s is locked for %(minutes)s minutes."),
            "test": _("Guestlist can reach this destination."),
        }
        title = f"Guestlist: {titles.get(kind, kind)}"
        body = bodies.get(kind, kind) % words
    url = data.get("url")
    return title, f"{body}\n{url}" if url else body
