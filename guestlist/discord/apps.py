from __future__ import annotations

from django.apps import AppConfig


class DiscordConfig(AppConfig):
    name = "guestlist.discord"
    label = "discord"
