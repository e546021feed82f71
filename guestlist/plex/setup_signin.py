"""Signing the owner in with Plex during setup, so they pick their server instead of typing a
URL and a token.

The PIN is created and polled by Guestlist; the browser only ever holds Guestlist's opaque
``public_id`` (and the dashboard keeps even that in the admin's session). The token Plex
hands over is kept encrypted on the ``PlexPin`` only until a server is connected or the
sign-in expires, then wiped: from then on the server's own encrypted admin token is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.core.errors import Gone, NotFound, PlexUnavailableError
from guestlist.lib import crypto
from guestlist.plex import services
from guestlist.plex.errors import PinExpired, PlexError, PlexTokenRejected
from guestlist.plex.models import PlexPin
from guestlist.plex.records import PlexAccount, PlexResource

SETUP = PlexPin.Purpose.SETUP


@dataclass(frozen=True)
class StartedSetupSignIn:
    pin: PlexPin
    auth_url: str


@dataclass(frozen=True)
class SetupPoll:
    waiting: bool
    account: PlexAccount | None = None
    servers: list[PlexResource] = field(default_factory=list)


def forget_stale(now: datetime | None = None) -> int:
    """Wipe the tokens of setup sign-ins that ran out; nobody can use them any more."""
    now = now or timezone.now()
    return (
        PlexPin.objects.filter(purpose=SETUP, expires_at__lte=now)
        .exclude(state__in=(PlexPin.State.USED, PlexPin.State.EXPIRED), token_encrypted="")
        .update(token_encrypted="", state=PlexPin.State.EXPIRED)
    )


def start(*, forward_url: str | None = None) -> StartedSetupSignIn:
    """Create a Plex PIN for the owner and the URL of Plex's sign-in page."""
    forget_stale()
    started = services.start_pin(SETUP, forward_url=forward_url)
    return StartedSetupSignIn(started.pin, started.auth_url)


def _live_pin(public_id: str, now: datetime) -> PlexPin:
    pin = PlexPin.objects.filter(public_id=public_id, purpose=SETUP).first()
    if pin is None:
        raise NotFound("This Plex sign-in is unknown; start again.")
    if pin.state == PlexPin.State.USED:
        raise Gone("This Plex sign-in was already used; start again.", code="pin_expired")
    if pin.state == PlexPin.State.EXPIRED or pin.expires_at <= now:
        _wipe(pin, PlexPin.State.EXPIRED)
        raise Gone("The Plex sign-in took too long and expired; start again.", code="pin_expired")
    return pin


def _wipe(pin: PlexPin, state: str) -> None:
    PlexPin.objects.filter(pk=pin.pk).update(token_encrypted="", state=state)


def _token(pin: PlexPin, now: datetime) -> str | None:
    """The owner's token once Plex says the PIN is signed in (asked at most once per call)."""
    if pin.state == PlexPin.State.SIGNED_IN and pin.token_encrypted:
        return crypto.decrypt(pin.token_encrypted)
    client = services.sign_in()
    try:
        checked = client.check_pin(pin.plex_pin_id)
    except PinExpired as exc:
        _wipe(pin, PlexPin.State.EXPIRED)
        raise Gone("The Plex sign-in expired; start again.", code="pin_expired") from exc
    except PlexError as exc:
        raise services.as_service_error(exc) from exc
    PlexPin.objects.filter(pk=pin.pk).update(last_polled_at=now)
    if not checked.auth_token:
        return None
    PlexPin.objects.filter(pk=pin.pk).update(
        token_encrypted=crypto.encrypt(checked.auth_token), state=PlexPin.State.SIGNED_IN
    )
    return checked.auth_token


def _owned_servers(token: str) -> list[PlexResource]:
    resources = services.gateway(token).resources()
    return [resource for resource in resources if resource.is_server and resource.owned]


def poll(public_id: str, *, now: datetime | None = None) -> SetupPoll:
    """One look at the sign-in; once signed in, who it is and the servers they own."""
    now = now or timezone.now()
    pin = _live_pin(public_id, now)
    token = _token(pin, now)
    if token is None:
        return SetupPoll(waiting=True)
    try:
        account = services.sign_in().account_for_token(token)
        servers = _owned_servers(token)
    except PlexError as exc:
        raise services.as_service_error(exc) from exc
    return SetupPoll(waiting=False, account=account, servers=servers)


def connection_order(resource: PlexResource) -> list[str]:
    """Local addresses first (Guestlist usually runs next to the server), relays last."""
    ranked = sorted(resource.connections, key=lambda c: (c.relay, not c.local))
    return list(dict.fromkeys(c.uri for c in ranked))


def connect(
    public_id: str, machine_identifier: str, *, url: str = "", actor: Actor, now: datetime | None = None
) -> services.ConnectOutcome:
    """Connect the chosen server with the signed-in owner's token, trying its addresses in turn.

    ``url`` overrides the addresses plex.tv knows (a reverse proxy, a LAN name). The token
    is wiped from the sign-in as soon as the server holds it.
    """
    now = now or timezone.now()
    pin = _live_pin(public_id, now)
    token = _token(pin, now)
    if token is None:
        raise Gone("Plex has not confirmed the sign-in yet; finish signing in first.", code="pin_waiting")
    try:
        servers = _owned_servers(token)
    except PlexError as exc:
        raise services.as_service_error(exc) from exc
    resource = next((s for s in servers if s.client_identifier == machine_identifier), None)
    if resource is None:
        raise NotFound("This Plex account owns no such server.")
    candidates = [url.strip()] if url.strip() else connection_order(resource)
    if not candidates:
        raise PlexUnavailableError(
            "plex.tv knows no address for this server; enter its address by hand.", code="no_address"
        )
    tried: list[str] = []
    for candidate in candidates:
        try:
            outcome = services.connect_server(candidate, token, name=resource.name, actor=actor)
        except PlexTokenRejected as exc:
            raise services.as_service_error(exc) from exc
        except PlexError:
            tried.append(candidate)
            continue
        _wipe(pin, PlexPin.State.USED)
        return outcome
    raise PlexUnavailableError(
        f"Guestlist could not reach {resource.name} at {', '.join(tried)}; enter an address it can reach.",
        code="server_unreachable",
        details={"tried": tried},
    )


def cancel(public_id: str) -> None:
    pin = PlexPin.objects.filter(public_id=public_id, purpose=SETUP).first()
    if pin is not None and pin.state != PlexPin.State.USED:
        _wipe(pin, PlexPin.State.EXPIRED)
