"""HTTP sessions for talking to Plex, optionally redirected to the Plex simulator.

plexapi hard-codes `https://plex.tv/...` URLs, so pointing it elsewhere is done one
layer down: a transport adapter sends plex.tv and clients.plex.tv requests to
`plex_tv_url` instead, and tells the simulator which host was meant through
`X-Forwarded-Host`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from guestlist.lib import metrics
from guestlist.plex.addresses import PLEX_TV_HOSTS, auth_page_base

__all__ = ["PLEX_TV_HOSTS", "MeasuredAdapter", "PlexTvRedirect", "auth_page_base", "build_session"]

# Ids in paths (numbers, machine identifiers, PIN codes) become {id}, so a route is a
# small, fixed set of label values.
_ID_SEGMENT = re.compile(r"/(?:\d+|[0-9a-fA-F-]{16,}|[A-Za-z0-9]{24,})(?=/|$)")
# What follows /servers/ is always a machine identifier, whatever it looks like.
_SERVER_SEGMENT = re.compile(r"(?<=/servers/)[^/]+")


def route_of(path: str) -> str:
    return _ID_SEGMENT.sub("/{id}", _SERVER_SEGMENT.sub("{id}", path)) or "/"


class MeasuredAdapter(HTTPAdapter):
    """Counts each request to Plex and times it (``GUESTLIST_METRICS=on`` only)."""

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        meant = request.headers.get("X-Forwarded-Host") or url.hostname
        target = "plex.tv" if meant in PLEX_TV_HOSTS else "server"
        route = f"{request.method} {route_of(url.path)}"
        started = time.monotonic()
        try:
            response = super().send(request, stream, timeout, verify, cert, proxies)
        except requests.Timeout:
            metrics.observe_plex(target, route, "timeout", time.monotonic() - started)
            raise
        except requests.RequestException:
            metrics.observe_plex(target, route, "unreachable", time.monotonic() - started)
            raise
        outcome = "ok" if response.status_code < 400 else f"{response.status_code // 100}xx"
        metrics.observe_plex(target, route, outcome, time.monotonic() - started)
        return response


class PlexTvRedirect(MeasuredAdapter):
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
    if metrics.enabled():
        for prefix in ("http://", "https://"):
            session.mount(prefix, MeasuredAdapter())
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
