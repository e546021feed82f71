"""The inactivity rule: warn people nobody has seen for a while, then end their access.

The owner sets N (``inactivity_days``) and M (``inactivity_grace_days``). The rule judges
people, not rows: a person on several servers (issue 20 §3: one ``Member`` row per server,
grouped by ``Member.primary``) is idle only when none of their servers saw them within N
days, their last sign of life being the latest ``last_seen`` of any of their rows, or
their latest share's joining. An idle person with an ``active`` row is warned once (one
event for the owner, one mail to them when mail is set up, however many servers they
have); if they are still not seen M days after the warning, their access ends on each
of their servers through the outbox (``end_access_for_inactivity``), and each row is
recorded ``removed`` only once Plex confirms it. Being seen again anywhere clears it.

Never touched:
- exempt people (``Member.inactivity_exempt`` on any of their rows; ``set_exempt`` sets
  all of them), and people holding Manage Users or Manage Invites;
- someone never seen, until N days after they joined;
- anyone with a share on a server whose last-seen data is not available now
  (``activity.data_available``: the play history not read recently, its last read failed,
  no play by anyone within N days, or Tautulli failing): the whole person waits, since a
  play there may be missing. Missing data never reads as "not seen".

``plan`` is the one decision, shared by the job, the dashboard's preview and
``guestlist inactive --dry-run``; ``run`` acts on it, re-checking each person under a lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
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


# Rows that hold a share on Plex (or are getting one): their servers' data must be
# available before the rule may judge the person, and their joining gives them time.
SHARED_STATUSES = (Status.PENDING, Status.ACTIVE, Status.REMOVING, Status.SUSPENDING, Status.SUSPENDED)


@dataclass(frozen=True)
class Person:
    """One person as the rule sees them: all their rows (one per server), person row first."""

    rows: tuple[Member, ...]

    @property
    def member(self) -> Member:
        """The row lists show (their person row)."""
        return self.rows[0]

    @property
    def active(self) -> list[Member]:
        """The rows whose access the rule would end."""
        return [row for row in self.rows if row.status == Status.ACTIVE]

    @property
    def shared(self) -> list[Member]:
        return [row for row in self.rows if row.status in SHARED_STATUSES]

    @property
    def last_seen(self) -> datetime | None:
        """The latest moment any of their servers saw them watch."""
        seen = [row.last_seen for row in self.rows if row.last_seen is not None]
        return max(seen) if seen else None

    @property
    def idle_since(self) -> datetime:
        """Their last sign of life: the latest play on any server, or the latest share they
        got (someone given a new server has N days to start watching there)."""
        moments = [row.created_at for row in self.shared or self.rows]
        if self.last_seen is not None:
            moments.append(self.last_seen)
        return max(moments)

    @property
    def exempt_by_flag(self) -> bool:
        return any(row.inactivity_exempt for row in self.rows)

    def standing_warning(self, rule: Rule) -> datetime | None:
        """Their warning, if it still counts: given when, as far as we now know, they had
        already been away for the rule's N days on every server. Watching anywhere after
        it, or shortly before it (a play the sync had not read yet), undoes it."""
        given = [row.inactivity_warned_at for row in self.active if row.inactivity_warned_at is not None]
        if not given:
            return None
        warned = max(given)
        if warned < self.idle_since + timedelta(days=rule.days):
            return None
        return warned


def _persons(heads: list[int], *, lock: bool = False) -> list[Person]:
    """The persons whose person rows (or rows) are ``heads``, each with all their rows."""
    rows = Member.objects.filter(Q(pk__in=heads) | Q(primary_id__in=heads)).select_related("user", "server")
    if lock:
        rows = rows.select_for_update(of=("self",)).order_by("pk")
    grouped: dict[int, list[Member]] = {}
    for row in rows:
        grouped.setdefault(row.primary_id or row.pk, []).append(row)
    return [
        Person(tuple(sorted(group, key=lambda row: (row.primary_id is not None, row.server_id, row.pk))))
        for group in grouped.values()
    ]


def person_of(member: Member, *, lock: bool = False) -> Person:
    # Read afresh: a hand-over (members.persons) may have made another row the person row.
    head = Member.objects.filter(pk=member.pk).values_list(Coalesce("primary_id", "id"), flat=True).first()
    if head is None:
        return Person((member,))
    found = _persons([head], lock=lock)
    return found[0] if found else Person((member,))


@dataclass(frozen=True)
class Planned:
    member: Member  # their person row (the row lists show)
    idle_since: datetime  # the latest of their last seen anywhere and their joining
    warned_at: datetime | None  # a standing warning (None: to be warned now)
    removal_due: datetime  # when their access ends if they stay away
    rows: tuple[Member, ...] = ()  # their active rows: access ends on each of these servers
    last_seen: datetime | None = None  # the latest last seen across their servers


@dataclass
class Plan:
    rule: Rule
    now: datetime
    warn: list[Planned] = field(default_factory=list)  # to be warned now
    waiting: list[Planned] = field(default_factory=list)  # warned, grace time still running
    remove: list[Planned] = field(default_factory=list)  # warned, grace time over: access ends now
    exempt: list[Member] = field(default_factory=list)  # not seen for N days, but exempt (person rows)
    paused: dict[str, activity.Availability] = field(default_factory=dict)  # server name: why not
    held: list[Member] = field(default_factory=list)  # not seen for N days, but a server's data is missing


def idle_since(member: Member) -> datetime:
    """The later of one row's last seen and its joining (a person: ``Person.idle_since``)."""
    return max(member.last_seen, member.created_at) if member.last_seen else member.created_at


def standing_warning(member: Member, rule: Rule) -> datetime | None:
    """The standing warning of the person ``member`` belongs to (see ``Person.standing_warning``)."""
    return person_of(member).standing_warning(rule)


def judge(person: Person, *, rule: Rule, now: datetime) -> str:
    """What the rule does with one person now, data availability aside:
    ``""`` (nothing), ``exempt``, ``warn``, ``waiting`` or ``remove``."""
    if not person.active or person.idle_since >= now - timedelta(days=rule.days):
        return ""
    if person.exempt_by_flag:
        return "exempt"
    warned = person.standing_warning(rule)
    if warned is None:
        return "warn"
    return "remove" if warned + timedelta(days=rule.grace_days) <= now else "waiting"


def _exempt_by_permission(persons: list[Person]) -> set[int]:
    users = {row.user.pk: row.user for person in persons for row in person.rows if row.user is not None}
    perms = perms_of_users(users.values())
    return {
        person.member.pk
        for person in persons
        if any(row.user_id is not None and perms[row.user_id] & EXEMPT_PERMISSIONS for row in person.rows)
    }


def plan(*, now: datetime | None = None, rule: Rule | None = None) -> Plan:
    """Who is warned, who waits, who loses access: decided per person, across their servers.

    A person is idle only when none of their servers saw them within N days; one server's
    missing data holds the whole person back (``held``), whatever the others say.
    """
    now = now or timezone.now()
    rule = rule or Rule.current()
    result = Plan(rule=rule, now=now)
    cutoff = now - timedelta(days=rule.days)
    grace = timedelta(days=rule.grace_days)
    # Rows idle on their own server: only their persons can be idle at all.
    heads = set(
        Member.objects.filter(status=Status.ACTIVE, created_at__lt=cutoff)
        .filter(Q(last_seen__isnull=True) | Q(last_seen__lt=cutoff))
        .annotate(head=Coalesce("primary_id", "id"))
        .values_list("head", flat=True)
    )
    persons = [person for person in _persons(sorted(heads)) if judge(person, rule=rule, now=now)]
    persons.sort(key=lambda person: (person.last_seen is not None, person.last_seen or now, person.idle_since))
    by_permission = _exempt_by_permission(persons)
    availability: dict[int, activity.Availability] = {}
    for person in persons:
        verdict = judge(person, rule=rule, now=now)
        if verdict == "exempt" or person.member.pk in by_permission:
            result.exempt.append(person.member)
            continue
        missing = False
        for server in sorted({row.server for row in person.shared}, key=lambda server: server.pk):
            if server.pk not in availability:
                availability[server.pk] = activity.data_available(server, now=now, window=timedelta(days=rule.days))
            if not availability[server.pk].available:
                result.paused[server.name] = availability[server.pk]
                missing = True
        if missing:
            result.held.append(person.member)
            continue
        warned = person.standing_warning(rule)
        entry = Planned(
            member=person.member,
            idle_since=person.idle_since,
            warned_at=warned,
            removal_due=(warned or now) + grace,
            rows=tuple(person.active),
            last_seen=person.last_seen,
        )
        {"warn": result.warn, "waiting": result.waiting, "remove": result.remove}[verdict].append(entry)
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
    """Warn one person, once, whatever the number of their servers: their rows are read
    again under a lock and judged again (seen since, exempted, warned already: nothing
    happens); then every active row carries the warning, with one event and one mail in
    the same transaction."""
    with transaction.atomic():
        person = person_of(entry.member, lock=True)
        if judge(person, rule=rule, now=now) != "warn":
            return False
        rows = person.active
        Member.objects.filter(pk__in=[row.pk for row in rows]).update(inactivity_warned_at=now)
        for row in rows:
            row.inactivity_warned_at = now
        member = rows[0]
        due = now + timedelta(days=rule.grace_days)
        last_seen = person.last_seen
        audit.record(
            actor,
            "member.inactive_warning",
            member,
            last_seen=last_seen.isoformat() if last_seen else None,
            removal_due=due.isoformat(),
            servers=[row.server.name for row in rows],
        )
        notify.member_inactive_warning(member, last_seen=last_seen, removal_due=due, rows=rows)
    return True


def end_access_for_inactivity(
    member_id: int, *, now: datetime, rule: Rule, actor: Actor = JOB_ACTOR, run_now: bool = True
) -> bool | None:
    """End a warned person's access on each of their servers because they stayed away:
    the one call the rule uses (``member_id``: any of their rows).

    Re-checked under the lock of all their rows (seen since on any server, exempted,
    already leaving: nothing happens, None). Access ends the way the owner chose
    (``suspension.end_access``: removed, or suspended when "suspend instead of remove" is
    on), through the outbox, one operation per server; each row becomes ``removed`` (or
    ``suspended``) only when Plex confirms it. True when Plex confirmed every server,
    False while any is retried (it stays ``removing``/``suspending``).
    """
    with transaction.atomic():
        member = Member.objects.filter(pk=member_id).first()
        if member is None:
            return None
        person = person_of(member, lock=True)
        if judge(person, rule=rule, now=now) != "remove":
            return None
        # The owner's way of ending access (issue 22): remove the share, or suspend it.
        ops = [
            op
            for row in person.active
            if (op := end_access(row, actor=actor, reason=INACTIVE_REASON, final_status=Status.REMOVED, inline=run_now))
            is not None
        ]
    if not ops:
        return None
    if not run_now:
        return False
    done = [outbox.run(op).done for op in ops]
    return all(done)


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
    """Keep the rule away from one person (or let it apply again), on every one of their
    servers; an exemption also drops a warning. Returns ``member`` as it is now."""
    with transaction.atomic():
        person = person_of(member, lock=True)
        changed = [row for row in person.rows if row.inactivity_exempt != exempt]
        if changed:
            update: dict[str, object] = {"inactivity_exempt": exempt, "updated_at": timezone.now()}
            if exempt:
                update["inactivity_warned_at"] = None
            Member.objects.filter(pk__in=[row.pk for row in person.rows]).update(**update)
            audit.record(actor, "member.inactivity_exempt", member, exempt=exempt)
    return Member.objects.select_related("invite", "server").get(pk=member.pk)
