"""The page after a redemption, reached through a signed, expiring link.

Public pages keep no session, so the welcome page learns whose it is from its URL alone.
The link is signed with the secret key: a guessed or edited one shows nothing, and an old
one stops working after ``LIFETIME``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.safestring import SafeString

from guestlist.core.markdown import render_markdown
from guestlist.core.models import SiteSettings
from guestlist.invites.models import Redemption
from guestlist.invites.public_invite import remote_streaming
from guestlist.members import persons
from guestlist.members.models import Member
from guestlist.plex.models import Library

SALT = "guestlist.invites.welcome"
LIFETIME = timedelta(days=30)

# How the person redeemed: on the Plex path Plex vouched for who they are, so the page may
# greet them by their Plex name; on the e-mail path they only typed an address.
VIA_PLEX, VIA_EMAIL = "plex", "email"


class LinkExpired(Exception):
    pass


def token_for(member: Member, *, via: str) -> str:
    return signing.dumps({"m": member.pk, "v": via}, salt=SALT, compress=True)


def path_for(member: Member, *, via: str) -> str:
    return reverse("invite-welcome", args=[token_for(member, via=via)])


def url_for(member: Member, *, via: str) -> str:
    """The absolute link, for API answers; ``reverse`` already carries the URL base."""
    return f"{settings.BASE_URL}{path_for(member, via=via)}"


def read_token(token: str) -> tuple[int, str] | None:
    """(member id, via) from a genuine link; None for a forged one; LinkExpired for an old one."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LIFETIME)
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("m"), int) or data.get("v") not in (VIA_PLEX, VIA_EMAIL):
        return None
    return int(data["m"]), str(data["v"])


# What the person should expect next, from the member's and the redemption's state.
READY = "ready"  # the share is accepted: the server is in their Plex apps
ACCEPTING = "accepting"  # the share exists; Guestlist is still accepting it for them
CHECK_EMAIL = "check_email"  # they accept Plex's invitation e-mail themselves
SAVED = "saved"  # Plex was down; the redemption is kept and finishes on its own
ENDED = "ended"  # this access has since been removed or has expired


@dataclass(frozen=True)
class WelcomePage:
    server_name: str
    greeting_name: str
    email: str
    state: str
    is_home: bool
    library_titles: list[str]
    allow_sync: bool
    allow_channels: bool
    expires_at: datetime | None
    owner_text: SafeString | None
    remote_streaming: str | None = None
    # With several servers (issue 20 §3): each server's name and state, so the redeemer sees
    # which parts worked. Empty for a single server.
    servers: tuple[tuple[str, str], ...] = ()

    @property
    def servers_waiting(self) -> bool:
        return any(state in (ACCEPTING, SAVED) for _name, state in self.servers)


def _state(member: Member, via: str) -> str:
    if member.status == Member.Status.ACTIVE:
        return READY
    latest = Redemption.objects.filter(member=member).order_by("-created_at", "-id").first()
    if member.status == Member.Status.SUSPENDED and latest is not None and latest.state == Redemption.State.PENDING:
        # A suspended friend redeemed a new invite while Plex was down: it finishes on its own.
        return SAVED
    if member.status != Member.Status.PENDING:
        return ENDED
    if latest is not None and latest.state == Redemption.State.PENDING:
        return SAVED
    waiting_for_accept = latest is not None and bool(latest.user_token_encrypted)
    if via == VIA_PLEX and waiting_for_accept and not member.is_home:
        return ACCEPTING
    return CHECK_EMAIL


REFUSED = "refused"  # Plex refused this one server; the others stand


def _server_states(member: Member, via: str) -> tuple[tuple[str, str], ...]:
    rows = persons.rows_of(member)
    if len(rows) < 2:
        return ()
    return tuple(
        (row.server.name, REFUSED if row.reason.startswith("Plex refused this server") else _state(row, via))
        for row in rows
    )


def page_for(member: Member, via: str) -> WelcomePage:
    keys = [int(key) for key in (member.library_keys or [])]
    titles = list(
        Library.objects.filter(server_id=member.server_id, key__in=keys, is_present=True)
        .order_by("title")
        .values_list("title", flat=True)
    )
    markdown = SiteSettings.current().welcome_markdown.strip()
    return WelcomePage(
        server_name=member.server.name,
        greeting_name=(member.username if via == VIA_PLEX else "") or "",
        email=member.email,
        state=_state(member, via),
        is_home=member.is_home,
        library_titles=titles,
        allow_sync=member.allow_sync,
        allow_channels=member.allow_channels,
        expires_at=member.expires_at,
        owner_text=render_markdown(markdown) if markdown else None,
        servers=_server_states(member, via),
        remote_streaming=remote_streaming(member.server.owner_plex_pass),
    )
