"""The ``discord`` job: are members who joined through a Discord-gated invite still in the
owner's Discord server (and, when their invite asked for roles, do they still hold one)?

Asked with the owner's bot, one member at a time, outside any transaction. Like the Plex sync
it acts only on definite answers: Discord's "Unknown Member" or a member object without the
role. An outage, a rate limit or a bot that lost its access stops the run and changes nothing.

What happens to someone who left is the owner's setting (``DiscordSettings.on_leave``): a
warning (the ``member.discord_left`` event, once per departure) or, in addition, the end of their
access through the one removal path (``members.services.queue_removal``). Someone who comes
back before that is cleared again (``member.discord_back`` in the audit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import ServiceError
from guestlist.discord import client
from guestlist.discord.models import DiscordSettings
from guestlist.lib import shutdown
from guestlist.members import suspension
from guestlist.members.models import LIVE_STATUSES, Member
from guestlist.members.services import queue_removal
from guestlist.notifications import notify
from guestlist.plexwork import outbox
from guestlist.plexwork.models import PlexOperation

logger = logging.getLogger(__name__)
JOB_ACTOR = Actor.job("discord")
# Discord allows a bot about 50 requests a second; a run stays far below that and bounded.
MAX_PER_RUN = 500
LEFT_SERVER = "left_server"
LOST_ROLE = "lost_role"


@dataclass
class CheckOutcome:
    checked: int = 0
    left: int = 0
    removed: int = 0
    back: int = 0
    stopped: str = ""

    def __str__(self) -> str:
        text = f"checked {self.checked}, left {self.left}, removed {self.removed}, back {self.back}"
        return f"{text}; stopped: {self.stopped}" if self.stopped else text


def watched() -> list[Member]:
    """Members held to the owner's Discord server, those not checked for longest first."""
    return list(
        Member.objects.filter(discord_gate="member", status__in=LIVE_STATUSES)
        .exclude(discord_id="")
        .order_by("updated_at", "pk")[:MAX_PER_RUN]
    )


def why_gone(member: Member, membership: client.Membership) -> str:
    """ "" while they meet their invite's gate; else why not."""
    if not membership.in_guild:
        return LEFT_SERVER
    wanted = {str(role) for role in member.discord_role_ids or []}
    if wanted and not wanted & set(membership.roles):
        return LOST_ROLE
    return ""


def run() -> str:
    row = DiscordSettings.load()
    if not row.ready:
        return "Discord is not connected"
    return str(check_members(row))


def check_members(row: DiscordSettings) -> CheckOutcome:
    cfg = client.config(row)
    outcome = CheckOutcome()
    owed: list[PlexOperation] = []
    for member in watched():
        if shutdown.requested():
            break
        try:
            membership = client.guild_member(member.discord_id, cfg)
        except ServiceError as exc:
            # Not a definite answer: leave everyone as they are and try at the next run.
            outcome.stopped = exc.code
            logger.warning("Discord re-check stopped: %s", exc.message)
            break
        outcome.checked += 1
        reason = why_gone(member, membership)
        op = _settle(member.pk, reason, row.on_leave, outcome)
        if op is not None:
            owed.append(op)
    for op in owed:
        # After every transaction committed, as everywhere: Plex is never called under a lock.
        if shutdown.requested():
            break
        outbox.run(op)
    return outcome


def _settle(member_id: int, reason: str, on_leave: str, outcome: CheckOutcome) -> PlexOperation | None:
    now = timezone.now()
    with transaction.atomic():
        member = Member.objects.select_for_update().filter(pk=member_id).first()
        if member is None or member.status not in LIVE_STATUSES:
            return None
        if not reason:
            if member.discord_left_at is not None:
                member.discord_left_at = None
                member.save(update_fields=["discord_left_at", "updated_at"])
                audit.record(JOB_ACTOR, "member.discord_back", member, discord_id=member.discord_id)
                outcome.back += 1
            else:
                # Only the "checked" moment moves, so the longest-unchecked go first next time.
                member.save(update_fields=["updated_at"])
            return None
        first_time = member.discord_left_at is None
        if first_time:
            member.discord_left_at = now
            member.save(update_fields=["discord_left_at", "updated_at"])
            audit.record(JOB_ACTOR, "member.discord_left", member, discord_id=member.discord_id, why=reason)
            notify.member_discord_left(member, why=reason, action=on_leave)
            outcome.left += 1
        else:
            member.save(update_fields=["updated_at"])
        words = f"discord: {reason.replace('_', ' ')}"
        if on_leave == DiscordSettings.OnLeave.SUSPEND:
            # Suspension (issue 22 §2); without a suspension library it removes instead (audited).
            op = suspension.end_access(
                member,
                actor=JOB_ACTOR,
                reason=words,
                final_status=Member.Status.REMOVED,
                choice=Member.AccessEnd.SUSPEND,
            )
        elif on_leave == DiscordSettings.OnLeave.REMOVE:
            op = queue_removal(member, actor=JOB_ACTOR, reason=words, final_status=Member.Status.REMOVED)
        else:
            return None
        if op is not None:
            outcome.removed += 1
        return op
