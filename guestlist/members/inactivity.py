"""The inactivity rule: warn members nobody has seen for a while, then end their access.

The owner sets N (``inactivity_days``) and M (``inactivity_grace_days``). An ``active``
member whose last sign of life is more than N days old is warned once (an event for the
owner, a mail to the member when mail is set up); if they are still not seen M days after
the warning, their access ends through the outbox (``end_access_for_inactivity``) and they
are recorded ``removed`` only once Plex confirms. Being seen again after a warning clears it.

Never touched:
- exempt members (``Member.inactivity_exempt``), and members holding Manage Users or
  Manage Invites;
- someone never seen, until N days after they joined (their "last sign of life" is the
  later of ``last_seen`` and ``created_at``);
- anyone on a server whose last-seen data is not available now
  (``activity.data_available``: the play history not read recently, its last read failed,
  no play by anyone within N days, or Tautulli failing). Missing data never reads as
  "not seen".

``plan`` is the one decision, shared by the job, the dashboard's preview and
``guestlist inactive --dry-run``; ``run`` acts on it, re-checking each member under a lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.models import SiteSettings
from guestlist.lib import shutdown
from guestlist.members import activity
from guestlist.members.models import Member
from guestlist.members.permissions import MANAGE_INVITES, MANAGE_USERS, perms_of_users
from guestlist.members.suspension import end_access
from guestlist.notifications import notify
from guestlist.plex.models import MediaServer
from guestlist.plexwork import outbox

Status = Member.Status
JOB_ACTOR = Actor.job("inactivity")
INACTIVE_REASON = "inactive"
EXEMPT_PERMISSIONS = frozenset({MANAGE_USERS, MANAGE_INVITES})


@dataclass(frozen=True)
class Rule:
    days: int
    grace_days: int

    @classmethod
    def current(cls) -> Rule:
        site = SiteSettings.load()
        return cls(days=site.inactivity_days, grace_days=site.inactivity_grace_days)


@dataclass(frozen=True)
class Planned:
    member: Member
    idle_since: datetime  # the later of last seen and joining
    warned_at: datetime | None  # a standing warning (None: to be warned now)
    removal_due: datetime  # when their access ends if they stay away


@dataclass
class Plan:
    rule: Rule
    now: datetime
    warn: list[Planned] = field(default_factory=list)  # to be warned now
    waiting: list[Planned] = field(default_factory=list)  # warned, grace time still running
    remove: list[Planned] = field(default_factory=list)  # warned, grace time over: access ends now
    exempt: list[Member] = field(default_factory=list)  # not seen for N days, but exempt
    paused: dict[str, activity.Availability] = field(default_factory=dict)  # server name: why not


def idle_since(member: Member) -> datetime:
    return max(member.last_seen, member.created_at) if member.last_seen else member.created_at


def standing_warning(member: Member, rule: Rule) -> datetime | None:
    """Their warning, if it still counts: given when, as far as we now know, they had
    already been away for the rule's N days. Watching after it, or shortly before it
    (a play the sync had not read yet), undoes it."""
    warned = member.inactivity_warned_at
    if warned is None or warned < idle_since(member) + timedelta(days=rule.days):
        return None
    return warned


def plan(*, now: datetime | None = None, rule: Rule | None = None) -> Plan:
    now = now or timezone.now()
    rule = rule or Rule.current()
    result = Plan(rule=rule, now=now)
    cutoff = now - timedelta(days=rule.days)
    grace = timedelta(days=rule.grace_days)
    for server in MediaServer.objects.order_by("id"):
        idle = list(
            Member.objects.filter(server=server, status=Status.ACTIVE, created_at__lt=cutoff)
            .filter(Q(last_seen__isnull=True) | Q(last_seen__lt=cutoff))
            .select_related("user", "server")
            .order_by(F("last_seen").asc(nulls_first=True), "created_at", "id")
        )
        if not idle:
            continue
        availability = activity.data_available(server, now=now, window=timedelta(days=rule.days))
        if not availability.available:
            result.paused[server.name] = availability
            continue
        perms = perms_of_users([member.user for member in idle if member.user is not None])
        for member in idle:
            if member.inactivity_exempt or (member.user_id is not None and perms[member.user_id] & EXEMPT_PERMISSIONS):
                result.exempt.append(member)
                continue
            warned = standing_warning(member, rule)
            due = (warned or now) + grace
            entry = Planned(member=member, idle_since=idle_since(member), warned_at=warned, removal_due=due)
            if warned is None:
                result.warn.append(entry)
            elif due <= now:
                result.remove.append(entry)
            else:
                result.waiting.append(entry)
    return result


@dataclass
class InactivityOutcome:
    warned: int = 0
    removed: int = 0
    waiting_for_plex: int = 0
    paused: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.warned} warned, {self.removed} removed, {self.waiting_for_plex} waiting for Plex"
        if self.paused:
            text += f"; not applied on {', '.join(self.paused)} (last-seen data unavailable)"
        return text


def warn(entry: Planned, *, now: datetime, rule: Rule, actor: Actor = JOB_ACTOR) -> bool:
    """Warn one member, once: a conditional UPDATE (still active, not exempt, unchanged last
    seen, no standing warning), then the event and mail in the same transaction."""
    member = entry.member
    with transaction.atomic():
        moved = (
            Member.objects.filter(
                pk=member.pk, status=Status.ACTIVE, inactivity_exempt=False, last_seen=member.last_seen
            )
            .filter(
                Q(inactivity_warned_at__isnull=True)
                | Q(inactivity_warned_at__lt=F("created_at") + timedelta(days=rule.days))
                | Q(last_seen__isnull=False, inactivity_warned_at__lt=F("last_seen") + timedelta(days=rule.days))
            )
            .update(inactivity_warned_at=now)
        )
        if not moved:
            return False
        member.inactivity_warned_at = now
        audit.record(
            actor,
            "member.inactive_warning",
            member,
            last_seen=member.last_seen.isoformat() if member.last_seen else None,
            removal_due=entry.removal_due.isoformat(),
        )
        notify.member_inactive_warning(member, last_seen=member.last_seen, removal_due=entry.removal_due)
    return True


def end_access_for_inactivity(
    member_id: int, *, now: datetime, rule: Rule, actor: Actor = JOB_ACTOR, run_now: bool = True
) -> bool | None:
    """End one warned member's access because they stayed away: the one call the rule uses.

    Re-checked under the member's lock (seen since, exempted, already leaving: nothing
    happens, None). Access ends the way the owner chose (``suspension.end_access``: removed,
    or suspended when "suspend instead of remove" is on), through the outbox; the member
    becomes ``removed`` (or ``suspended``) only when Plex confirms (True), else stays
    ``removing`` (``suspending``) while it is retried (False).
    """
    with transaction.atomic():
        member = Member.objects.select_for_update().filter(pk=member_id).first()
        if member is None or member.status != Status.ACTIVE or member.inactivity_exempt:
            return None
        warned = standing_warning(member, rule)
        if warned is None or warned + timedelta(days=rule.grace_days) > now:
            return None
        if idle_since(member) >= now - timedelta(days=rule.days):
            return None
        # The owner's way of ending access (issue 22): remove the share, or suspend it.
        op = end_access(member, actor=actor, reason=INACTIVE_REASON, final_status=Status.REMOVED, inline=run_now)
    if op is None:
        return None
    if not run_now:
        return False
    return outbox.run(op).done


def run(*, now: datetime | None = None, dry_run: bool = False) -> tuple[Plan, InactivityOutcome]:
    """Apply the rule once (the ``inactivity`` job, ``guestlist inactive``): warn, then remove.

    Runs whether or not the rule is switched on only when asked directly (the CLI);
    ``job`` below checks the switch.
    """
    now = now or timezone.now()
    rule = Rule.current()
    decided = plan(now=now, rule=rule)
    outcome = InactivityOutcome(paused=list(decided.paused))
    if dry_run:
        return decided, outcome
    for entry in decided.warn:
        if shutdown.requested():
            break
        if warn(entry, now=now, rule=rule):
            outcome.warned += 1
    plex_answers = True
    for entry in decided.remove:
        if shutdown.requested():
            break
        # Once Plex fails, the rest are only queued, as the expiry job does.
        result = end_access_for_inactivity(entry.member.pk, now=now, rule=rule, run_now=plex_answers)
        if result is True:
            outcome.removed += 1
        elif result is False:
            outcome.waiting_for_plex += 1
            plex_answers = False
    return decided, outcome


def job() -> str:
    if not SiteSettings.load().inactivity_enabled:
        return "inactivity rule off"
    _plan, outcome = run()
    return str(outcome)


def set_exempt(member: Member, exempt: bool, *, actor: Actor) -> Member:
    """Keep the rule away from one member (or let it apply again); an exemption also drops a warning."""
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if member.inactivity_exempt == exempt:
            return member
        member.inactivity_exempt = exempt
        fields = ["inactivity_exempt", "updated_at"]
        if exempt and member.inactivity_warned_at is not None:
            member.inactivity_warned_at = None
            fields.append("inactivity_warned_at")
        member.save(update_fields=fields)
        audit.record(actor, "member.inactivity_exempt", member, exempt=exempt)
    return member
