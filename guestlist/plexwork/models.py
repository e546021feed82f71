from __future__ import annotations

from typing import ClassVar

from django.db import models

from guestlist.plex.models import MediaServer


class PlexOperation(models.Model):
    """A Plex change Guestlist owes: tried at once, retried with backoff until done or given up.

    Rows are written in the same transaction as the decision that makes them necessary
    (a claimed invite use, a removal), so a crash between the decision and the Plex call
    leaves a row for the job runner instead of a silent gap.
    """

    class Kind(models.TextChoices):
        SHARE = "share"
        HOME_INVITE = "home_invite"
        ACCEPT = "accept"
        UPDATE_SHARE = "update_share"
        REMOVE = "remove"
        # Narrowing a share to the owner's suspension library, and giving it back.
        SUSPEND = "suspend"
        RESTORE = "restore"

    class State(models.TextChoices):
        QUEUED = "queued"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    server = models.ForeignKey(MediaServer, on_delete=models.CASCADE, related_name="operations")
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="operations"
    )
    redemption = models.ForeignKey(
        "invites.Redemption", null=True, blank=True, on_delete=models.SET_NULL, related_name="operations"
    )
    payload = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    # The process working on it (``lib.liveness.identity``): if that process is killed,
    # the runner takes the operation over without waiting for ``locked_until``.
    locked_by = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table keeps the name it had when this model lived in the ``plex`` app, so
        # installs upgrade without moving a row (and the job runner's plain SQL still reads it).
        db_table = "plex_plexoperation"
        ordering: ClassVar[list[str]] = ["id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["state", "next_attempt_at"], name="plexop_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for member {self.member_id} ({self.state})"
