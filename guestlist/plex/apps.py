from __future__ import annotations

from django.apps import AppConfig


class PlexConfig(AppConfig):
    name = "guestlist.plex"
    label = "plex"
