from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import ExpressionWrapper, Q

from guestlist.lib import crypto
from guestlist.plex.models import MediaServer

LIVE_STATUSES = ("pending", "active")


class Member(models.Model):
    """A person who has, or is getting, access to a Plex server through Guestlist.

    One row per person per server; ``person_key`` is ``plex:<account id>`` when Plex told us
    who they are, else ``email:<address>``. Rows are never deleted, so history survives.
    A person on several servers (an invite naming "4K + HD") has one row per server: the
    first is their person row (``primary`` empty) and the others point to it, so lists show
    the person once with their servers, while every row keeps its own share, status, expiry
    and Plex work (docs/architecture.md, "Several Plex servers").
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        REMOVING = "removing"
        EXPIRED = "expired"
        REMOVED = "removed"
        # A local account made while redeeming: a use is claimed, nothing is shared on Plex
        # until they link a Plex account with the same e-mail.
        UNLINKED = "unlinked"
        # Access ended but the friend keeps their accepted share, narrowed to one library
        # the owner picked (members/suspension.py); a renewal restores it.
        SUSPENDING = "suspending"
        SUSPENDED = "suspended"

    class AccessEnd(models.TextChoices):
        """What happens when their access ends; blank follows the owner's setting."""

        DEFAULT = "", "default"
        REMOVE = "remove"
        SUSPEND = "suspend"

    class TrialOutcome(models.TextChoices):
        PROMOTE = "promote"
        DEACTIVATE = "deactivate"

    server = models.ForeignKey(MediaServer, on_delete=models.PROTECT, related_name="members")
    primary = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="other_servers")
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
    # Films / TV / music limits of their share (contract.md "Content limits"); {} = none.
    content_limits = models.JSONField(null=True, blank=True)
    # What Plex says their share is, where it differs from the fields above (someone changed it
    # in Plex itself); null while the two agree. Cleared by "keep Plex's" or "apply Guestlist's".
    plex_access = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The newest moment any source (Plex's play history, plex.tv's user list, Tautulli) saw
    # them use this server, and what they played then; only ever moves forward.
    last_seen = models.DateTimeField(null=True, blank=True)
    last_title = models.CharField(max_length=300, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    # Invite quota overrides; null takes the owner's default (SiteSettings.default_quota_*).
    invite_quota_limit = models.PositiveSmallIntegerField(null=True, blank=True)
    invite_quota_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # A trial runs while trial_ends_at is set and trial_settled_at is not; the hourly job
    # sets trial_settled_at in the transaction that applies the outcome, so it happens once.
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    trial_outcome = models.CharField(max_length=16, choices=TrialOutcome.choices, blank=True)
    trial_settled_at = models.DateTimeField(null=True, blank=True)
    # The Discord account they signed in with on a Discord-gated invite, and what that invite
    # asked of them then ("member" and the role ids: what the re-check job holds them to).
    discord_id = models.CharField(max_length=32, blank=True)
    discord_username = models.CharField(max_length=100, blank=True)
    discord_gate = models.CharField(max_length=8, blank=True)
    discord_role_ids = models.JSONField(default=list, blank=True)
    # When the re-check found them out of the Discord server (or without the role); cleared once back.
    discord_left_at = models.DateTimeField(null=True, blank=True)
    # The inactivity rule (members/inactivity.py) never warns or removes an exempt member.
    inactivity_exempt = models.BooleanField(default=False)
    # Set when the rule warned them; cleared when they are seen again after it.
    inactivity_warned_at = models.DateTimeField(null=True, blank=True)
    access_end = models.CharField(max_length=16, choices=AccessEnd.choices, blank=True, default="")
    # While suspended: the share's libraries and settings before it was narrowed, which a
    # renewal gives back (the same keys as an update_share payload).
    suspended_share = models.JSONField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)

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
            models.Index(fields=["trial_settled_at", "trial_ends_at"], name="member_trial_idx"),
            models.Index(fields=["last_seen"], name="member_last_seen_idx"),
        ]
        # Assigned to members' Django users (the owner and other staff have them all).
        permissions = [
            ("manage_users", "Manage Users"),
            ("manage_invites", "Manage Invites"),
            ("advanced_invites", "Advanced Invites"),
            ("create_invites", "Create Invites"),
            ("view_invites", "View Invites"),
        ]

    def __str__(self) -> str:
        return self.username or self.email or self.person_key

    @property
    def in_trial(self) -> bool:
        return self.trial_ends_at is not None and self.trial_settled_at is None


class TrialExtensionRequest(models.Model):
    """A trial member asking for more time; one open request per member at a time."""

    class State(models.TextChoices):
        OPEN = "open"
        APPROVED = "approved"
        DENIED = "denied"
        CLOSED = "closed"  # the trial ended or was settled before anyone decided

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="extension_requests")
    message = models.CharField(max_length=1000, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by_label = models.CharField(max_length=150, blank=True)
    days = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["member"], condition=Q(state="open"), name="extension_one_open_per_member"),
        ]

    def __str__(self) -> str:
        return f"extension for member {self.member_id} ({self.state})"


class ServerActivity(models.Model):
    """Where a server's last-seen data comes from, and when it last came in whole.

    One row per server. The inactivity rule trusts last-seen dates only while every source
    configured here answered recently (``members/activity.py``); a failed or suspiciously
    empty read is kept as ``*_error`` and stops it.
    """

    server = models.OneToOneField(MediaServer, on_delete=models.CASCADE, related_name="activity")
    # The Plex Media Server's own play history (/status/sessions/history/all).
    history_checked_at = models.DateTimeField(null=True, blank=True)
    history_latest_at = models.DateTimeField(null=True, blank=True)
    history_error = models.CharField(max_length=500, blank=True)
    history_failed_at = models.DateTimeField(null=True, blank=True)
    # Tautulli, when the owner connected one (its users table has each user's last seen).
    tautulli_url = models.CharField(max_length=500, blank=True)
    tautulli_api_key_encrypted = models.TextField(blank=True)
    tautulli_checked_at = models.DateTimeField(null=True, blank=True)
    tautulli_error = models.CharField(max_length=500, blank=True)
    tautulli_failed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"activity of server {self.server_id}"

    @property
    def tautulli_configured(self) -> bool:
        return bool(self.tautulli_url and self.tautulli_api_key_encrypted)

    @property
    def tautulli_api_key(self) -> str:
        return crypto.decrypt(self.tautulli_api_key_encrypted) if self.tautulli_api_key_encrypted else ""

    @tautulli_api_key.setter
    def tautulli_api_key(self, value: str) -> None:
        self.tautulli_api_key_encrypted = crypto.encrypt(value) if value else ""


class Sighting(models.Model):
    """The newest play of one Plex account on one server, member or not (yet).

    Kept so the play history can be read incrementally: someone who becomes a member (or
    whose Plex account becomes known) later still gets the last seen read before.
    """

    server = models.ForeignKey(MediaServer, on_delete=models.CASCADE, related_name="sightings")
    plex_account_id = models.BigIntegerField()
    seen_at = models.DateTimeField()
    title = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["server", "plex_account_id"], name="sighting_one_per_account"),
        ]

    def __str__(self) -> str:
        return f"account {self.plex_account_id} on server {self.server_id} at {self.seen_at}"
