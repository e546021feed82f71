"""Where Plex lives, or where the simulator stands in for it (no HTTP client needed here)."""

from __future__ import annotations

PLEX_TV_HOSTS = ("plex.tv", "clients.plex.tv")
PLEX_AUTH_PAGE = "https://app.plex.tv/auth"


def auth_page_base(plex_tv_url: str | None) -> str:
    if plex_tv_url:
        return f"{plex_tv_url.rstrip('/')}/auth"
    return PLEX_AUTH_PAGE
