from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import ExpressionWrapper, F, Q
from django.db.models.functions import Lower

from guestlist.plex.models import MediaServer

DISCORD_GATES = [("", "none"), ("sign_in", "Discord account"), ("member", "member of the Discord server")]


class StepSet(models.Model):
    """Onboarding steps a friend walks through (before joining and after); invites pick one.

    Exactly one set is the default (invites and templates without a set use it); it cannot
    be deleted, only reset to Guestlist's shipped steps."""

    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-is_default", "name"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="stepset_one_default"),
        ]

    def __str__(self) -> str:
        return self.name


class Step(models.Model):
    class Group(models.TextChoices):
        BEFORE = "before"  # on the invite page, before signing in
        AFTER = "after"  # once the share is made: the welcome page, /me/start, the signed link

    step_set = models.ForeignKey(StepSet, on_delete=models.CASCADE, related_name="steps")
    group = models.CharField(max_length=8, choices=Group.choices)
    position = models.PositiveSmallIntegerField(default=0)
    # One of Guestlist's shipped steps (invites.onboarding.SHIPPED) while the owner has not
    # edited it: its words are then shown in each friend's own language.
    shipped = models.CharField(max_length=32, blank=True)
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    requires_acceptance = models.BooleanField(default=False)
    acceptance_label = models.CharField(max_length=200, blank=True)
    # [{"kind": "plex_web" | "plex_ios" | "plex_android" | "plex_tv" | "link", "label": str, "url": str}]
    buttons = models.JSONField(default=list, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["step_set", "group", "position", "id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["step_set", "group", "position"], name="step_set_order_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.shipped


class Invite(models.Model):
    code = models.CharField(max_length=32, unique=True)
    server = models.ForeignKey(MediaServer, on_delete=models.PROTECT, related_name="invites")
    description = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="invites"
    )
    # The creator's name as it was, so the list still says who made an invite after that
    # account is gone (and so the "created by" filter needs no join).
    created_by_label = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    usage_limit = models.PositiveSmallIntegerField(null=True, blank=True)
    used_count = models.PositiveIntegerField(default=0)
    user_expires_in_days = models.PositiveIntegerField(null=True, blank=True)
    allow_sync = models.BooleanField(default=False)
    allow_camera_upload = models.BooleanField(default=False)
    allow_channels = models.BooleanField(default=False)
    plex_home = models.BooleanField(default=False)
    # "all", "default", or comma-separated PMS section keys ("1,2,3"); contract.md, "Invites (admin)".
    libraries = models.CharField(max_length=512, default="default")
    # Films / TV / music limits of the shares it makes (contract.md "Content limits"); null or {} = none.
    # Nullable without a default so SQLite adds the column in place (a rebuilt table would lose
    # the search triggers of invites/search_index.py).
    content_limits = models.JSONField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    # The trial of people redeeming it: null follows the owner's setting, 0 means none,
    # N a trial of N days.
    trial_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # Null: the default step set. Deleting a set moves its invites back to the default.
    step_set = models.ForeignKey(StepSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="invites")
    # Discord-gated invites (contract.md "Discord-gated invites"): "" none, "sign_in" a Discord
    # account, "member" a member of the owner's Discord server; with role ids, one of them too.
    discord_gate = models.CharField(max_length=8, choices=DISCORD_GATES, blank=True, default="")
    discord_role_ids = models.JSONField(default=list, blank=True)
    # Kept by the database itself, so the "used up" filter and count can use an index.
    is_used_up = models.GeneratedField(
        expression=ExpressionWrapper(
            Q(usage_limit__isnull=False, used_count__gte=F("usage_limit")), output_field=models.BooleanField()
        ),
        output_field=models.BooleanField(),
        db_persist=True,
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["-created_at", "-id"], name="invite_newest_idx"),
            # Serves the "active" tab's page straight from the index in list order (the expiry check
            # rides along), instead of sorting every active invite to show fifty.
            models.Index(
                "is_active",
                "is_used_up",
                F("created_at").desc(),
                F("id").desc(),
                "expires_at",
                name="invite_state_newest_idx",
            ),
            models.Index(fields=["expires_at"], name="invite_expiry_idx"),
            models.Index(fields=["used_count"], name="invite_used_idx"),
            models.Index(fields=["is_used_up"], name="invite_used_up_idx"),
            models.Index(fields=["created_by_label", "-created_at"], name="invite_creator_idx"),
            models.Index(
                Lower("created_by_label"), F("created_at").desc(), F("id").desc(), name="invite_creator_ci_idx"
            ),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(usage_limit__gte=1), name="invite_usage_limit_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def more_servers(self) -> list[InviteServer]:
        """The servers beyond the first: as a list page read them for all its rows at once
        (``services.with_more_servers``), else from the database."""
        kept: list[InviteServer] | None = getattr(self, "_more_servers", None)
        return kept if kept is not None else list(self.extra_servers.all())

    def keep_more_servers(self, rows: list[InviteServer]) -> None:
        self._more_servers = rows


class Redemption(models.Model):
    """One use of an invite. ``used_count`` equals the invite's pending + done redemptions."""

    class Method(models.TextChoices):
        EMAIL = "email"
        OAUTH = "oauth"
        LOCAL = "local"
        # Brought over by ``guestlist import`` from another tool (or a Guestlist export).
        IMPORT = "import"

    class State(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"

    invite = models.ForeignKey(Invite, null=True, blank=True, on_delete=models.SET_NULL, related_name="redemptions")
    invite_code = models.CharField(max_length=32)
    # Empty only for a failed first attempt whose member was never granted anything.
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="redemptions"
    )
    username = models.CharField(max_length=200, blank=True)
    method = models.CharField(max_length=8, choices=Method.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    person_key = models.CharField(max_length=300)
    email = models.CharField(max_length=254, blank=True)
    plex_id = models.BigIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The redeemer's own Plex token, encrypted, kept only until their accept is confirmed.
    user_token_encrypted = models.TextField(blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Steps the redeemer ticked ("I accept the rules"), as shown to them at the time:
    # [{"id": step id, "title": str, "at": ISO-8601}]
    accepted_steps = models.JSONField(default=list, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # A double click or two tabs cannot spend two uses for one person.
            models.UniqueConstraint(
                fields=["invite", "person_key"],
                condition=Q(state__in=["pending", "done"]),
                name="redemption_one_live_use_per_person",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["invite", "state"], name="redemption_invite_state_idx"),
            models.Index(fields=["created_at"], name="redemption_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.invite_code} by {self.person_key} ({self.state})"


class InviteServer(models.Model):
    """A further server an invite shares, with its own libraries (issue 20 §3).

    The invite's first server stays ``Invite.server`` + ``Invite.libraries``, so invites of
    one server (nearly all of them) need no row here and older API clients read the same
    fields. One redemption claims one use and shares every server of the invite.
    """

    invite = models.ForeignKey(Invite, on_delete=models.CASCADE, related_name="extra_servers")
    server = models.ForeignKey(MediaServer, on_delete=models.PROTECT, related_name="+")
    # As ``Invite.libraries``: "all", "default", or comma-separated section keys of this server.
    libraries = models.CharField(max_length=512, default="default")

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["invite", "server"], name="invite_server_once"),
        ]

    def __str__(self) -> str:
        return f"{self.invite_id} on server {self.server_id}"


class InviteTemplate(models.Model):
    """A named preset of invite settings, pickable in the create form."""

    name = models.CharField(max_length=100, unique=True)
    usage_limit = models.PositiveSmallIntegerField(null=True, blank=True, default=1)
    expires_in_days = models.PositiveIntegerField(null=True, blank=True)
    user_expires_in_days = models.PositiveIntegerField(null=True, blank=True)
    allow_sync = models.BooleanField(default=False)
    allow_camera_upload = models.BooleanField(default=False)
    allow_channels = models.BooleanField(default=False)
    plex_home = models.BooleanField(default=False)
    libraries = models.CharField(max_length=512, default="default")
    # Several servers (issue 20): [{"server_id": N, "libraries": stored selection}, ...], the
    # first first; null or empty: the template names no server and ``libraries`` applies.
    servers = models.JSONField(null=True, blank=True)
    content_limits = models.JSONField(null=True, blank=True)
    description = models.CharField(max_length=500, blank=True)
    step_set = models.ForeignKey(StepSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="templates")
    # Discord-gated invites (contract.md "Discord-gated invites"): "" none, "sign_in" a Discord
    # account, "member" a member of the owner's Discord server; with role ids, one of them too.
    discord_gate = models.CharField(max_length=8, choices=DISCORD_GATES, blank=True, default="")
    discord_role_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class InviteCountStamp(models.Model):
    """One row whose ``stamp`` changes whenever a kept count may have changed: an invite's list
    tab, a member's status, a redemption.

    Database triggers (``guestlist.invites.kept_counts``) write a new random value on every
    insert, delete, and update of the columns the counts read, whoever writes (the ORM, a bulk
    UPDATE, another process), so the kept tab counts and statistics know when they are stale."""

    stamp = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.stamp)
