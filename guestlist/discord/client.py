"""Guestlist's link to Discord: the only module that talks to it.

Two doors. A redeemer signs in with Discord through OAuth2's authorization code flow (authlib's
Django client: ``state`` and the PKCE verifier kept in the server-side session and checked once;
scopes ``identify`` and ``guilds.members.read``), and their own token reads who they are and
their membership of the owner's Discord server. The owner's bot token reads the server's roles
(for the invite form) and, later, whether a member is still in the server (the re-check job).

Discord's base URL is ``settings.DISCORD_URL`` (``GUESTLIST_DISCORD_URL``), so tests and the demo
point at ``guestlist.testing.discord_api``. Nothing here opens a database transaction, and no
token is logged or returned. authlib and requests are imported inside the functions (idle memory).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from guestlist.core.errors import Forbidden, Invalid, ServiceError
from guestlist.discord.models import DiscordSettings
from guestlist.lib import crypto

if TYPE_CHECKING:
    from authlib.integrations.django_client import DjangoOAuth2App

CLIENT_NAME = "discord"
SCOPES = "identify guilds.members.read"
TIMEOUT_SECONDS = 8.0
# Discord's JSON error codes (its API reference, "JSON Error Codes").
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007


class DiscordUnavailable(ServiceError):
    """Discord did not answer, or answered with a server error or a rate limit."""

    status = 503
    code = "discord_unavailable"


class DiscordRefused(ServiceError):
    """Discord answered, and the answer was no (a bad code, a revoked token, a wrong secret)."""

    status = 502
    code = "discord_refused"


@dataclass(frozen=True)
class Config:
    base_url: str
    client_id: str
    client_secret: str
    bot_token: str
    guild_id: str

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v10"


def base_url() -> str:
    return str(getattr(settings, "DISCORD_URL", "") or "https://discord.com").rstrip("/")


def config(row: DiscordSettings | None = None) -> Config:
    row = row or DiscordSettings.load()
    return Config(
        base_url=base_url(),
        client_id=row.client_id,
        client_secret=crypto.decrypt(row.client_secret) if row.client_secret else "",
        bot_token=crypto.decrypt(row.bot_token) if row.bot_token else "",
        guild_id=row.guild_id,
    )


def redirect_uri() -> str:
    """What the owner registers as the application's redirect in Discord's developer portal."""
    return str(settings.BASE_URL) + reverse("discord-callback")


# -- the redeemer's sign-in ---------------------------------------------------------------


def _oauth_client(cfg: Config) -> DjangoOAuth2App:
    # authlib (and requests under it) only when someone signs in with Discord: idle memory.
    from authlib.integrations.django_client import DjangoOAuth2App
    from authlib.integrations.django_client.integration import DjangoIntegration

    return DjangoOAuth2App(
        DjangoIntegration(CLIENT_NAME),
        name=CLIENT_NAME,
        client_id=cfg.client_id,
        client_secret=cfg.client_secret,
        authorize_url=f"{cfg.base_url}/oauth2/authorize",
        access_token_url=f"{cfg.base_url}/api/oauth2/token",
        api_base_url=f"{cfg.api_url}/",
        client_kwargs={
            "scope": SCOPES,
            "code_challenge_method": "S256",
            "default_timeout": TIMEOUT_SECONDS,
            "token_endpoint_auth_method": "client_secret_basic",
        },
    )


def authorize_url(request: HttpRequest, **remember: str) -> str:
    """Discord's authorization URL; ``state``, the PKCE verifier and ``remember`` stay in the
    session under the state, for ``finish`` (which checks and clears them once)."""
    cfg = config()
    if not (cfg.client_id and cfg.client_secret):
        raise Invalid("Signing in with Discord is not set up.", code="discord_not_configured")
    client = _oauth_client(cfg)
    target = redirect_uri()
    answer = dict(client.create_authorization_url(target))
    client.save_authorize_data(request, redirect_uri=target, **remember, **answer)
    return str(answer["url"])


def remembered(request: HttpRequest) -> dict[str, Any] | None:
    """What ``authorize_url`` kept for the ``state`` this callback carries (None: unknown state)."""
    state = request.GET.get("state", "")
    if not state:
        return None
    client = _oauth_client(config())
    data = client.framework.get_state_data(request.session, state)
    return dict(data) if data else None


@dataclass(frozen=True)
class DiscordAccount:
    """Who signed in, and what they are in the owner's Discord server, as Discord said."""

    id: str
    username: str
    in_guild: bool
    roles: tuple[str, ...] = ()


def finish(request: HttpRequest, *, guild_id: str) -> DiscordAccount:
    """Check the callback's ``state``, trade the code for a token, and ask Discord who this is
    and whether they are in ``guild_id`` (empty: only who they are)."""
    from authlib.common.errors import AuthlibBaseError
    from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError

    if remembered(request) is None:
        # Unknown, already used, or from another browser: authlib cleared it on first use.
        raise Forbidden("This Discord sign-in was already used or is not yours; start again.", code="discord_state")
    client = _oauth_client(config())
    try:
        token = client.authorize_access_token(request)
    except MismatchingStateError as exc:
        raise Forbidden(
            "This Discord sign-in was already used or is not yours; start again.", code="discord_state"
        ) from exc
    except OAuthError as exc:
        if exc.error == "access_denied":
            raise Forbidden("The Discord sign-in was cancelled.", code="discord_cancelled") from exc
        raise DiscordRefused(f"Discord refused the sign-in: {exc.error}") from exc
    except AuthlibBaseError as exc:
        raise DiscordRefused(f"Discord refused the sign-in: {exc.error}") from exc
    except (OSError, ValueError) as exc:  # requests' errors; a body that is no JSON (an outage page)
        raise DiscordUnavailable("Discord is not answering right now.") from exc
    me = _user_get(client, "users/@me", token)
    if me is None:
        raise DiscordRefused("Discord did not say who you are.")
    account = DiscordAccount(id=str(me["id"]), username=str(me.get("username") or ""), in_guild=False)
    if not guild_id:
        return account
    member = _user_get(client, f"users/@me/guilds/{guild_id}/member", token)
    if member is None:
        return account
    roles = tuple(str(role) for role in member.get("roles") or [])
    return DiscordAccount(id=account.id, username=account.username, in_guild=True, roles=roles)


def _user_get(client: DjangoOAuth2App, path: str, token: dict[str, Any]) -> dict[str, Any] | None:
    """A GET with the person's token; None for Discord's "not a member" (404)."""
    try:
        response = client.get(path, token=token, timeout=TIMEOUT_SECONDS)
    except OSError as exc:
        raise DiscordUnavailable("Discord is not answering right now.") from exc
    return _json_or_none(response)


def _json_or_none(response: Any) -> dict[str, Any] | None:
    if response.status_code == 404:
        return None
    if response.status_code == 429 or response.status_code >= 500:
        raise DiscordUnavailable("Discord is not answering right now.")
    if response.status_code in (401, 403):
        raise DiscordRefused("Discord refused the request (the token or the bot's access).")
    if response.status_code != 200:
        raise DiscordRefused(f"Discord answered {response.status_code}.")
    try:
        body = response.json()
    except ValueError as exc:
        raise DiscordUnavailable("Discord's answer could not be read.") from exc
    if not isinstance(body, dict | list):
        raise DiscordUnavailable("Discord's answer could not be read.")
    return body if isinstance(body, dict) else {"items": body}


# -- the owner's bot ----------------------------------------------------------------------


def _bot_response(cfg: Config, path: str) -> Any:
    # requests only when the bot is asked something: idle memory.
    import requests

    if not (cfg.bot_token and cfg.guild_id):
        raise Invalid("Connect a Discord bot and name your Discord server first.", code="discord_not_configured")
    try:
        return requests.get(
            f"{cfg.api_url}/{path}",
            headers={"Authorization": f"Bot {cfg.bot_token}", "User-Agent": "Guestlist (self-hosted)"},
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        raise DiscordUnavailable("Discord is not answering right now.") from exc


@dataclass(frozen=True)
class Role:
    id: str
    name: str


def guild_roles(cfg: Config | None = None) -> list[Role]:
    """The owner's server's roles (without @everyone and the roles bots manage), read with the bot."""
    cfg = cfg or config()
    body = _json_or_none(_bot_response(cfg, f"guilds/{cfg.guild_id}/roles"))
    if body is None:
        raise DiscordRefused("Discord does not know this server, or the bot is not in it.")
    roles = [item for item in body.get("items", []) if isinstance(item, dict)]
    roles.sort(key=lambda item: -int(item.get("position") or 0))
    return [
        Role(id=str(item["id"]), name=str(item.get("name") or ""))
        for item in roles
        if str(item.get("id")) != cfg.guild_id and not item.get("managed")
    ]


@dataclass(frozen=True)
class Membership:
    in_guild: bool
    roles: tuple[str, ...] = ()


def guild_member(user_id: str, cfg: Config | None = None) -> Membership:
    """Whether ``user_id`` is in the owner's server now, and their roles (read with the bot).

    Only Discord's definite "Unknown Member" counts as not in the server; anything else that
    is not an answer raises, so the re-check never acts on an outage."""
    cfg = cfg or config()
    response = _bot_response(cfg, f"guilds/{cfg.guild_id}/members/{user_id}")
    if response.status_code == 404:
        try:
            code = response.json().get("code")
        except (ValueError, AttributeError):
            code = None
        if code == UNKNOWN_MEMBER:
            return Membership(in_guild=False)
        raise DiscordRefused("Discord does not know this server, or the bot is not in it.")
    body = _json_or_none(response) or {}
    return Membership(in_guild=True, roles=tuple(str(role) for role in body.get("roles") or []))
