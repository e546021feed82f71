from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "guestlist.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.models import User
        from django.contrib.auth.signals import user_logged_in, user_logged_out
        from django.db.models.signals import post_save

        from guestlist.accounts import sessions

        post_save.connect(_revoke_keys_of_former_admins, sender=User, dispatch_uid="accounts.revoke_keys")
        user_logged_in.connect(sessions.on_logged_in, dispatch_uid="guestlist-admin-session-in")
        user_logged_out.connect(sessions.on_logged_out, dispatch_uid="guestlist-admin-session-out")


def _revoke_keys_of_former_admins(sender: type[Any], instance: Any, created: bool, **kwargs: Any) -> None:
    """However an admin stops being one (demoted, deactivated), their API keys stop with them.

    A signal rather than a call in one service: accounts change from the CLI, the Django
    shell and other apps' services alike, and a forgotten call would leave keys working.
    """
    if created or (instance.is_staff and instance.is_active):
        return
    from guestlist.accounts.services import revoke_keys_of
    from guestlist.core.audit import Actor

    revoke_keys_of(instance, actor=Actor.system("accounts"), reason="no longer an admin")
