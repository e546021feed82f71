"""Members: listing, expiry, access changes and removal (removal goes through Plex first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Invalid, NotFound
from guestlist.invites import search_index
from guestlist.members import access, suspension
from guestlist.members.models import Member
from guestlist.members.removal import end_unlinked as end_unlinked
from guestlist.members.removal import open_removal
from guestlist.members.removal import queue_removal as queue_removal
from guestlist.notifications import notify
from guestlist.plex import services
from guestlist.plex.errors import PlexError
from guestlist.plexwork import outbox
from guestlist.plexwork.models import PlexOperation

Status = Member.Status
LIVE = (Status.PENDING, Status.ACTIVE)
STATUS_FILTERS = (
    "all",
    "pending",
    "active",
    "removing",
    "expired",
    "removed",
    "expiring",
    "live",
    "suspending",
    "suspended",
)
# Members whose expiry a renewal changes: those with access, and suspended ones.
RENEWABLE = (*LIVE, Status.SUSPENDING, Status.SUSPENDED)
EXPIRING_WITHIN = timedelta(days=7)
MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000


def get_member(member_id: int) -> Member:
    member = Member.objects.select_related("invite", "server").filter(pk=member_id).first()
    if member is None:
        raise NotFound(f"There is no member with id {member_id}.")
    return member


@dataclass(frozen=True)
class MemberQuery:
    search: str = ""
    status: str = "all"
    invite_id: int | None = None
    page: int = 1
    page_size: int = 50
    # Members not seen for this many days (never seen counts once they joined that long ago).
    not_seen_days: int | None = None
    sort: str = "-created_at"
    # One row per person (their person row) instead of one per server (issue 20 §3).
    persons: bool = False


@dataclass(frozen=True)
class MemberPage:
    items: list[Member]
    total: int
    page: int
    page_size: int


def status_q(name: str, now: datetime) -> Q:
    if name == "expiring":
        return Q(status__in=LIVE, expires_at__isnull=False, expires_at__lte=now + EXPIRING_WITHIN)
    if name == "live":
        return Q(status__in=LIVE)
    if name in ("pending", "active", "removing", "expired", "removed", "suspending", "suspended"):
        return Q(status=name)
    return Q()


# "last_seen": longest unseen first (never seen before anyone seen); "-last_seen": most recent first.
MEMBER_SORTS: dict[str, tuple[Any, ...]] = {
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "last_seen": (F("last_seen").asc(nulls_first=True), "created_at", "id"),
    "-last_seen": (F("last_seen").desc(nulls_last=True), "-created_at", "-id"),
}
# The same, for lists of persons: by the newest last seen across their servers.
PERSON_SORTS: dict[str, tuple[Any, ...]] = {
    **MEMBER_SORTS,
    "last_seen": (F("person_last_seen").asc(nulls_first=True), "created_at", "id"),
    "-last_seen": (F("person_last_seen").desc(nulls_last=True), "-created_at", "-id"),
}
MAX_NOT_SEEN_DAYS = 36500


def not_seen_q(days: int, now: datetime, *, field: str = "last_seen") -> Q:
    """Not seen for ``days``: seen before then, or never seen and joined before then."""
    since = now - timedelta(days=days)
    return Q(**{f"{field}__lt": since}) | Q(**{f"{field}__isnull": True, "created_at__lt": since})


def _latest_of_person(column: str) -> Subquery:
    """``column`` of the person's row (any server) seen most recently, for a person row."""
    rows = Member.objects.filter(Q(pk=OuterRef("pk")) | Q(primary_id=OuterRef("pk")), last_seen__isnull=False)
    return Subquery(rows.order_by("-last_seen", "pk").values(column)[:1])


def with_person_last_seen(members: QuerySet[Member]) -> QuerySet[Member]:
    """Person rows with ``person_last_seen`` / ``person_last_title``: the newest play on any
    of the person's servers (issue 20: a person who watches in 4K is seen, HD or not)."""
    return members.annotate(
        person_last_seen=_latest_of_person("last_seen"), person_last_title=_latest_of_person("last_title")
    )


def member_queryset(query: MemberQuery) -> QuerySet[Member]:
    if query.status not in STATUS_FILTERS:
        raise Invalid(f"status must be one of {', '.join(STATUS_FILTERS)}.")
    members = Member.objects.filter(status_q(query.status, timezone.now()))
    term = query.search.strip()
    if len(term) >= search_index.MIN_TRIGRAM_TERM and search_index.fts_ready():
        # SQLite's trigram index finds the rows the LIKE scan below would (invites.search_index).
        members = members.filter(pk__in=search_index.matching_ids("members_member", term))
    elif term:
        members = members.filter(Q(email__icontains=term) | Q(username__icontains=term))
    if query.invite_id is not None:
        members = members.filter(invite_id=query.invite_id)
    if query.persons:
        members = with_person_last_seen(members.filter(primary__isnull=True))
    if query.not_seen_days is not None:
        if not 0 <= query.not_seen_days <= MAX_NOT_SEEN_DAYS:
            raise Invalid(f"not_seen_days must be a whole number from 0 to {MAX_NOT_SEEN_DAYS}.")
        seen = "person_last_seen" if query.persons else "last_seen"
        members = members.filter(not_seen_q(query.not_seen_days, timezone.now(), field=seen))
    return members


def attach_server_rows(members: list[Member]) -> None:
    """Give each person row ``server_rows``: all their rows (one per server), in one query."""
    heads = [member.pk for member in members]
    rows: dict[int, list[Member]] = {pk: [] for pk in heads}
    for row in Member.objects.filter(Q(pk__in=heads) | Q(primary_id__in=heads)).select_related("server"):
        rows[row.primary_id or row.pk].append(row)
    for member in members:
        member.server_rows = sorted(  # type: ignore[attr-defined]  # read by the members table's template
            rows.get(member.pk, []), key=lambda row: (row.primary_id is not None, row.server_id)
        )


def list_members(query: MemberQuery) -> MemberPage:
    members = member_queryset(query)
    if query.sort not in MEMBER_SORTS:
        raise Invalid(f"sort must be one of {', '.join(MEMBER_SORTS)}.")
    page_size = max(1, min(query.page_size, MAX_PAGE_SIZE))
    # Pages past the end are empty; the bound keeps the offset inside what databases take.
    page = max(1, min(query.page, MAX_PAGE))
    offset = (page - 1) * page_size
    sorts = PERSON_SORTS if query.persons else MEMBER_SORTS
    items = list(members.select_related("invite").order_by(*sorts[query.sort])[offset : offset + page_size])
    if query.persons:
        attach_server_rows(items)
    return MemberPage(items=items, total=members.count(), page=page, page_size=page_size)


def set_expiry(member: Member, expires_at: datetime | None, *, actor: Actor) -> Member:
    """Set or clear when their access ends; a later date also calls off an expiry in
    progress, and renews a suspended member (their share is given back through the outbox)."""
    with transaction.atomic():
        op = set_expiry_locked(member, expires_at, actor=actor)
    if op is not None:
        outbox.run(op)
    member.refresh_from_db()
    return member


def set_expiry_locked(member: Member, expires_at: datetime | None, *, actor: Actor) -> PlexOperation | None:
    """``set_expiry`` inside the caller's transaction; returns a restore to run after commit."""
    if expires_at is not None and timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at, timezone.get_current_timezone())
    locked = Member.objects.select_for_update().get(pk=member.pk)
    before = locked.expires_at
    locked.expires_at = expires_at
    locked.expiry_warned_at = None
    locked.save(update_fields=["expires_at", "expiry_warned_at", "updated_at"])
    op = None
    if expires_at is None or expires_at > timezone.now():
        _call_off_expiry(locked, actor)
        op = suspension.renew(locked, actor=actor, reason="renewed")
    audit.record(
        actor,
        "member.expiry",
        locked,
        before=before.isoformat() if before else None,
        after=expires_at.isoformat() if expires_at else None,
    )
    return op


def _call_off_expiry(member: Member, actor: Actor) -> None:
    """An expiry still waiting for Plex (it was down) no longer applies: the member stays."""
    if member.status != Status.REMOVING:
        return
    removal = PlexOperation.objects.filter(
        member=member, kind=PlexOperation.Kind.REMOVE, state=PlexOperation.State.QUEUED
    ).first()
    if removal is None or removal.payload.get("final_status") != Status.EXPIRED:
        return
    if removal.reason == "trial ended":
        # A trial's "deactivate" outcome is settled once; a new expiry date does not undo it.
        return
    outbox.cancel_open(member.pk, kinds=(PlexOperation.Kind.REMOVE,))
    member.status = removal.payload.get("previous_status") or Status.ACTIVE
    member.reason = ""
    member.save(update_fields=["status", "reason", "updated_at"])
    audit.record(actor, "member.expiry_called_off", member)


def extend_expiry(members: list[Member], *, days: int, actor: Actor) -> int:
    """Push expiry out for a selection, in one transaction; members without expiry get it
    counted from now (a month is 30 days: callers pass days, lib/dates.py). Suspended members
    among them are renewed (see ``set_expiry``)."""
    now = timezone.now()
    with transaction.atomic():
        ops = _extend_locked(members, days=days, actor=actor, now=now)
    for op in ops:
        outbox.run(op)
    return len(members)


def _extend_locked(members: list[Member], *, days: int, actor: Actor, now: datetime) -> list[PlexOperation]:
    ops = []
    for member in members:
        start = member.expires_at if member.expires_at and member.expires_at > now else now
        op = set_expiry_locked(member, start + timedelta(days=days), actor=actor)
        if op is not None:
            ops.append(op)
    return ops


BULK_ACTIONS = ("extend", "clear_expiry", "remove")


@dataclass(frozen=True)
class BulkOutcome:
    done: int  # members changed (for removals: confirmed by Plex)
    queued: int  # removals Plex has not confirmed yet; the outbox retries them
    skipped: int  # chosen members without access (or, for removals, already gone), left alone


def act_on_members(member_ids: list[int], action: str, *, actor: Actor, days: int = 0) -> BulkOutcome:
    """One action on a selection of members (the members table's bulk actions).

    Every change is decided and written in one transaction, so a failure leaves none of
    them half done; removals then run against Plex after it commits, each through the outbox.
    Members without access (already removed or expired) are skipped; suspended members
    count as having access here: extending renews them, removing takes their share.
    """
    if action not in BULK_ACTIONS:
        raise Invalid(f"action must be one of {', '.join(BULK_ACTIONS)}.")
    operations: list[PlexOperation] = []
    with transaction.atomic():
        # Choosing a person row chooses the person: each of their servers.
        chosen = list(
            Member.objects.select_for_update()
            .filter(Q(pk__in=member_ids) | Q(primary_id__in=member_ids))
            .select_related("server")
        )
        live = [member for member in chosen if member.status in RENEWABLE]
        if action == "extend":
            operations += _extend_locked(live, days=days, actor=actor, now=timezone.now())
        elif action == "clear_expiry":
            for member in live:
                op = set_expiry_locked(member, None, actor=actor)
                if op is not None:
                    operations.append(op)
        else:
            for member in live:
                op = queue_removal(member, actor=actor, reason="removed by admin", final_status=Status.REMOVED)
                if op is not None:
                    operations.append(op)
    queued = sum(0 if outbox.run(op).done else 1 for op in operations)
    return BulkOutcome(done=len(live) - queued, queued=queued, skipped=len(chosen) - len(live))


@dataclass(frozen=True)
class RemovalOutcome:
    member: Member
    done: bool
    error: str = ""


def remove_member(
    member: Member, *, actor: Actor, reason: str = "", final_status: str = Status.REMOVED
) -> RemovalOutcome:
    """Take away their Plex access, then mark them; a Plex failure leaves them ``removing``."""
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        op = queue_removal(locked, actor=actor, reason=reason, final_status=final_status)
    if op is None:
        member.refresh_from_db()
        if member.status in (Status.REMOVED, Status.EXPIRED):
            return RemovalOutcome(member, True)
        queued = open_removal(member)
        return RemovalOutcome(member, False, queued.last_error if queued else "")
    outcome = outbox.run(op)
    member.refresh_from_db()
    return RemovalOutcome(member, outcome.done, outcome.error)


def change_access(member: Member, changes: dict[str, Any], *, actor: Actor) -> RemovalOutcome:
    """Change a member's libraries, share settings or content limits on Plex (PATCH /api/users/{id}).

    A refusal from Plex is raised (nothing was recorded as changed); Plex being down leaves
    the change queued (``done`` False), retried by the outbox.
    """
    outcome = access.change_access(member, changes, actor=actor)
    access.raise_if_refused(outcome)
    return RemovalOutcome(outcome.member, outcome.state == "done", outcome.error)


def refresh_from_plex(member: Member, *, actor: Actor) -> Member:
    """Re-read username, avatar and access from Plex's list of users."""
    # Imported here: the gateway brings plexapi, which the job runner loads only once a
    # job really talks to Plex.

    try:
        users = services.gateway_for(member.server).users()
    except PlexError as exc:
        raise services.as_service_error(exc) from exc
    email = member.email.lower()
    match = next(
        (
            user
            for user in users
            if (member.plex_id is not None and user.id == member.plex_id) or (email and user.email.lower() == email)
        ),
        None,
    )
    if match is None:
        audit.record(actor, "member.refresh", member, found=False)
        return member
    with transaction.atomic():
        changed = apply_plex_user(member, match)
        if changed:
            note_difference(member, changed)
    audit.record(actor, "member.refresh", member, found=True)
    return member


def note_difference(member: Member, changed: set[str]) -> None:
    """A read of Plex found the share changed in Plex itself: audited and announced once."""
    if "plex_access" in changed and member.plex_access:
        audit.record(
            Actor.job("sync"), "member.access_differs", member, plex=member.plex_access, ours=access.access_of(member)
        )
        notify.member_access_differs(member, plex=member.plex_access)


def apply_plex_user(member: Member, user: Any) -> set[str]:
    """Copy what Plex says about a user onto the member; the fields that changed."""
    key = f"plex:{user.id}"
    taken = (
        member.plex_id is None
        and key != member.person_key
        and Member.objects.filter(server=member.server, person_key=key).exists()
    )
    changed = plex_changes(member, user, taken_person_keys={key} if taken else set())
    if member.pk is None:
        member.save()
    elif changed:
        member.save(update_fields=[*changed, "updated_at"])
    return changed


def plex_changes(member: Member, user: Any, *, taken_person_keys: set[str]) -> set[str]:
    """Set what Plex says about a user on the member (unsaved); the fields that changed.

    ``taken_person_keys``: person keys other members already hold, which this one cannot
    move to. Libraries and settings are copied only from a read that includes them
    (``user.library_keys`` is None after the sync's one-request read).
    """
    changed: set[str] = set()

    def put(field: str, value: object) -> None:
        if value not in (None, "") and getattr(member, field) != value:
            setattr(member, field, value)
            changed.add(field)

    put("username", user.username or user.title)
    put("thumb", user.thumb)
    put("email", user.email)
    if member.plex_id is None:
        put("plex_id", user.id)
        if f"plex:{user.id}" != member.person_key and f"plex:{user.id}" not in taken_person_keys:
            put("person_key", f"plex:{user.id}")
    if user.last_seen_at is not None and (member.last_seen is None or user.last_seen_at > member.last_seen):
        put("last_seen", user.last_seen_at)
    if user.share_id is not None:
        put("plex_share_id", user.share_id)
        if member.library_keys is None:
            # Access Guestlist never set (a new import): Plex's is the member's.
            if user.library_keys is not None:
                put("library_keys", list(user.library_keys))
                for field in ("allow_sync", "allow_channels", "allow_camera_upload"):
                    put(field, getattr(user, field))
                limits = access.plex_side(user)["content_limits"]
                if limits != (member.content_limits or {}):
                    member.content_limits = limits
                    changed.add("content_limits")
        else:
            # Guestlist set this share: a difference was made in Plex itself. It is kept
            # aside for the owner to settle ("keep Plex's" / "apply Guestlist's").
            found = access.differences(member, user)
            if found != member.plex_access:
                member.plex_access = found
                changed.add("plex_access")
        if member.status == Status.PENDING:
            # They show up in Plex's user list only once they accepted the share.
            member.status = Status.ACTIVE
            changed.add("status")
    return changed
