from __future__ import annotations

from typing import Any

from django.db import models


class DiscordSettings(models.Model):
    """The owner's Discord application and server (one row, pk=1): what Discord-gated invites
    check against (contract.md "Discord-gated invites")."""

    class OnLeave(models.TextChoices):
        WARN = "warn"  # tell the owner (event member.discord_left), change nothing
        REMOVE = "remove"  # end their access the usual way (the removal through the outbox)
        SUSPEND = "suspend"  # narrow their share to the suspension library (members.suspension)

    client_id = models.CharField(max_length=32, blank=True)
    # Both encrypted with lib.crypto; never shown again after saving.
    client_secret = models.TextField(blank=True)
    bot_token = models.TextField(blank=True)
    guild_id = models.CharField(max_length=32, blank=True)
    guild_name = models.CharField(max_length=100, blank=True)
    on_leave = models.CharField(max_length=16, choices=OnLeave.choices, default=OnLeave.WARN)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Discord settings"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> DiscordSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    @property
    def sign_in_ready(self) -> bool:
        """Redeemers can sign in with Discord (the OAuth2 application is set)."""
        return bool(self.client_id and self.client_secret)

    @property
    def ready(self) -> bool:
        """Invites can be gated on the server's membership (sign-in plus the bot and a guild)."""
        return self.sign_in_ready and bool(self.bot_token and self.guild_id)
