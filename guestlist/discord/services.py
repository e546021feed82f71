"""The owner's Discord connection as a service: what may change, what may be shown.

The client secret and the bot token are encrypted with ``lib.crypto`` and never leave this
module again except to Discord: ``describe`` says only whether each is set.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Invalid
from guestlist.discord import client
from guestlist.discord.models import DiscordSettings
from guestlist.lib import crypto

SNOWFLAKE = re.compile(r"^[0-9]{15,22}$")
SECRETS = ("client_secret", "bot_token")
FIELDS = ("client_id", "client_secret", "bot_token", "guild_id", "on_leave")


def describe(row: DiscordSettings | None = None) -> dict[str, Any]:
    """The settings as the API and the settings page show them: never a secret."""
    row = row or DiscordSettings.load()
    return {
        "client_id": row.client_id,
        "client_secret_set": bool(row.client_secret),
        "bot_token_set": bool(row.bot_token),
        "guild_id": row.guild_id,
        "on_leave": row.on_leave,
        "sign_in_ready": row.sign_in_ready,
        "ready": row.ready,
        "redirect_uri": client.redirect_uri(),
    }


def _snowflake(name: str, value: object) -> str:
    text = str(value or "").strip()
    if text and not SNOWFLAKE.match(text):
        raise Invalid(
            "Discord ids are long numbers (copy them with Discord's developer mode).",
            details=[{"field": name, "message": "snowflake"}],
        )
    return text


def update_settings(changes: dict[str, Any], *, actor: Actor) -> DiscordSettings:
    """Save the Discord connection; a blank secret keeps the stored one, ``clear_secrets``
    forgets both (disconnecting Discord)."""
    unknown = set(changes) - {*FIELDS, "clear_secrets"}
    if unknown:
        raise Invalid(f"These settings cannot be changed: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        row = DiscordSettings.objects.select_for_update().get(pk=DiscordSettings.load().pk)
        changed: dict[str, object] = {}
        if changes.get("clear_secrets"):
            for name in SECRETS:
                if getattr(row, name):
                    setattr(row, name, "")
                    changed[name] = "cleared"
        for name in FIELDS:
            if name not in changes:
                continue
            value = changes[name]
            if name in SECRETS:
                text = str(value or "").strip()
                if text:
                    setattr(row, name, crypto.encrypt(text))
                    changed[name] = "changed"  # the audit never holds a secret either
                continue
            if name in ("client_id", "guild_id"):
                value = _snowflake(name, value)
            if name == "on_leave" and value not in DiscordSettings.OnLeave.values:
                raise Invalid(
                    "When someone leaves the Discord server, Guestlist can warn you, remove or suspend them.",
                    details=[{"field": name, "message": "choice"}],
                )
            before = getattr(row, name)
            if before != value:
                changed[name] = [before, value]
                setattr(row, name, value)
        if changed:
            row.save()
            audit.record(actor, "settings.discord", row, label="Discord settings", changes=changed)
    return row
