from __future__ import annotations

import uuid

from django.contrib.auth.models import User

from guestlist.core.models import SiteSettings


def ensure_site_settings() -> SiteSettings:
    site = SiteSettings.current()
    if not site.plex_client_identifier:
        site = SiteSettings.load()
        # One stable identifier per install: Plex ties PINs and rate limits to it, and it is
        # what owners see in their list of authorised devices.
        site.plex_client_identifier = f"guestlist-{uuid.uuid4()}"
        site.save(update_fields=["plex_client_identifier"])
    return site


def owner_exists() -> bool:
    """Whether the install has its owner (the first admin): until then every page leads to /setup."""
    return User.objects.filter(is_superuser=True, is_active=True).exists()
