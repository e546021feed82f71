from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "guestlist.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from guestlist.accounts import sessions

        user_logged_in.connect(sessions.on_logged_in, dispatch_uid="guestlist-admin-session-in")
        user_logged_out.connect(sessions.on_logged_out, dispatch_uid="guestlist-admin-session-out")
