from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import ExpressionWrapper, Q

from guestlist.plex.models import MediaServer

LIVE_STATUSES = ("pending", "active")


class Member(models.Model):
    """A person who has, or is getting, access to a Plex server through Guestlist.

    One row per person per server; ``person_key`` is ``plex:<account id>`` when Plex told us
    who they are, else ``email:<address>``. Rows are never deleted, so history survives.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        REMOVING = "removing"
        EXPIRED = "expired"
        REMOVED = "removed"

    server = models.ForeignKey(MediaServer, on_delete=models.PROTECT, related_name="members")
    person_key = models.CharField(max_length=300)
    email = models.CharField(max_length=254, blank=True)
    username = models.CharField(max_length=200, blank=True)
    plex_id = models.BigIntegerField(null=True, blank=True)
    thumb = models.CharField(max_length=500, blank=True)
    invite = models.ForeignKey(
        "invites.Invite", null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="member"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    is_active = models.GeneratedField(
        expression=ExpressionWrapper(Q(status__in=LIVE_STATUSES), output_field=models.BooleanField()),
        output_field=models.BooleanField(),
        db_persist=True,
    )
    is_home = models.BooleanField(default=False)
    # plex.tv's id of the share: the only handle on an invite that was never accepted.
    plex_share_id = models.BigIntegerField(null=True, blank=True)
    library_keys = models.JSONField(null=True, blank=True)
    allow_sync = models.BooleanField(default=False)
    allow_channels = models.BooleanField(default=False)
    allow_camera_upload = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["server", "person_key"], name="member_one_per_person_per_server"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "expires_at"], name="member_status_expiry_idx"),
            models.Index(fields=["invite"], name="member_invite_idx"),
            models.Index(fields=["email"], name="member_email_idx"),
            models.Index(fields=["-created_at", "-id"], name="member_newest_idx"),
        ]

    def __str__(self) -> str:
        return self.username or self.email or self.person_key
