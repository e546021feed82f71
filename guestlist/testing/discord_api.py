"""A small fake of Discord for tests and the demo: its OAuth2 endpoints and the few API calls
Guestlist makes, as real HTTP on 127.0.0.1 (werkzeug, like the Plex simulator and the OpenID
test provider).

The shapes follow Discord's API v10: ``/oauth2/authorize`` (approves the configured person at
once, as Discord does for an app the person already authorised), ``/api/oauth2/token``
(authorization code with the client's secret, the redirect URI and the PKCE verifier checked),
``/api/v10/users/@me`` and ``/api/v10/users/@me/guilds/{guild}/member`` with the person's
Bearer token (scopes ``identify`` and ``guilds.members.read``), and, with ``Bot <token>``,
``/api/v10/guilds/{guild}/roles`` and ``/api/v10/guilds/{guild}/members/{user}``. Someone who
is not in the guild gets Discord's 404s: ``Unknown Guild`` (10004) on the user's route,
``Unknown Member`` (10007) on the bot's. ``down`` answers 503 everywhere, as Discord's edge
does in an outage.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


@dataclass
class DiscordPerson:
    id: str
    username: str
    global_name: str | None = None


@dataclass
class Guild:
    id: str = "900000000000000001"
    name: str = "Guestlist Friends"
    # role id -> name; Discord's @everyone role has the guild's own id.
    roles: dict[str, str] = field(
        default_factory=lambda: {
            "900000000000000001": "@everyone",
            "910000000000000001": "Plex friends",
            "910000000000000002": "Moderators",
        }
    )
    # user id -> the role ids they hold (members only)
    members: dict[str, list[str]] = field(default_factory=dict)


class FakeDiscord:
    CLIENT_ID = "1200000000000000001"
    CLIENT_SECRET = "discord-client-secret-0123456789"  # noqa: S105 - the fake's fixed secret
    BOT_TOKEN = "discord-bot-token-abcdefghijklmnop"  # noqa: S105 - the fake's fixed bot token

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.reset()

    def reset(self) -> None:
        self.guild = Guild()
        # The person who "clicks Authorize" at the authorize endpoint.
        self.person = DiscordPerson(id="800000000000000042", username="ada.discord", global_name="Ada")
        self.people: dict[str, DiscordPerson] = {self.person.id: self.person}
        self.down = False
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}  # access token -> user id
        self.requests: list[str] = []  # "METHOD path" of every call, for tests that count

    # Lifecycle

    def start(self, host: str = "127.0.0.1") -> FakeDiscord:
        self._server = make_server(host, 0, self.app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-discord", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    # Arranging the world

    def sign_in_as(self, person: DiscordPerson) -> DiscordPerson:
        with self.lock:
            self.people[person.id] = person
            self.person = person
        return person

    def join(self, user_id: str, *roles: str) -> None:
        with self.lock:
            self.guild.members[user_id] = list(roles)

    def leave(self, user_id: str) -> None:
        with self.lock:
            self.guild.members.pop(user_id, None)

    # HTTP

    def app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.requests.append(f"{request.method} {request.path}")
        response = self._route(request)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        if self.down:
            return Response("upstream connect error", status=503, content_type="text/plain")
        path = request.path
        if path == "/oauth2/authorize":
            return self._authorize(request)
        if path == "/api/oauth2/token" and request.method == "POST":
            return self._token(request)
        prefix = "/api/v10"
        if not path.startswith(prefix + "/"):
            return self._error(404, 0, "404: Not Found")
        parts = path[len(prefix) + 1 :].split("/")
        if parts == ["users", "@me"]:
            return self._as_user(request, self._me)
        if len(parts) == 5 and parts[:3] == ["users", "@me", "guilds"] and parts[4] == "member":
            return self._as_user(request, lambda user_id: self._own_member(user_id, parts[3]))
        if len(parts) == 3 and parts[0] == "guilds" and parts[2] == "roles":
            return self._as_bot(request, lambda: self._roles(parts[1]))
        if len(parts) == 4 and parts[0] == "guilds" and parts[2] == "members":
            return self._as_bot(request, lambda: self._member(parts[1], parts[3]))
        return self._error(404, 0, "404: Not Found")

    def _json(self, body: Any, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _error(self, status: int, code: int, message: str) -> Response:
        return self._json({"message": message, "code": code}, status)

    def _authorize(self, request: Request) -> Response:
        args = request.args
        if args.get("client_id") != self.CLIENT_ID or args.get("response_type") != "code":
            return Response("Invalid OAuth2 client_id or response_type", status=400)
        scopes = set(args.get("scope", "").split())
        if not {"identify", "guilds.members.read"} <= scopes:
            return Response("identify and guilds.members.read are needed", status=400)
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {
                "redirect_uri": args.get("redirect_uri", ""),
                "challenge": args.get("code_challenge", ""),
                "method": args.get("code_challenge_method", ""),
                "user_id": self.person.id,
                "scope": " ".join(sorted(scopes)),
            }
        target = args.get("redirect_uri", "") + "?" + urlencode({"code": code, "state": args.get("state", "")})
        return Response(status=302, headers={"Location": target})

    def _client_ok(self, request: Request) -> bool:
        auth = request.authorization
        if auth is not None and auth.type == "basic":
            return auth.username == self.CLIENT_ID and auth.password == self.CLIENT_SECRET
        form = request.form
        return form.get("client_id") == self.CLIENT_ID and form.get("client_secret") == self.CLIENT_SECRET

    def _token(self, request: Request) -> Response:
        form = request.form
        with self.lock:
            grant = self.codes.pop(form.get("code", ""), None)  # each code works once
        if not self._client_ok(request):
            return self._json({"error": "invalid_client"}, 401)
        if form.get("grant_type") != "authorization_code" or grant is None:
            return self._json({"error": "invalid_grant", "error_description": 'Invalid "code" in request.'}, 400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return self._json({"error": "invalid_grant", "error_description": "Invalid redirect_uri"}, 400)
        if grant["challenge"]:
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if grant["method"] != "S256" or digest != grant["challenge"]:
                return self._json({"error": "invalid_grant", "error_description": "Invalid code_verifier"}, 400)
        access_token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[access_token] = grant["user_id"]
        return self._json(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 604800,
                "refresh_token": secrets.token_urlsafe(24),
                "scope": grant["scope"],
            }
        )

    def _as_user(self, request: Request, answer: Any) -> Response:
        header = request.headers.get("Authorization", "")
        user_id = self.tokens.get(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
        if user_id is None:
            return self._error(401, 0, "401: Unauthorized")
        result: Response = answer(user_id)
        return result

    def _as_bot(self, request: Request, answer: Any) -> Response:
        if request.headers.get("Authorization", "") != f"Bot {self.BOT_TOKEN}":
            return self._error(401, 0, "401: Unauthorized")
        result: Response = answer()
        return result

    def _user(self, user_id: str) -> dict[str, Any]:
        person = self.people.get(user_id) or DiscordPerson(id=user_id, username=f"user{user_id[-4:]}")
        return {
            "id": person.id,
            "username": person.username,
            "global_name": person.global_name,
            "discriminator": "0",
            "avatar": None,
        }

    def _member_body(self, user_id: str) -> dict[str, Any]:
        return {
            "user": self._user(user_id),
            "nick": None,
            "roles": list(self.guild.members[user_id]),
            "joined_at": "2026-01-01T00:00:00.000000+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        }

    def _me(self, user_id: str) -> Response:
        return self._json(self._user(user_id))

    def _own_member(self, user_id: str, guild_id: str) -> Response:
        if guild_id != self.guild.id or user_id not in self.guild.members:
            return self._error(404, 10004, "Unknown Guild")
        return self._json(self._member_body(user_id))

    def _roles(self, guild_id: str) -> Response:
        if guild_id != self.guild.id:
            return self._error(404, 10004, "Unknown Guild")
        return self._json(
            [
                {"id": role_id, "name": name, "position": position, "managed": False, "color": 0}
                for position, (role_id, name) in enumerate(self.guild.roles.items())
            ]
        )

    def _member(self, guild_id: str, user_id: str) -> Response:
        if guild_id != self.guild.id:
            return self._error(404, 10004, "Unknown Guild")
        if user_id not in self.guild.members:
            return self._error(404, 10007, "Unknown Member")
        return self._json(self._member_body(user_id))


def main(argv: list[str] | None = None) -> None:
    """``python -m guestlist.testing.discord_api [PORT]``: the fake alone, for trying Discord-gated
    invites with ``guestlist demo`` (set ``GUESTLIST_DISCORD_URL`` to the printed URL and enter the
    printed values in Settings → Discord). Everyone who signs in is Ada, a member with the
    "Plex friends" role."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    port = int(args[0]) if args else 0
    fake = FakeDiscord()
    fake.join(fake.person.id, "910000000000000001")
    fake._server = make_server("127.0.0.1", port, fake.app, threaded=True, request_handler=_QuietHandler)
    fake.url = f"http://127.0.0.1:{fake._server.server_port}"
    print(f"GUESTLIST_DISCORD_URL={fake.url}")  # noqa: T201 - a command's output
    print(f"client id {FakeDiscord.CLIENT_ID}, client secret {FakeDiscord.CLIENT_SECRET}")  # noqa: T201
    print(f"bot token {FakeDiscord.BOT_TOKEN}, server id {fake.guild.id}")  # noqa: T201
    try:
        fake._server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("stopped")  # noqa: T201 - a command's output
    finally:
        fake._server.server_close()


if __name__ == "__main__":
    main()
