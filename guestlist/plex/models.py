from __future__ import annotations

from typing import ClassVar

from django.db import models

from guestlist.lib import crypto


class MediaServer(models.Model):
    """A Plex Media Server that Guestlist shares. Most installs have exactly one."""

    name = models.CharField(max_length=200)
    base_url = models.CharField(max_length=500)
    admin_token_encrypted = models.TextField()
    machine_identifier = models.CharField(max_length=100, unique=True)
    version = models.CharField(max_length=100, blank=True)
    owner_plex_id = models.BigIntegerField(null=True, blank=True)
    owner_username = models.CharField(max_length=200, blank=True)
    owner_email = models.CharField(max_length=254, blank=True)
    # The owner's Plex Pass as plex.tv last said (at connecting, then at every health check);
    # None until read. Since 2025 it decides whether friends may stream away from the
    # owner's home without paying for Plex's Remote Watch Pass (invite and welcome pages).
    owner_plex_pass = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_health_check_at = models.DateTimeField(null=True, blank=True)
    token_ok = models.BooleanField(null=True, blank=True)
    server_ok = models.BooleanField(null=True, blank=True)
    last_health_error = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def admin_token(self) -> str:
        return crypto.decrypt(self.admin_token_encrypted)

    @admin_token.setter
    def admin_token(self, value: str) -> None:
        self.admin_token_encrypted = crypto.encrypt(value)


class Library(models.Model):
    """A library section: its PMS key (local) and its plex.tv id (global, used in shares)."""

    server = models.ForeignKey(MediaServer, on_delete=models.CASCADE, related_name="libraries")
    key = models.PositiveIntegerField()
    global_id = models.BigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200)
    type = models.CharField(max_length=32, blank=True)
    is_default = models.BooleanField(default=True)
    is_present = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["server_id", "key"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["server", "key"], name="library_server_key_uniq")
        ]

    def __str__(self) -> str:
        return self.title


class PlexPin(models.Model):
    """A Plex sign-in in progress, known to the browser only by ``public_id``."""

    class Purpose(models.TextChoices):
        REDEEM = "redeem"
        SETUP = "setup"
        MEMBER_LOGIN = "member_login"

    class State(models.TextChoices):
        WAITING = "waiting"
        SIGNED_IN = "signed_in"
        USED = "used"
        EXPIRED = "expired"

    public_id = models.CharField(max_length=64, unique=True)
    plex_pin_id = models.BigIntegerField()
    code = models.CharField(max_length=200)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    invite = models.ForeignKey("invites.Invite", null=True, blank=True, on_delete=models.CASCADE, related_name="pins")
    state = models.CharField(max_length=16, choices=State.choices, default=State.WAITING)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    # Only for the setup and member sign-in paths, which need the token after the poll
    # that saw it; a redeemer's token moves straight to their Redemption.
    token_encrypted = models.TextField(blank=True)
    redemption = models.ForeignKey(
        "invites.Redemption", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"pin {self.public_id[:6]}… ({self.purpose}, {self.state})"
