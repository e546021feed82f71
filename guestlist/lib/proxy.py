"""WSGI wrapper for reverse proxies: trusted forwarded headers and the URL sub-path."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PEER_KEY = "guestlist.peer_addr"


def is_trusted(address: str, networks: list[Network]) -> bool:
    return _is_trusted(address, networks)


def _is_trusted(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(remote_addr: str, forwarded_for: str, networks: list[Network]) -> str:
    """The first address, walking X-Forwarded-For from the right, that is not a trusted proxy.

    Walking from the right matters: the left end of the header is whatever the client wrote.
    """
    if not networks or not _is_trusted(remote_addr, networks):
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote_addr
    return hops[0] if hops else remote_addr


class ProxyMiddleware:
    def __init__(self, app: WSGIApp, *, trusted: list[Network], url_base: str) -> None:
        self.app = app
        self.trusted = trusted
        self.url_base = url_base

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        remote = environ.get("REMOTE_ADDR", "")
        # The direct peer, before REMOTE_ADDR becomes the client: forward-auth trusts a
        # header only when this peer is a trusted proxy.
        environ[PEER_KEY] = remote
        if self.trusted and _is_trusted(remote, self.trusted):
            environ["REMOTE_ADDR"] = client_address(remote, environ.get("HTTP_X_FORWARDED_FOR", ""), self.trusted)
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        if self.url_base:
            # Proxies differ: some strip the sub-path before forwarding, some do not.
            path = environ.get("PATH_INFO", "")
            if path == self.url_base or path.startswith(self.url_base + "/"):
                environ["PATH_INFO"] = path[len(self.url_base) :] or "/"
        return self.app(environ, start_response)
