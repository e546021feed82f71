"""Admins signing in through an OpenID Connect provider (Authentik, Authelia, Keycloak,
Pocket ID…), with authlib's client: discovery, authorization code with PKCE (S256),
``state`` and ``nonce`` kept in the server-side session and checked once, the ID token's
signature verified against the provider's JWKS, its issuer, audience and expiry checked.

No database transaction is open while the provider is called: the callback asks the
provider first and writes the identity afterwards, in one short transaction.
authlib is imported inside the functions (idle memory).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from guestlist.accounts.models import OidcIdentity, SignInSettings
from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Forbidden, Invalid, ServiceError
from guestlist.lib import crypto

if TYPE_CHECKING:
    from authlib.integrations.django_client import DjangoOAuth2App

CLIENT_NAME = "oidc"
PROVIDER_TIMEOUT_SECONDS = 10
USERNAME_CHARS = re.compile(r"[^A-Za-z0-9.@+_-]")


class ProviderError(ServiceError):
    status = 502
    code = "oidc_provider"


class TokenRefused(ServiceError):
    status = 403
    code = "oidc_token_invalid"


@dataclass(frozen=True)
class Config:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    admin_claim: str
    admin_value: str
    create_admins: bool


def config() -> Config | None:
    row = SignInSettings.load()
    if not row.oidc_ready:
        return None
    return Config(
        issuer=row.oidc_issuer.rstrip("/"),
        client_id=row.oidc_client_id,
        client_secret=crypto.decrypt(row.oidc_client_secret) if row.oidc_client_secret else "",
        scopes=row.oidc_scopes or "openid",
        admin_claim=row.oidc_admin_claim,
        admin_value=row.oidc_admin_value,
        create_admins=row.oidc_create_admins,
    )


def _client(cfg: Config) -> DjangoOAuth2App:
    from authlib.integrations.django_client import DjangoOAuth2App
    from authlib.integrations.django_client.integration import DjangoIntegration

    return DjangoOAuth2App(
        DjangoIntegration(CLIENT_NAME),
        name=CLIENT_NAME,
        client_id=cfg.client_id,
        client_secret=cfg.client_secret or None,
        server_metadata_url=f"{cfg.issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": cfg.scopes,
            "code_challenge_method": "S256",
            "default_timeout": PROVIDER_TIMEOUT_SECONDS,
            "token_endpoint_auth_method": "client_secret_basic" if cfg.client_secret else "none",
        },
    )


def _metadata(client: DjangoOAuth2App, cfg: Config) -> dict[str, Any]:
    try:
        metadata = dict(client.load_server_metadata())
    except (OSError, ValueError) as exc:  # requests' errors are OSErrors; a body that is no JSON
        raise ProviderError(f"The OpenID provider's discovery document could not be read: {exc}") from exc
    # The issuer in the discovery document must be the one configured (OpenID Discovery §4.3).
    if str(metadata.get("issuer", "")).rstrip("/") != cfg.issuer:
        raise TokenRefused(
            f"The provider calls itself {metadata.get('issuer')!r}, not {cfg.issuer!r}.", code="oidc_wrong_issuer"
        )
    return metadata


def redirect_uri() -> str:
    return str(settings.BASE_URL) + reverse("login-oidc-callback")


def start(request: HttpRequest) -> HttpResponse:
    """The redirect to the provider; state, nonce and the PKCE verifier stay in the session."""
    cfg = config()
    if cfg is None:
        raise Invalid("Single sign-on is not set up.", code="oidc_not_configured")
    client = _client(cfg)
    _metadata(client, cfg)
    try:
        response: HttpResponse = client.authorize_redirect(request, redirect_uri(), nonce=secrets.token_urlsafe(24))
        return response
    except OSError as exc:  # requests' errors (authlib's client is requests)
        raise ProviderError(f"The OpenID provider did not answer: {exc}") from exc


@dataclass(frozen=True)
class Claims:
    issuer: str
    subject: str
    email: str
    email_verified: bool
    username: str


def finish(request: HttpRequest) -> Claims:
    """Check the provider's answer; the admin's claims. Raises a ServiceError otherwise."""
    cfg = config()
    if cfg is None:
        raise Invalid("Single sign-on is not set up.", code="oidc_not_configured")
    from authlib.common.errors import AuthlibBaseError
    from authlib.integrations.base_client.errors import MismatchingStateError
    from joserfc.errors import JoseError

    client = _client(cfg)
    _metadata(client, cfg)
    state = request.GET.get("state", "")
    if not state or client.framework.get_state_data(request.session, state) is None:
        # Unknown, already used, or from another browser: authlib cleared it on first use.
        raise Forbidden("This sign-in link was already used or is not yours; start again.", code="oidc_state")
    try:
        token = client.authorize_access_token(request)
    except MismatchingStateError as exc:
        raise Forbidden("This sign-in link was already used or is not yours; start again.", code="oidc_state") from exc
    except JoseError as exc:
        raise TokenRefused(f"The provider's ID token was refused: {exc.error}: {exc.description or ''}") from exc
    except AuthlibBaseError as exc:
        raise ProviderError(f"The provider refused the sign-in: {exc.error} {exc.description or ''}") from exc
    except OSError as exc:  # requests' errors (authlib's client is requests)
        raise ProviderError(f"The OpenID provider did not answer: {exc}") from exc
    userinfo = token.get("userinfo")
    if not userinfo:
        raise TokenRefused("The provider sent no ID token.")
    claims = dict(userinfo)
    if not _is_admin(claims, cfg):
        raise Forbidden(
            f"Your account at the provider lacks {cfg.admin_claim} = {cfg.admin_value}.", code="oidc_not_admin"
        )
    return Claims(
        issuer=cfg.issuer,
        subject=str(claims["sub"]),
        email=str(claims.get("email") or ""),
        email_verified=claims.get("email_verified") is True,
        username=str(claims.get("preferred_username") or claims.get("nickname") or ""),
    )


def _is_admin(claims: dict[str, Any], cfg: Config) -> bool:
    value = claims.get(cfg.admin_claim)
    if isinstance(value, list | tuple):
        return cfg.admin_value in [str(item) for item in value]
    if isinstance(value, bool):
        return value and cfg.admin_value.lower() in ("true", "1", "yes")
    return value is not None and str(value) == cfg.admin_value


def admin_for(claims: Claims, *, ip: str | None) -> User:
    """The admin these claims sign in as: a linked one, one with the same verified e-mail
    (linked now), or, when the owner allows it, a new admin."""
    identity = OidcIdentity.objects.select_related("user").filter(issuer=claims.issuer, subject=claims.subject).first()
    if identity is not None:
        linked = identity.user
        if not (linked.is_active and linked.is_staff):
            raise Forbidden("This account is no admin here any more.", code="oidc_no_account")
        OidcIdentity.objects.filter(pk=identity.pk).update(last_used_at=timezone.now())
        return linked
    user: User | None = None
    if claims.email and claims.email_verified:
        matches = list(User.objects.filter(email__iexact=claims.email, is_staff=True, is_active=True)[:2])
        user = matches[0] if len(matches) == 1 else None
    created = False
    if user is None:
        cfg = config()
        if cfg is None or not cfg.create_admins:
            raise Forbidden(
                "No admin here matches this account, and creating admins on first sign-in is off.",
                code="oidc_no_account",
            )
        user, created = _new_admin(claims), True
    assert user is not None  # noqa: S101 - found or made above
    try:
        with transaction.atomic():
            OidcIdentity.objects.create(
                user=user, issuer=claims.issuer, subject=claims.subject, last_used_at=timezone.now()
            )
            audit.record(Actor.admin(user, ip), "admin.oidc_linked", user, issuer=claims.issuer, subject=claims.subject)
    except IntegrityError as exc:
        raise Conflict("This account was linked at the same moment; sign in again.") from exc
    if created:
        audit.record(Actor(Actor.system().kind, "single sign-on", None, ip), "admin.create", user, method="oidc")
    return user


def _new_admin(claims: Claims) -> User:
    base = USERNAME_CHARS.sub("", claims.username or claims.email.split("@")[0])[:140] or "admin"
    username = base
    while User.objects.filter(username__iexact=username).exists():
        username = f"{base}-{secrets.token_hex(2)}"
    user = User(username=username, email=claims.email if claims.email_verified else "", is_staff=True)
    # No password: this admin signs in through the provider (the owner may set one later).
    user.set_unusable_password()
    user.save()
    return user


# -- the owner's settings --------------------------------------------------------------


def update_settings(changes: dict[str, Any], *, actor: Actor) -> SignInSettings:
    """Save the single sign-on and second-factor settings; a blank secret keeps the stored one."""
    allowed = {
        "require_second_factor",
        "oidc_enabled",
        "oidc_issuer",
        "oidc_client_id",
        "oidc_client_secret",
        "oidc_scopes",
        "oidc_admin_claim",
        "oidc_admin_value",
        "oidc_create_admins",
        "oidc_label",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise Invalid(f"These settings cannot be changed: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        row = SignInSettings.objects.select_for_update().get(pk=SignInSettings.load().pk)
        changed: dict[str, object] = {}
        for name, value in changes.items():
            if name == "oidc_client_secret":
                if not value:
                    continue
                row.oidc_client_secret = crypto.encrypt(str(value))
                changed[name] = "changed"
                continue
            if name == "oidc_issuer":
                value = str(value).strip().rstrip("/")
                if value and not value.startswith(("https://", "http://")):
                    raise Invalid("The issuer must be an http(s) URL.", details=[{"field": name, "message": "url"}])
            if name == "oidc_scopes":
                scopes = str(value).split()
                if "openid" not in scopes:
                    scopes.insert(0, "openid")
                value = " ".join(scopes)
            before = getattr(row, name)
            if before != value:
                changed[name] = [before, value]
                setattr(row, name, value)
        if row.oidc_enabled and not (row.oidc_issuer and row.oidc_client_id and row.oidc_admin_claim):
            raise Invalid(
                "Single sign-on needs an issuer URL, a client id and the claim that makes someone an admin.",
                code="invalid",
            )
        if row.oidc_enabled and not row.oidc_admin_value:
            raise Invalid("Say which value of the claim makes someone an admin.", code="invalid")
        if changed:
            row.save()
            audit.record(actor, "settings.sign_in", row, label="sign-in settings", changes=changed)
    return row


def allow_form_target(response: HttpResponse) -> HttpResponse:
    """The sign-in page's "Single sign-on" form is answered with a redirect to the provider,
    and browsers hold that redirect to the page's ``form-action``: add the issuer's origin."""
    row = SignInSettings.load()
    if not row.oidc_ready:
        return response
    parts = urlsplit(row.oidc_issuer)
    policy = {key: list(value) for key, value in getattr(response, "_csp_config", settings.SECURE_CSP).items()}
    policy.setdefault("form-action", []).append(f"{parts.scheme}://{parts.netloc}")
    response._csp_config = policy  # type: ignore[attr-defined]  # read by Django's CSP middleware
    return response
