"""The page after a redemption, reached through a signed, expiring link, and the
"getting started" link that brings a friend back to their after-joining steps.

Public pages keep no session, so these pages learn whose they are from their URL alone.
The links are signed with the secret key: a guessed or edited one shows nothing, and an old
one stops working (the welcome link after ``LIFETIME``, the getting-started link after
``START_LIFETIME``; members who sign in have ``/me/start`` without any expiry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict
from guestlist.core.markdown import render_markdown
from guestlist.core.models import SiteSettings
from guestlist.invites import guide, start_link
from guestlist.invites.models import Invite, Redemption
from guestlist.invites.public_invite import remote_streaming
from guestlist.members import persons
from guestlist.members.models import Member
from guestlist.plex.models import Library

SALT = "guestlist.invites.welcome"
LIFETIME = timedelta(days=30)
START_LIFETIME = start_link.LIFETIME

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


def start_token_for(member: Member) -> str:
    return start_link.token_for(member.pk)


def start_path_for(member: Member) -> str:
    return reverse("invite-start", args=[start_token_for(member)])


def start_url_for(member: Member) -> str:
    return f"{settings.BASE_URL}{start_path_for(member)}"


def read_start_token(token: str) -> int | None:
    """The member id of a genuine getting-started link; LinkExpired for an old one."""
    try:
        return start_link.read_token(token)
    except start_link.LinkExpired as exc:
        raise LinkExpired from exc


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
    steps: list[guide.ShownStep]
    accepted: frozenset[int]
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
    greeting = (member.username if via == VIA_PLEX else "") or ""
    return WelcomePage(
        server_name=member.server.name,
        greeting_name=greeting,
        email=member.email,
        state=_state(member, via),
        is_home=member.is_home,
        library_titles=titles,
        allow_sync=member.allow_sync,
        allow_channels=member.allow_channels,
        expires_at=member.expires_at,
        owner_text=render_markdown(markdown) if markdown else None,
        steps=after_steps(member, titles, greeting),
        accepted=accepted_after(member),
        servers=_server_states(member, via),
        remote_streaming=remote_streaming(member.server.owner_plex_pass),
    )


def _invite_of(member: Member) -> tuple[int | None, str]:
    if member.invite_id is None:
        return None, ""
    row = Invite.objects.filter(pk=member.invite_id).values_list("step_set_id", "description").first()
    return (row[0], row[1]) if row is not None else (None, "")


def after_steps(member: Member, library_titles: list[str], name: str) -> list[guide.ShownStep]:
    """The after-joining steps of the member's invite (the default set without one)."""
    step_set_id, description = _invite_of(member)
    variables = guide.after_joining(
        name=name,
        server=member.server.name,
        libraries=library_titles,
        expires_at=member.expires_at,
        description=description,
    )
    return guide.shown(guide.set_for(step_set_id).after, variables)


def _latest_redemption(member: Member) -> Redemption | None:
    return Redemption.objects.filter(member=member).order_by("-created_at", "-id").first()


def accepted_after(member: Member) -> frozenset[int]:
    latest = _latest_redemption(member)
    records = latest.accepted_steps if latest is not None else []
    return frozenset(int(r["id"]) for r in records or [] if isinstance(r, dict) and isinstance(r.get("id"), int))


def accept_after_step(member: Member, step_id: int, *, actor: Actor) -> None:
    """Record that the member accepted an after-joining step, on their latest redemption."""
    step_set_id, _description = _invite_of(member)
    steps = guide.fresh_set_for(step_set_id)
    step = next((s for s in steps.after if s.id == step_id and s.requires_acceptance), None)
    if step is None:
        raise Conflict("There is no such step to accept.", code="not_found", status=404)
    title = guide.shown([step], guide.Variables())[0].title
    with transaction.atomic():
        latest = Redemption.objects.select_for_update().filter(member=member).order_by("-created_at", "-id").first()
        if latest is None:
            raise Conflict("This membership has no redemption to record it on.", code="no_redemption")
        records = list(latest.accepted_steps or [])
        if any(isinstance(r, dict) and r.get("id") == step_id for r in records):
            return
        records.append({"id": step_id, "title": title, "at": timezone.now().isoformat()})
        latest.accepted_steps = records
        latest.save(update_fields=["accepted_steps"])
        audit.record(actor, "steps.accept", member, label=title, step_id=step_id)


def guide_context(page: WelcomePage, requested: str | None, page_url: str) -> dict[str, Any]:
    """The after-joining steps as a sequence: the current one, progress, back and next."""
    steps = page.steps if page.state != ENDED else []
    total = len(steps)
    try:
        number = max(1, min(int(requested or 1), total or 1))
    except ValueError:
        number = 1
    current = steps[number - 1] if steps else None
    return {
        "page": page,
        "steps": steps,
        "current": current,
        "number": number,
        "total": total,
        "first": number == 1,
        "already_accepted": current is not None and current.id in page.accepted,
        "back_url": f"{page_url}?step={number - 1}" if number > 1 else "",
        "next_url": f"{page_url}?step={number + 1}" if number < total else "",
        "page_url": page_url,
    }
