"""The running simulator: shared state behind one lock, fault injection, the request
log, and the WSGI plumbing both fake hosts share."""

from __future__ import annotations

import fnmatch
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from guestlist.plexsim import render
from guestlist.plexsim.actions import Refusal
from guestlist.plexsim.state import Account, SimState

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

PLEX_TV = "plex.tv"
CLIENTS = "clients.plex.tv"
PMS = "pms"
_KNOWN_HOSTS = (PLEX_TV, CLIENTS)
# Headers worth asserting on in tests; the token is deliberately not one of them.
_LOGGED_HEADERS = (
    "Accept",
    "Content-Type",
    "X-Plex-Client-Identifier",
    "X-Plex-Product",
    "X-Plex-Version",
    "X-Plex-Device-Name",
)
_REQUEST_LOG_SIZE = 5000


@dataclass
class Fault:
    id: int
    method: str = "*"
    path: str = "*"
    host: str | None = None
    status: int | None = None
    latency_ms: int = 0
    times: int | None = 1
    body: str | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Lets this many matching requests through untouched before the fault applies.
    skip: int = 0
    hits: int = 0

    def matches(self, method: str, host: str, path: str) -> bool:
        return (
            self.method in ("*", method.upper())
            and (self.host is None or self.host == host)
            and fnmatch.fnmatchcase(path, self.path)
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Simulation:
    def __init__(self, state: SimState) -> None:
        self.state = state
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self.requests: deque[dict[str, Any]] = deque(maxlen=_REQUEST_LOG_SIZE)
        # Set on shutdown so that injected latencies end at once instead of holding
        # threads.
        self.stopping = threading.Event()
        self.plex_tv_url = ""
        self.pms_url = ""
        self.baseline = state.copy()
        self._next_fault_id = 1

    def add_fault(self, **spec: Any) -> Fault:
        with self.lock:
            method = str(spec.pop("method", None) or "*").upper()
            fault = Fault(id=self._next_fault_id, method=method, **spec)
            self._next_fault_id += 1
            self.faults.append(fault)
            return fault

    def take_fault(self, method: str, host: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, host, path):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.hits += 1
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def reset(self) -> None:
        with self.lock:
            self.state = self.baseline.copy()
            self.faults.clear()
            self.requests.clear()


@dataclass
class Call:
    """One request as route handlers see it, with the virtual host already resolved."""

    sim: Simulation
    request: Request
    host: str
    path: str
    log_entry: dict[str, Any] | None = None
    # The server a PMS listener plays when several run (None: ``Settings.pms_machine_identifier``).
    machine_identifier: str | None = None

    @property
    def state(self) -> SimState:
        return self.sim.state

    @property
    def token(self) -> str | None:
        return self.request.headers.get("X-Plex-Token") or self.request.args.get("X-Plex-Token") or None

    @property
    def wants_json(self) -> bool:
        return "application/json" in self.request.headers.get("Accept", "")

    @property
    def client_identifier(self) -> str:
        return (
            self.request.headers.get("X-Plex-Client-Identifier")
            or self.request.args.get("X-Plex-Client-Identifier")
            or ""
        )

    def account(self) -> Account | None:
        return self.state.account_by_token(self.token)

    def json(self) -> Any:
        return self.request.get_json(force=True, silent=True)

    @property
    def base_url(self) -> str:
        return self.sim.plex_tv_url


Handler = Callable[..., Response]


def route(path: str, handler: Handler, *methods: str) -> Rule:
    return Rule(path, endpoint=handler, methods=list(methods))


_TOKEN_IN_QUERY = re.compile(r"(?i)((?:^|&)x-plex-token=)[^&]*")


def redact_query(query_string: str) -> str:
    """The raw query as sent (so "+" versus "%2B" stays visible), minus any token."""
    return _TOKEN_IN_QUERY.sub(r"\1<redacted>", query_string)


class SimApp:
    """A WSGI app for one fake host. `fixed_host` is set for the PMS; plex.tv picks the
    virtual host from X-Forwarded-Host (added by Guestlist's transport adapter) or a
    /plex.tv/ path prefix."""

    def __init__(
        self,
        sim: Simulation,
        rules: Iterable[Rule],
        *,
        fixed_host: str | None = None,
        not_found: Callable[[Call], Response],
        fault_response: Callable[[Call, Fault], Response],
        machine_identifier: str | None = None,
    ) -> None:
        self.sim = sim
        self.machine_identifier = machine_identifier
        self.url_map = Map(list(rules), strict_slashes=False, merge_slashes=False)
        self.fixed_host = fixed_host
        self.not_found = not_found
        self.fault_response = fault_response

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        host, path = self._host_and_path(request)
        call = Call(self.sim, request, host, path, machine_identifier=self.machine_identifier)
        if not path.startswith("/__sim/"):
            call.log_entry = self._record(call)
        response = self._respond(call)
        if call.log_entry is not None:
            call.log_entry["status"] = response.status_code
        return response(environ, start_response)

    def _host_and_path(self, request: Request) -> tuple[str, str]:
        path = request.path
        if self.fixed_host:
            return self.fixed_host, path
        forwarded = request.headers.get("X-Forwarded-Host", "").split(":")[0].strip().lower()
        if forwarded in _KNOWN_HOSTS:
            return forwarded, path
        for host in _KNOWN_HOSTS:
            prefix = f"/{host}/"
            if path.startswith(prefix):
                return host, path[len(prefix) - 1 :]
        return PLEX_TV, path

    def _respond(self, call: Call) -> Response:
        fault = self.sim.take_fault(call.request.method, call.host, call.path)
        if fault is not None:
            if fault.latency_ms:
                self.sim.stopping.wait(fault.latency_ms / 1000)
            if fault.status is not None:
                return self.fault_response(call, fault)
        adapter = self.url_map.bind("simulator", "/")
        try:
            handler, arguments = adapter.match(call.path, method=call.request.method)
        except (NotFound, MethodNotAllowed):
            return self.not_found(call)
        try:
            # One lock around every handler keeps the state consistent under ~200
            # concurrent requests;
            # handlers are quick, and injected latency is served before the lock is
            # taken.
            with self.sim.lock:
                response: Response = handler(call, **arguments)
        except Refusal as refusal:
            response = refusal_response(call, refusal)
        except HTTPException as error:
            response = render.html_error(error.code or 500, error.name)
        return response

    def _record(self, call: Call) -> dict[str, Any]:
        request = call.request
        raw = request.get_data(cache=True)
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", errors="replace")
        with self.sim.lock:
            owner = call.account()
            entry: dict[str, Any] = {
                "at": time.time(),
                "method": request.method,
                "host": call.host,
                "path": call.path,
                "query": {k: v for k, v in request.args.items() if k.lower() != "x-plex-token"},
                "query_string": redact_query(request.query_string.decode("utf-8", errors="replace")),
                "body": body,
                "account": _account_label(owner) if owner else ("<unknown token>" if call.token else None),
                "headers": {name: request.headers[name] for name in _LOGGED_HEADERS if name in request.headers},
                "status": None,
            }
            self.sim.requests.append(entry)
        return entry


def is_json_route(call: Call) -> bool:
    """Routes Plex only answers in JSON, plus any route asked for JSON."""
    path = call.path
    return call.wants_json or path.startswith(("/api/v2/shared_servers", "/api/v2/servers/"))


def refusal_response(call: Call, refusal: Refusal) -> Response:
    # v1 routes refuse with <Response status="…"/>; v2 routes and auth errors use the
    # errors envelope.
    if refusal.code is not None or call.path.startswith("/api/v2/"):
        return render.plex_error(refusal.status, refusal.code, refusal.text, json_body=is_json_route(call))
    return render.v1_refusal(refusal.status, refusal.text)


def require_account(call: Call) -> Account:
    account = call.account()
    if account is None:
        raise Refusal(401, "User could not be authenticated", 1001)
    return account


def _account_label(account: Account) -> str:
    return account.username or account.title or str(account.id)
