"""Guestlist's side of Plex: building gateways for stored servers, connecting new servers.

Everything here calls Plex only through ``guestlist.plex.gateway``.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Gone, Invalid, PlexRefused, PlexUnavailableError
from guestlist.core.services import ensure_site_settings
from guestlist.plex.errors import PinExpired, PlexError, PlexPassRequired, PlexTokenRejected
from guestlist.plex.libraries import forget_cached_libraries
from guestlist.plex.models import Library, MediaServer, PlexPin
from guestlist.plex.records import LibraryInfo, PlexAccount

if TYPE_CHECKING:
    from guestlist.plex.gateway import PlexGateway
    from guestlist.plex.invitee import PlexInviteeGateway

# However long plex.tv would keep a PIN, a sign-in left alone this long is over.
PIN_LIFETIME = timedelta(minutes=15)
DEFAULT_TIMEOUT = 5.0  # seconds; settings.PLEX_TIMEOUT (GUESTLIST_PLEX_TIMEOUT) overrides it


def timeout() -> float:
    return float(getattr(settings, "PLEX_TIMEOUT", DEFAULT_TIMEOUT))


def client_identifier() -> str:
    return ensure_site_settings().plex_client_identifier


def gateway(
    token: str,
    *,
    server_url: str | None = None,
    machine_identifier: str | None = None,
    sections: list[LibraryInfo] | None = None,
) -> PlexGateway:
    # Imported on first use: plexapi and requests would add half a second and several
    # megabytes to every process that merely might talk to Plex one day.
    from guestlist.plex.gateway import PlexGateway

    return PlexGateway(
        token,
        client_identifier=client_identifier(),
        server_url=server_url,
        machine_identifier=machine_identifier,
        plex_tv_url=settings.PLEX_TV_URL,
        timeout=timeout(),
        sections=sections,
    )


def gateway_for(server: MediaServer) -> PlexGateway:
    """The owner's gateway for a stored server, with the libraries' plex.tv ids it keeps.

    Handing over the stored ids (refreshed with every library read) saves asking plex.tv
    for the server's section list before each share in a fresh process.
    """
    sections = [
        LibraryInfo(key=key, global_id=global_id, title=title, type=kind)
        for key, global_id, title, kind in Library.objects.filter(server=server, is_present=True).values_list(
            "key", "global_id", "title", "type"
        )
        if global_id is not None
    ]
    return gateway(
        server.admin_token,
        server_url=server.base_url,
        machine_identifier=server.machine_identifier,
        sections=sections,
    )


def sign_in() -> PlexInviteeGateway:
    """PIN sign-in and accept calls, made with Guestlist's own client identifier."""
    # Imported on first use, as in ``gateway``: it loads plexapi and requests.
    from guestlist.plex.invitee import PlexInviteeGateway

    return PlexInviteeGateway(
        client_identifier=client_identifier(), plex_tv_url=settings.PLEX_TV_URL, timeout=timeout()
    )


def is_transient(exc: PlexError) -> bool:
    """Worth retrying later: outages, rate limits, and an owner token that may be fixed."""
    return exc.transient


def as_service_error(exc: PlexError) -> PlexRefused | PlexUnavailableError:
    """The API's answer for a Plex failure that reached the user."""
    words = str(exc)  # our sentence plus Plex's own words, never a token
    if is_transient(exc):
        retry_after = getattr(exc, "retry_after", None) or 30
        return PlexUnavailableError(words, retry_after=int(retry_after))
    if isinstance(exc, PlexPassRequired):
        return PlexRefused(words, code="plex_pass_required")
    return PlexRefused(words)


def normalize_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise Invalid("The server URL must start with http:// or https:// (e.g. http://192.168.1.10:32400).")
    return url


@dataclass(frozen=True)
class ConnectOutcome:
    server: MediaServer
    created: bool


def connect_server(url: str, token: str, *, name: str | None = None, actor: Actor) -> ConnectOutcome:
    """Check the token against plex.tv and the server, then store both with the libraries."""
    url, token = normalize_url(url), token.strip()
    if not token:
        raise Invalid("A Plex token is needed.")
    probe = gateway(token, server_url=url)
    owner = probe.owner_account()
    info = probe.server_info()
    probe = gateway(token, server_url=url, machine_identifier=info.machine_identifier)
    found = probe.libraries()
    with transaction.atomic():
        server = MediaServer.objects.filter(machine_identifier=info.machine_identifier).first()
        created = server is None
        if server is None:
            server = MediaServer(machine_identifier=info.machine_identifier)
        server.name = (name or "").strip() or info.name
        server.base_url = url
        server.admin_token = token
        server.version = info.version
        server.owner_plex_id = owner.id
        server.owner_username = owner.username
        server.owner_email = owner.email
        server.owner_plex_pass = owner.has_plex_pass
        server.last_health_check_at = timezone.now()
        server.token_ok = server.server_ok = True
        server.last_health_error = ""
        server.save()
        store_libraries(server, found)
        audit.record(actor, "server.connect" if created else "server.update", server, url=url, libraries=len(found))
    return ConnectOutcome(server, created)


def store_libraries(server: MediaServer, found: list[LibraryInfo]) -> None:
    """Upsert libraries; ones that vanished stay (history) but are marked absent."""
    existing = {library.key: library for library in Library.objects.filter(server=server)}
    seen = set()
    for info in found:
        seen.add(info.key)
        library = existing.get(info.key)
        if library is None:
            # New libraries join the default set, as the contract promises for a new server.
            Library.objects.create(
                server=server, key=info.key, global_id=info.global_id, title=info.title, type=info.type
            )
        else:
            library.global_id, library.title, library.type, library.is_present = (
                info.global_id,
                info.title,
                info.type,
                True,
            )
            library.save(update_fields=["global_id", "title", "type", "is_present"])
    Library.objects.filter(server=server).exclude(key__in=seen).update(is_present=False)

    forget_cached_libraries()


def refresh_libraries(server: MediaServer, *, actor: Actor) -> int:
    found = gateway_for(server).libraries()
    with transaction.atomic():
        store_libraries(server, found)
        audit.record(actor, "server.libraries_refresh", server, libraries=len(found))
    return len(found)


@dataclass(frozen=True)
class Health:
    token_ok: bool | None
    server_ok: bool | None
    error: str


def check_health(server: MediaServer) -> Health:
    """Check both the admin token (plex.tv) and the server itself: either can fail alone."""
    probe = gateway_for(server)
    errors: list[str] = []
    token_ok: bool | None = None
    server_ok: bool | None = None
    plex_pass = server.owner_plex_pass
    try:
        # The same read keeps the owner's Plex Pass up to date for the public pages.
        plex_pass = probe.owner_account().has_plex_pass
        token_ok = True
    except PlexTokenRejected as exc:
        token_ok = False
        errors.append(exc.message)
    except PlexError as exc:
        errors.append(exc.message)
    try:
        probe.server_info()
        server_ok = True
    except PlexError as exc:
        server_ok = False
        errors.append(exc.message)
    MediaServer.objects.filter(pk=server.pk).update(
        token_ok=token_ok,
        server_ok=server_ok,
        last_health_error=" ".join(errors),
        last_health_check_at=timezone.now(),
        owner_plex_pass=plex_pass,
    )
    return Health(token_ok, server_ok, " ".join(errors))


@dataclass(frozen=True)
class StartedPin:
    pin: PlexPin
    auth_url: str


def start_pin(purpose: str, *, forward_url: str | None = None, invite_id: int | None = None) -> StartedPin:
    """Create a Plex PIN under Guestlist's client identifier, remember it, and build the URL of
    Plex's sign-in page. Browsers only ever see the PIN's opaque ``public_id``, which replaces
    ``{pin}`` in ``forward_url``. A redeemer's PIN names its invite by id: the Plex link
    imports no app above it."""
    client = sign_in()
    try:
        plex_pin = client.create_pin()
    except PlexError as exc:
        raise as_service_error(exc) from exc
    pin = PlexPin.objects.create(
        public_id=secrets.token_urlsafe(24),
        plex_pin_id=plex_pin.id,
        code=plex_pin.code,
        purpose=purpose,
        invite_id=invite_id,
        expires_at=min(plex_pin.expires_at, timezone.now() + PIN_LIFETIME),
    )
    forward = forward_url.replace("{pin}", pin.public_id) if forward_url else None
    return StartedPin(pin, client.auth_url(plex_pin.code, forward_url=forward))


PIN_POLL_MIN_SECONDS = 2.0


def poll_pin(pin: PlexPin, now: datetime) -> str | None:
    """One look at a PIN: the token of whoever signed in, or None while Plex still waits.

    plex.tv rate-limits PIN polling (code 1003 at about two polls a second), so however often
    a page asks, each PIN is put to Plex at most once per interval; the conditional UPDATE
    also keeps two simultaneous polls of one PIN from both going on to use it.
    """
    interval = timedelta(seconds=float(getattr(settings, "PIN_POLL_MIN_SECONDS", PIN_POLL_MIN_SECONDS)))
    slot = Q(last_polled_at__isnull=True) | Q(last_polled_at__lte=now - interval)
    if not PlexPin.objects.filter(pk=pin.pk).filter(slot).update(last_polled_at=now):
        return None
    try:
        checked = sign_in().check_pin(pin.plex_pin_id)
    except PinExpired as exc:
        PlexPin.objects.filter(pk=pin.pk).update(state=PlexPin.State.EXPIRED)
        raise Gone("The Plex sign-in expired; start again.", code="pin_expired") from exc
    except PlexError as exc:
        raise as_service_error(exc) from exc
    return checked.auth_token or None


def account_for_token(token: str) -> PlexAccount:
    """Who a Plex user token belongs to, read from plex.tv with that token."""
    try:
        return sign_in().account_for_token(token)
    except PlexError as exc:
        raise as_service_error(exc) from exc


def set_default_libraries(server: MediaServer, keys: list[int], *, actor: Actor) -> list[int]:
    """Choose the server's default set: what invites with ``libraries="default"`` share."""
    present = set(Library.objects.filter(server=server, is_present=True).values_list("key", flat=True))
    wanted = sorted(set(keys))
    unknown = [key for key in wanted if key not in present]
    if unknown:
        raise Invalid(f"The server has no library with key {', '.join(map(str, unknown))}.")
    if not wanted:
        raise Invalid("Choose at least one default library.")
    with transaction.atomic():
        Library.objects.filter(server=server).update(is_default=False)
        Library.objects.filter(server=server, key__in=wanted).update(is_default=True)
        audit.record(actor, "server.default_libraries", server, keys=wanted)

    forget_cached_libraries()
    return wanted


def clock_skew(server: MediaServer) -> float | None:
    """Seconds the Plex server's clock is ahead of ours (negative: behind); None when its
    answer carries no Date. Plex PINs and expiry dates go wrong when clocks disagree."""
    before = time.time()
    clock = gateway_for(server).server_clock()
    after = time.time()
    if clock is None:
        return None
    # The Date header has whole seconds: compare with the middle of the round trip.
    return clock.timestamp() - (before + after) / 2
