"""Admin endpoints for the owner's Discord connection (contract.md "Discord-gated invites").

The same service as Settings → Discord: the client secret and the bot token can be written
here but are never answered; ``describe`` says only whether each is set.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router
from pydantic import Field, StrictBool

from guestlist.api.auth import admin_auth
from guestlist.api.invites import principal
from guestlist.api.schemas import Answer, StrictSchema
from guestlist.discord import client, services

router = Router(tags=["discord"], auth=admin_auth)


class DiscordSettingsOut(Answer):
    client_id: str
    client_secret_set: bool
    bot_token_set: bool
    guild_id: str
    on_leave: Literal["warn", "remove", "suspend"]
    # Redeemers can sign in with Discord (client id and secret are set).
    sign_in_ready: bool
    # Invites can also require membership of the owner's Discord server (bot token and server id too).
    ready: bool
    # What to register in Discord's developer portal as the OAuth2 redirect.
    redirect_uri: str


class DiscordSettingsIn(StrictSchema):
    client_id: str | None = Field(default=None, max_length=32)
    # Write-only: stored encrypted, never answered; absent, null or empty keeps the saved one.
    client_secret: str | None = Field(default=None, max_length=500)
    bot_token: str | None = Field(default=None, max_length=500)
    guild_id: str | None = Field(default=None, max_length=32)
    on_leave: Literal["warn", "remove", "suspend"] | None = None
    # Forget both secrets (disconnects Discord).
    clear_secrets: StrictBool = False


class RoleOut(Answer):
    id: str
    name: str


class RolesOut(Answer):
    items: list[RoleOut]


@router.get("/settings", response=DiscordSettingsOut, summary="The Discord connection (never a secret)")
def get_settings(request: HttpRequest) -> dict[str, Any]:
    return services.describe()


@router.patch("/settings", response=DiscordSettingsOut, summary="Change the Discord connection")
def update_settings(request: HttpRequest, payload: DiscordSettingsIn) -> dict[str, Any]:
    changes = payload.sent_values()
    return services.describe(services.update_settings(changes, actor=principal(request).actor))


@router.get("/roles", response=RolesOut, summary="The Discord server's roles, read now with the bot")
def roles(request: HttpRequest) -> dict[str, Any]:
    # Reading them proves the bot token, the server id and the bot's place in the server.
    return {"items": [{"id": role.id, "name": role.name} for role in client.guild_roles()]}
