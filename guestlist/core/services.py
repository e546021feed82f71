from __future__ import annotations

import uuid

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
