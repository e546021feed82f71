"""A small fake Tautulli for tests: its ``/api/v2`` answering ``get_users_table`` over real HTTP.

Built like ``oidc_provider``: werkzeug on 127.0.0.1, one thread, reset between tests. The
users table is what the test puts in (``add_user``); ``faults`` make it misbehave.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


@dataclass
class TautulliRow:
    user_id: int
    username: str
    last_seen: int | None
    last_played: str


@dataclass
class Faults:
    status: int | None = None  # answer every call with this HTTP status
    refuse: bool = False  # answer {"result": "error"} as Tautulli does for a bad command


class FakeTautulli:
    API_KEY = "tautulli-key-0123456789abcdef"

    def __init__(self) -> None:
        self.users: list[TautulliRow] = []
        self.faults = Faults()
        self.requests: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self, host: str = "127.0.0.1") -> FakeTautulli:
        self._server = make_server(host, 0, self.app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-tautulli", daemon=True
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
            self.users.clear()
            self.faults = Faults()
            self.requests.clear()

    def add_user(self, user_id: int, username: str, *, last_seen: float | None, last_played: str = "") -> None:
        with self.lock:
            self.users.append(TautulliRow(user_id, username, int(last_seen) if last_seen else None, last_played))

    def app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.requests.append({key: value for key, value in request.args.items() if key != "apikey"})
            response = self._answer(request)
        return response(environ, start_response)

    def _json(self, body: dict[str, Any], status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _answer(self, request: Request) -> Response:
        if self.faults.status is not None:
            return Response("error", status=self.faults.status)
        if request.path.rstrip("/") != "/api/v2":
            return Response("not found", status=404)
        if request.args.get("apikey") != self.API_KEY:
            # Tautulli answers a wrong key with 200 and an error result.
            return self._json({"response": {"result": "error", "message": "Invalid apikey", "data": {}}})
        if self.faults.refuse or request.args.get("cmd") != "get_users_table":
            return self._json({"response": {"result": "error", "message": "Unknown command", "data": {}}})
        rows = sorted(self.users, key=lambda row: row.last_seen or 0, reverse=True)
        start, length = int(request.args.get("start", 0)), int(request.args.get("length", 25))
        page = rows[start : start + length]
        data = [
            {
                "user_id": row.user_id,
                "username": row.username,
                "friendly_name": row.username,
                "last_seen": row.last_seen,
                "last_played": row.last_played or None,
                "plays": 1 if row.last_seen else 0,
            }
            for row in page
        ]
        body = {"recordsFiltered": len(rows), "recordsTotal": len(rows), "draw": 1, "data": data}
        return self._json({"response": {"result": "success", "message": None, "data": body}})
