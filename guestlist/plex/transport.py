"""HTTP sessions for talking to Plex, optionally redirected to the Plex simulator.

plexapi hard-codes `https://plex.tv/...` URLs, so pointing it elsewhere is done one
layer down: a transport adapter sends plex.tv and clients.plex.tv requests to
`plex_tv_url` instead, and tells the simulator which host was meant through
`X-Forwarded-Host`.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from guestlist.plex.addresses import PLEX_TV_HOSTS, auth_page_base

__all__ = ["PLEX_TV_HOSTS", "PlexTvRedirect", "auth_page_base", "build_session"]


class PlexTvRedirect(HTTPAdapter):
    def __init__(self, plex_tv_url: str) -> None:
        super().__init__()
        self.target = urlsplit(plex_tv_url.rstrip("/"))

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        original_url = request.url or ""
        meant = urlsplit(original_url)
        if meant.hostname not in PLEX_TV_HOSTS:
            return super().send(request, stream, timeout, verify, cert, proxies)
        rewritten = request.copy()
        rewritten.url = urlunsplit(
            (
                self.target.scheme,
                self.target.netloc,
                self.target.path + meant.path,
                meant.query,
                "",
            )
        )
        rewritten.headers["X-Forwarded-Host"] = meant.hostname
        response = super().send(rewritten, stream, timeout, verify, cert, proxies)
        # Error messages and redirects should name the URL the caller asked for.
        response.url = original_url
        return response


def build_session(plex_tv_url: str | None) -> requests.Session:
    """A fresh session; with `plex_tv_url`, plex.tv and clients.plex.tv requests go
    there instead."""
    session = requests.Session()
    if plex_tv_url:
        adapter = PlexTvRedirect(plex_tv_url)
        for host in PLEX_TV_HOSTS:
            # requests picks adapters by longest prefix; the slash keeps "plex.tv.evil"
            # out.
            session.mount(f"https://{host}/", adapter)
        # A proxy from the environment must not swallow requests meant for a local
        # simulator.
        session.trust_env = False
    return session
