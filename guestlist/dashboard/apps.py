from __future__ import annotations

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "guestlist.dashboard"
    label = "dashboard"
