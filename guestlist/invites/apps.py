from __future__ import annotations

from django.apps import AppConfig


class InvitesConfig(AppConfig):
    name = "guestlist.invites"
    label = "invites"
