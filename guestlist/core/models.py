from __future__ import annotations

import time
from typing import Any, ClassVar

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who did what to which object, and when. Never updated, never deleted by the app."""

    class Actor(models.TextChoices):
        ADMIN = "admin"
        API_KEY = "api_key"
        MEMBER = "member"
        REDEEMER = "redeemer"
        JOB = "job"
        SYSTEM = "system"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_kind = models.CharField(max_length=16, choices=Actor.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor_kind", "created_at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label or self.actor_kind} {self.action} {self.object_type}:{self.object_id}"


class SiteSettings(models.Model):
    """The owner's settings, one row (pk=1)."""

    signup_enabled = models.BooleanField(default=True)
    email_redemption_enabled = models.BooleanField(default=True)
    default_usage_limit = models.PositiveSmallIntegerField(null=True, blank=True, default=1)
    default_expires_in_days = models.PositiveIntegerField(null=True, blank=True)
    default_user_expires_in_days = models.PositiveIntegerField(null=True, blank=True)
    default_allow_sync = models.BooleanField(default=False)
    default_allow_channels = models.BooleanField(default=False)
    default_allow_camera_upload = models.BooleanField(default=False)
    default_libraries = models.CharField(max_length=512, default="default")
    welcome_markdown = models.TextField(blank=True)
    expiry_warning_days = models.PositiveSmallIntegerField(default=7)
    # The Streamarr model: members who sign in and invite (contract.md "Members' own area").
    local_accounts_enabled = models.BooleanField(default=False)
    # Off: when a member's access ends, the invites they made and nobody used up are disabled.
    keep_departed_members_invites = models.BooleanField(default=False)
    default_member_permissions = models.JSONField(default=list, blank=True)
    # null limit: no quota; days 0: the limit counts for the member's whole lifetime.
    default_quota_limit = models.PositiveSmallIntegerField(null=True, blank=True, default=5)
    default_quota_days = models.PositiveSmallIntegerField(default=30)
    trial_enabled = models.BooleanField(default=False)
    trial_days = models.PositiveSmallIntegerField(default=7)
    trial_outcome = models.CharField(max_length=16, default="promote")
    # Scheduled backups (run by the job runner's "backup" job; its last result is its JobStatus).
    backup_enabled = models.BooleanField(default=False)
    backup_time = models.CharField(max_length=5, default="03:30")  # HH:MM, the install's time zone (TZ)
    backup_keep = models.PositiveSmallIntegerField(default=7)
    backup_dir = models.CharField(max_length=500, blank=True)  # empty: <data dir>/backups
    # The inactivity rule (members/inactivity.py): members not seen for inactivity_days are
    # warned, and inactivity_grace_days later lose their access.
    inactivity_enabled = models.BooleanField(default=False)
    inactivity_days = models.PositiveSmallIntegerField(default=90)
    inactivity_grace_days = models.PositiveSmallIntegerField(default=14)
    # When a member's access ends (expiry, a trial's "deactivate", by hand): "remove" the
    # share, or "suspend" it, narrowed to the library with PMS key ``suspend_library_key``.
    access_end = models.CharField(max_length=16, default="remove")
    suspend_library_key = models.PositiveIntegerField(null=True, blank=True)
    plex_client_identifier = models.CharField(max_length=64, blank=True)
    setup_token_hash = models.CharField(max_length=128, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Guestlist settings"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1
        super().save(*args, **kwargs)
        forget_cached_settings()

    @classmethod
    def load(cls) -> SiteSettings:
        """A fresh copy from the database, for editing."""
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    @classmethod
    def current(cls) -> SiteSettings:
        """A read-only copy at most a few seconds old, for hot public paths.

        Public pages ask for the sign-up switch on every request; a query each time costs
        more than the rest of the page. Saving here clears the copy at once; another process
        (or instance) sees a change within ``SETTINGS_CACHE_SECONDS``.
        """
        cached = _settings_cache.get("site")
        max_age = getattr(settings, "SITE_SETTINGS_CACHE_SECONDS", SETTINGS_CACHE_SECONDS)
        if cached is not None and time.monotonic() - cached[0] < max_age:
            return cached[1]
        fresh = cls.load()
        _settings_cache["site"] = (time.monotonic(), fresh)
        return fresh


SETTINGS_CACHE_SECONDS = 2.0
_settings_cache: dict[str, tuple[float, SiteSettings]] = {}


def forget_cached_settings() -> None:
    _settings_cache.clear()


class RateLimitHit(models.Model):
    """A fixed-window counter per key; shared by every process through the database."""

    key = models.CharField(max_length=200)
    window_start = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ratelimit_key_window_uniq")
        ]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["window_start"], name="ratelimit_window_idx")]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start}={self.count}"
