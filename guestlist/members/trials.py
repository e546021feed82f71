"""Trial periods: who is on trial, extension requests, and the hourly job that ends trials.

A trial starts when someone redeems an invite whose trial (its own, or the owner's
setting) is on. While it runs the member cannot create invites. When it ends the job
applies the outcome once: ``promote`` grants the owner's default permissions;
``deactivate`` takes their Plex access away through the outbox, like an expiry: they stay
``removing`` until Plex confirms, then become ``expired`` with the reason "trial ended".
``trial_settled_at`` is written in the same transaction that applies the outcome, under
the member's row lock, so neither the job running twice nor an owner's "end now" at the
same moment can apply it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from guestlist.core import audit, ratelimit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Invalid, TooManyRequests
from guestlist.core.models import SiteSettings
from guestlist.invites.models import Invite
from guestlist.invites.services import MAX_TRIAL_DAYS
from guestlist.lib import shutdown
from guestlist.members import permissions
from guestlist.members.models import Member, TrialExtensionRequest
from guestlist.members.permissions import Caller
from guestlist.members.removal import end_unlinked
from guestlist.members.suspension import end_access, renew
from guestlist.notifications import notify
from guestlist.plexwork import outbox

JOB_ACTOR = Actor.job("trials")
TRIAL_ENDED_REASON = "trial ended"
MAX_MESSAGE = 1000
ACTIONS = ("extend", "end", "approve", "deny")
BATCH = 100
Outcome = Member.TrialOutcome
TRIAL_STATUSES = (Member.Status.PENDING, Member.Status.ACTIVE, Member.Status.UNLINKED)


def trial_for(invite: Invite, site: SiteSettings | None = None) -> tuple[int | None, str]:
    """(days or None, outcome) for someone redeeming ``invite`` now."""
    site = site or SiteSettings.current()
    outcome = site.trial_outcome if site.trial_outcome in Outcome.values else Outcome.PROMOTE
    if invite.trial_days is None:
        return (site.trial_days if site.trial_enabled and site.trial_days else None), outcome
    return (invite.trial_days or None), outcome


def start_trial(member: Member, invite: Invite, now: datetime) -> None:
    """Set (or clear) the trial of a member who is redeeming; the caller saves the member."""
    days, outcome = trial_for(invite)
    member.trial_ends_at = now + timedelta(days=days) if days else None
    member.trial_outcome = outcome if days else ""
    member.trial_settled_at = None


def open_request(member: Member) -> TrialExtensionRequest | None:
    return member.extension_requests.filter(state=TrialExtensionRequest.State.OPEN).first()


def request_extension(caller: Caller, message: str) -> TrialExtensionRequest:
    """A trial member asks for more time: rate-limited, one open request at a time."""
    member = caller.member
    if member is None or not member.in_trial:
        raise Conflict("You are not in a trial period.", code="not_in_trial")
    if not isinstance(message, str) or len(message) > MAX_MESSAGE:
        raise Invalid(f"The message may hold at most {MAX_MESSAGE} characters.")
    if open_request(member) is not None:
        raise Conflict("Your request is waiting for an answer already.", code="extension_pending")
    verdict = ratelimit.hit(ratelimit.EXTENSION_REQUEST, f"member:{member.pk}")
    if not verdict.allowed:
        raise TooManyRequests(
            f"Too many requests; try again in {verdict.retry_after} seconds.", retry_after=verdict.retry_after
        )
    try:
        with transaction.atomic():
            request = TrialExtensionRequest.objects.create(member=member, message=message.strip())
            audit.record(caller.actor, "member.trial_extension_requested", member, message=message.strip()[:200])
            notify.trial_extension_requested(member, message=message.strip())
    except IntegrityError:
        raise Conflict("Your request is waiting for an answer already.", code="extension_pending") from None
    return request


def _days(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TRIAL_DAYS:
        raise Invalid(
            f"days must be a whole number from 1 to {MAX_TRIAL_DAYS}.",
            details=[{"field": "days", "message": "invalid"}],
        )
    return value


def act(caller: Caller, member: Member, action: str, *, days: object = None, message: str = "") -> Member:
    """The owner (or Manage Users) acts on a trial: extend, end now, approve or deny a request."""
    permissions.check_manage_member(caller, member)
    if action not in ACTIONS:
        raise Invalid(f"action must be one of {', '.join(ACTIONS)}.", details=[{"field": "action", "message": action}])
    now = timezone.now()
    restore = None
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        # A trial that ended in a suspension can be extended: that renews the member.
        reopening = action == "extend" and ended_in_suspension(locked)
        if not locked.in_trial and not reopening:
            raise Conflict("This member is not in a trial period.", code="not_in_trial")
        request = open_request(locked)
        if action in ("approve", "deny") and request is None:
            raise Conflict("There is no open extension request.", code="no_extension_request")
        if action in ("extend", "approve"):
            extra = _days(days)
            start = now if reopening else max(locked.trial_ends_at or now, now)
            locked.trial_ends_at = start + timedelta(days=extra)
            if reopening:
                locked.trial_settled_at = None
            locked.save(update_fields=["trial_ends_at", "trial_settled_at", "updated_at"])
            audit.record(
                caller.actor, "member.trial_extended", locked, days=extra, until=locked.trial_ends_at.isoformat()
            )
            if reopening:
                restore = renew(locked, actor=caller.actor, reason="trial extended")
        if request is not None and action in ("approve", "deny"):
            request.state = (
                TrialExtensionRequest.State.APPROVED if action == "approve" else TrialExtensionRequest.State.DENIED
            )
            request.decided_at = now
            request.decided_by_label = caller.actor.label[:150]
            request.days = days if action == "approve" and isinstance(days, int) else None
            request.save()
            audit.record(caller.actor, f"member.trial_extension_{request.state}", locked, message=message[:200])
        if action == "end":
            locked.trial_ends_at = now
            locked.save(update_fields=["trial_ends_at", "updated_at"])
            audit.record(caller.actor, "member.trial_ended_early", locked)
    if action == "end":
        apply_outcome(member.pk, now=now, actor=caller.actor)
    if restore is not None:
        outbox.run(restore)
    member.refresh_from_db()
    return member


def ended_in_suspension(member: Member) -> bool:
    """Their trial ended with "deactivate" and they were suspended rather than removed."""
    return (
        member.status in (Member.Status.SUSPENDING, Member.Status.SUSPENDED)
        and member.trial_outcome == Outcome.DEACTIVATE
        and member.trial_settled_at is not None
    )


def due(now: datetime) -> list[int]:
    return list(
        Member.objects.filter(
            trial_settled_at__isnull=True,
            trial_ends_at__isnull=False,
            trial_ends_at__lte=now,
            status__in=TRIAL_STATUSES,
        )
        .order_by("trial_ends_at", "id")
        .values_list("id", flat=True)[:BATCH]
    )


def apply_outcome(
    member_id: int, *, now: datetime | None = None, actor: Actor = JOB_ACTOR, run_now: bool = True
) -> bool | None:
    """Settle one ended trial: True when done (for deactivate: Plex confirmed), False while
    Plex is retried, None when there was nothing to do."""
    now = now or timezone.now()
    with transaction.atomic():
        member = Member.objects.select_for_update().filter(pk=member_id).first()
        # Looked at again under the lock: extended or settled a moment ago means nothing to do.
        if (
            member is None
            or not member.in_trial
            or member.trial_ends_at is None
            or member.trial_ends_at > now
            or member.status not in TRIAL_STATUSES
        ):
            return None
        member.trial_settled_at = now
        member.save(update_fields=["trial_settled_at", "updated_at"])
        member.extension_requests.filter(state=TrialExtensionRequest.State.OPEN).update(
            state=TrialExtensionRequest.State.CLOSED, decided_at=now
        )
        if member.trial_outcome != Outcome.DEACTIVATE:
            if member.user is not None:
                granted = set(permissions.perms_of(member.user)) | set(permissions.default_permissions())
                permissions.set_user_permissions(member.user, granted)
            audit.record(actor, "member.trial_promoted", member)
            notify.trial_ended(member, outcome=Outcome.PROMOTE)
            return True
        audit.record(actor, "member.trial_ended", member, outcome="deactivate")
        notify.trial_ended(member, outcome=Outcome.DEACTIVATE)
        if member.status == Member.Status.UNLINKED:
            end_unlinked(member, actor=actor, reason=TRIAL_ENDED_REASON)
            return True
        op = end_access(
            member, actor=actor, reason=TRIAL_ENDED_REASON, final_status=Member.Status.EXPIRED, inline=run_now
        )
    if op is None:
        return None
    if not run_now:
        return False
    return outbox.run(op).done


@dataclass
class TrialRun:
    promoted: int = 0
    deactivated: int = 0
    waiting_for_plex: int = 0

    def __str__(self) -> str:
        return f"{self.promoted} promoted, {self.deactivated} deactivated, {self.waiting_for_plex} waiting for Plex"


def run(*, now: datetime | None = None) -> str:
    """The trials job: every trial that ended gets its outcome, once."""
    now = now or timezone.now()
    outcome = TrialRun()
    plex_answers = True
    for member_id in due(now):
        if shutdown.requested():
            break
        deactivating = Member.objects.filter(pk=member_id, trial_outcome=Outcome.DEACTIVATE).exists()
        # As in the expiry job: once Plex fails, the rest are only queued for the outbox.
        result = apply_outcome(member_id, now=now, run_now=plex_answers)
        if result is True:
            if deactivating:
                outcome.deactivated += 1
            else:
                outcome.promoted += 1
        elif result is False:
            outcome.waiting_for_plex += 1
            plex_answers = False
    return str(outcome)
