"""Writing down Plex work the domain owes, inside the transaction that decided it.

``outbox`` runs and retries what is written here; ``effects`` writes follow-up work too
(an accept after a share, a compensating removal), which is why this sits below both.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from guestlist.lib import liveness
from guestlist.plexwork.models import PlexOperation

# Longer than any single attempt can take (several Plex calls with short timeouts plus the
# accept retries), so the runner never picks up work a live request is still doing.
LOCK_SECONDS = 90


def enqueue(
    kind: str,
    *,
    member: Any,
    redemption: Any = None,
    payload: dict[str, Any] | None = None,
    reason: str = "",
    inline: bool = True,
) -> PlexOperation:
    """Record a Plex change; call inside the transaction that made it necessary.

    ``inline`` locks the row for the caller, who runs it right after committing.
    """
    now = timezone.now()
    return PlexOperation.objects.create(
        kind=kind,
        server_id=member.server_id,
        member=member,
        redemption=redemption,
        payload=payload or {},
        reason=reason,
        next_attempt_at=now,
        locked_until=now + timedelta(seconds=LOCK_SECONDS) if inline else None,
        locked_by=liveness.identity() if inline else "",
        attempts=1 if inline else 0,
    )
