"""A small OpenID Connect provider for tests: the stand-in for Authentik, Keycloak & co.

It speaks real HTTP on 127.0.0.1 (werkzeug, like the Plex simulator): discovery, JWKS,
an authorization endpoint that approves the configured user at once (redirecting back
with a code), and a token endpoint that checks the client's secret, the redirect URI and
the PKCE verifier (S256) before it signs an ID token with joserfc. Faults make it
misbehave on purpose: a wrong issuer, a bad signature, an expired token, a missing group.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


@dataclass
class OidcUser:
    sub: str = "oidc-user-1"
    preferred_username: str = "sso-admin"
    email: str = "sso-admin@example.com"
    email_verified: bool = True
    groups: list[str] = field(default_factory=lambda: ["guestlist-admins"])


@dataclass
class Faults:
    wrong_issuer: bool = False  # the ID token names another issuer
    discovery_issuer: str | None = None  # the discovery document names another issuer
    bad_signature: bool = False  # signed with a key that is not in the JWKS
    expired: bool = False  # exp (and iat) an hour in the past
    wrong_nonce: bool = False
    wrong_audience: bool = False


class OidcProvider:
    CLIENT_ID = "guestlist"
    CLIENT_SECRET = "provider-secret-0123456789"  # noqa: S105 - a test provider's fixed secret

    def __init__(self) -> None:
        from joserfc.jwk import RSAKey

        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.user = OidcUser()
        self.faults = Faults()
        self.codes: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # Lifecycle

    def start(self, host: str = "127.0.0.1") -> OidcProvider:
        self._server = make_server(host, 0, self.app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="oidc-provider", daemon=True
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

    def reset(self) -> None:
        with self.lock:
            self.user = OidcUser()
            self.faults = Faults()
            self.codes.clear()
            self.token_requests.clear()

    @property
    def issuer(self) -> str:
        return self.url

    # HTTP

    def app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        routes = {
            "/.well-known/openid-configuration": self._discovery,
            "/jwks": self._jwks,
            "/authorize": self._authorize,
            "/token": self._token,
        }
        handler = routes.get(request.path)
        response = handler(request) if handler else Response("not found", status=404)
        return response(environ, start_response)

    def _json(self, body: dict[str, Any], status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _discovery(self, request: Request) -> Response:
        return self._json(
            {
                "issuer": self.faults.discovery_issuer or self.issuer,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "scopes_supported": ["openid", "profile", "email", "groups"],
            }
        )

    def _jwks(self, request: Request) -> Response:
        return self._json({"keys": [self.key.as_dict(private=False)]})

    def _authorize(self, request: Request) -> Response:
        """Approves the configured user at once, as a provider with a remembered login would."""
        args = request.args
        if args.get("client_id") != self.CLIENT_ID or args.get("response_type") != "code":
            return Response("unknown client or response type", status=400)
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            return Response("PKCE (S256) is required", status=400)
        if "openid" not in args.get("scope", "").split():
            return Response("openid scope missing", status=400)
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {
                "redirect_uri": args.get("redirect_uri", ""),
                "challenge": args.get("code_challenge", ""),
                "nonce": args.get("nonce", ""),
                "user": OidcUser(**vars(self.user)),
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
            self.token_requests.append(dict(form))
            grant = self.codes.pop(form.get("code", ""), None)  # each code works once
        if not self._client_ok(request):
            return self._json({"error": "invalid_client"}, 401)
        if form.get("grant_type") != "authorization_code" or grant is None:
            return self._json({"error": "invalid_grant"}, 400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return self._json({"error": "invalid_grant", "error_description": "redirect_uri differs"}, 400)
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or digest != grant["challenge"]:
            return self._json({"error": "invalid_grant", "error_description": "PKCE verification failed"}, 400)
        access_token = secrets.token_urlsafe(24)
        return self._json(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self._id_token(grant, access_token),
            }
        )

    def _id_token(self, grant: dict[str, Any], access_token: str) -> str:
        from joserfc import jwt

        user: OidcUser = grant["user"]
        now = int(time.time()) - (3600 if self.faults.expired else 0)
        claims: dict[str, Any] = {
            "iss": "https://elsewhere.example" if self.faults.wrong_issuer else self.issuer,
            "sub": user.sub,
            "aud": "someone-else" if self.faults.wrong_audience else self.CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": "not-the-nonce" if self.faults.wrong_nonce else grant["nonce"],
            "preferred_username": user.preferred_username,
            "email": user.email,
            "email_verified": user.email_verified,
            "groups": list(user.groups),
        }
        key = self.other_key if self.faults.bad_signature else self.key
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)
