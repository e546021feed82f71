from __future__ import annotations

from django.apps import AppConfig


class InviteRequestsConfig(AppConfig):
    name = "guestlist.invite_requests"
    label = "invite_requests"
