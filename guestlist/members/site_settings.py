"""The owner's settings page as a service: which settings may change, what values are valid.

It lives with the members rather than in ``core`` (which holds the settings row) because it
checks values against the members' permissions and the Plex libraries, both above ``core``.
"""

from __future__ import annotations

from django.db import transaction

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Invalid
from guestlist.core.models import SiteSettings
from guestlist.core.services import ensure_site_settings
from guestlist.lib.daily import parse_clock
from guestlist.members.permissions import clean_permissions
from guestlist.plex.libraries import normalize_selection
from guestlist.plex.models import Library

BOOLEAN_SETTINGS = frozenset(
    {
        "signup_enabled",
        "email_redemption_enabled",
        "default_allow_sync",
        "default_allow_channels",
        "default_allow_camera_upload",
        "local_accounts_enabled",
        "keep_departed_members_invites",
        "trial_enabled",
        "backup_enabled",
        "inactivity_enabled",
    }
)
# name: (lowest, highest, may be empty)
NUMBER_SETTINGS: dict[str, tuple[int, int, bool]] = {
    "default_usage_limit": (1, 100, True),
    "default_expires_in_days": (1, 36500, True),
    "default_user_expires_in_days": (1, 36500, True),
    "expiry_warning_days": (1, 365, False),
    "default_quota_limit": (0, 1000, True),
    "default_quota_days": (0, 3650, False),
    "trial_days": (1, 365, False),
    "backup_keep": (1, 365, False),
    "inactivity_days": (7, 3650, False),
    "inactivity_grace_days": (1, 365, False),
}
EDITABLE_SETTINGS = (
    BOOLEAN_SETTINGS
    | set(NUMBER_SETTINGS)
    | {"default_libraries", "welcome_markdown", "default_member_permissions", "trial_outcome"}
    | {"backup_time", "backup_dir"}
    | {"access_end", "suspend_library_key"}
)
ACCESS_END_CHOICES = ("remove", "suspend")
TRIAL_OUTCOMES = ("promote", "deactivate")
MAX_WELCOME_LENGTH = 20000


def _refuse(name: str, message: str) -> Invalid:
    return Invalid(message, details=[{"field": name, "message": message}])


def _setting_value(name: str, value: object) -> object:
    if name in BOOLEAN_SETTINGS:
        if not isinstance(value, bool):
            raise _refuse(name, f"{name} must be true or false.")
        return value
    if name == "welcome_markdown":
        if not isinstance(value, str) or len(value) > MAX_WELCOME_LENGTH:
            raise _refuse(name, f"{name} must be text of at most {MAX_WELCOME_LENGTH} characters.")
        return value
    if name == "backup_time":
        if not isinstance(value, str) or parse_clock(value) is None:
            raise _refuse(name, "backup_time must be a time of day as HH:MM, e.g. 03:30.")
        return value.strip()
    if name == "backup_dir":
        if not isinstance(value, str) or len(value) > 500 or (value.strip() and not value.strip().startswith("/")):
            raise _refuse(name, "backup_dir must be an absolute path, e.g. /config/backups, or empty.")
        return value.strip().rstrip("/") if value.strip() != "/" else "/"
    if name == "trial_outcome":
        if value not in TRIAL_OUTCOMES:
            raise _refuse(name, "trial_outcome must be promote or deactivate.")
        return value
    if name == "access_end":
        if value not in ACCESS_END_CHOICES:
            raise _refuse(name, "access_end must be remove or suspend.")
        return value
    if name == "suspend_library_key":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _refuse(name, "suspend_library_key must be a library's section key.")
        if not Library.objects.filter(key=value, is_present=True).exists():
            raise _refuse(name, f"The server has no library with key {value}.")
        return value
    if name == "default_member_permissions":
        if not isinstance(value, list | tuple):
            raise _refuse(name, f"{name} must be a list of permissions.")
        return clean_permissions(value)
    if name == "default_libraries":
        return normalize_selection(value, None)
    low, high, optional = NUMBER_SETTINGS[name]
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _refuse(name, f"{name} must be a whole number from {low} to {high}.")
    return value


def update_site_settings(changes: dict[str, object], *, actor: Actor) -> SiteSettings:
    """Change the owner's settings; the audit log keeps what changed (not the welcome text)."""
    unknown = set(changes) - set(EDITABLE_SETTINGS)
    if unknown:
        raise Invalid(f"These settings cannot be changed: {', '.join(sorted(unknown))}.")
    cleaned = {name: _setting_value(name, value) for name, value in changes.items()}
    with transaction.atomic():
        site = SiteSettings.objects.select_for_update().get(pk=ensure_site_settings().pk)
        ending = cleaned.get("access_end", site.access_end)
        keeping = cleaned.get("suspend_library_key", site.suspend_library_key)
        if ending == "suspend" and keeping is None:
            raise _refuse("suspend_library_key", "Choose the library suspended members keep.")
        changed: dict[str, object] = {}
        for name, value in cleaned.items():
            before = getattr(site, name)
            if before != value:
                changed[name] = "changed" if name == "welcome_markdown" else [before, value]
                setattr(site, name, value)
        if changed:
            site.save(update_fields=[*changed, "updated_at"])
            audit.record(actor, "settings.update", site, label="settings", changes=changed)
    return site
