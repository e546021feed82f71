"""The Discord connection's form (Settings → Discord)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guestlist.discord.models import DiscordSettings

SECRET_HELP = _("Stored encrypted and never shown again; leave empty to keep the saved one.")


class DiscordSettingsForm(forms.Form):
    client_id = forms.CharField(
        label=_("Application's client id"),
        max_length=32,
        required=False,
        help_text=_("Discord developer portal → your application → OAuth2."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
    )
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=SECRET_HELP,
    )
    bot_token = forms.CharField(
        label=_("Bot token"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "The application's bot, added to your Discord server: it reads the server's roles and whether "
            "members are still in it. Stored encrypted and never shown again; leave empty to keep the saved one."
        ),
    )
    guild_id = forms.CharField(
        label=_("Your Discord server's id"),
        max_length=32,
        required=False,
        help_text=_("With Discord's developer mode on: right-click the server → Copy Server ID."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
    )
    on_leave = forms.ChoiceField(
        label=_("When a member leaves the Discord server or loses the role"),
        choices=[
            (DiscordSettings.OnLeave.WARN, _("Tell me (notification), keep their access")),
            (DiscordSettings.OnLeave.REMOVE, _("Tell me and end their access")),
            (DiscordSettings.OnLeave.SUSPEND, _("Tell me and suspend their access")),
        ],
    )
    clear_secrets = forms.BooleanField(
        label=_("Forget the saved client secret and bot token (disconnect Discord)"), required=False
    )

    @classmethod
    def initial_from(cls, row: DiscordSettings) -> dict[str, Any]:
        return {"client_id": row.client_id, "guild_id": row.guild_id, "on_leave": row.on_leave}

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields}
