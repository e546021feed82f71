from __future__ import annotations

from django.apps import AppConfig


class PlexWorkConfig(AppConfig):
    name = "guestlist.plexwork"
    label = "plexwork"
