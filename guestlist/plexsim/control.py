"""The simulator's own JSON control surface under /__sim/ (no real Plex route lives
there), and the assembly of the two WSGI apps."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from guestlist.plexsim import actions, pages, plextv, plextv_v2, pms, render
from guestlist.plexsim.core import (
    PMS,
    Call,
    Fault,
    SimApp,
    Simulation,
    is_json_route,
    route,
)
from guestlist.plexsim.state import Account, Pin, Settings, SimState

_FAULT_FIELDS = {
    "method",
    "path",
    "host",
    "status",
    "latency_ms",
    "times",
    "body",
    "content_type",
    "headers",
}


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def find_account(state: SimState, ref: Account | str | int) -> Account:
    if isinstance(ref, Account):
        return ref
    account = state.account_by_name(str(ref))
    if account is None:
        raise ControlError(404, f"No simulated account matches {ref!r}")
    return account


def account_json(account: Account) -> dict[str, Any]:
    return dataclasses.asdict(account) | {"token": account.token}


def approve(state: SimState, pin: Pin | None, account_ref: Any) -> dict[str, Any]:
    if pin is None:
        raise ControlError(404, "No live PIN matches (unknown or expired)")
    account = find_account(state, account_ref)
    token = actions.approve_pin(state, pin, account)
    return {
        "pin": pin.id,
        "account": account.username or account.title,
        "authToken": token,
    }


def _control(handler: Any) -> Any:
    def wrapped(call: Call, **kwargs: Any) -> Response:
        try:
            return render.as_json(handler(call, **kwargs))
        except ControlError as error:
            return render.as_json({"error": error.message}, error.status)

    return wrapped


def _payload(call: Call) -> dict[str, Any]:
    data = call.json()
    if data is None and not call.request.get_data():
        return {}
    if not isinstance(data, dict):
        raise ControlError(400, "Send a JSON object")
    return data


def get_state(call: Call) -> Any:
    return call.state.to_json() | {
        "plex_tv_url": call.sim.plex_tv_url,
        "pms_url": call.sim.pms_url,
    }


def put_state(call: Call) -> Any:
    call.sim.state = SimState.from_json(_payload(call))
    return {"ok": True}


def reset(call: Call) -> Any:
    call.sim.reset()
    return {"ok": True}


def list_accounts(call: Call) -> Any:
    return [account_json(a) for a in call.state.accounts]


def add_account(call: Call) -> Any:
    data = _payload(call)
    username = str(data.get("username") or "").strip()
    if not username:
        raise ControlError(400, "username is required")
    if call.state.account_by_name(username):
        raise ControlError(409, f"{username} already exists")
    account = call.state.new_account(
        username,
        str(data.get("email") or f"{username}@example.com"),
        plex_pass=bool(data.get("plex_pass", False)),
        email_verified=bool(data.get("email_verified", True)),
        token=data.get("token"),
    )
    return account_json(account)


def patch_settings(call: Call) -> Any:
    data = _payload(call)
    known = {f.name for f in dataclasses.fields(Settings)}
    unknown = set(data) - known
    if unknown:
        raise ControlError(400, f"Unknown settings: {', '.join(sorted(unknown))}")
    call.sim.state.settings = dataclasses.replace(call.state.settings, **data)
    return dataclasses.asdict(call.state.settings)


def approve_pin(call: Call, pin_id: int) -> Any:
    data = _payload(call)
    return approve(call.state, actions.live_pin(call.state, pin_id), data.get("account"))


def approve_code(call: Call) -> Any:
    data = _payload(call)
    code, client_id = data.get("code"), data.get("clientID")
    now = time.time()
    pin = next(
        (
            p
            for p in call.state.pins
            if p.code == code and p.expires_at > now and (not client_id or p.client_identifier == client_id)
        ),
        None,
    )
    return approve(call.state, pin, data.get("account"))


def list_faults(call: Call) -> Any:
    return [f.to_json() for f in call.sim.faults]


def add_fault(call: Call) -> Any:
    data = _payload(call)
    unknown = set(data) - _FAULT_FIELDS
    if unknown:
        raise ControlError(400, f"Unknown fault fields: {', '.join(sorted(unknown))}")
    return call.sim.add_fault(**data).to_json()


def clear_faults(call: Call) -> Any:
    call.sim.faults.clear()
    return {"ok": True}


def list_requests(call: Call) -> Any:
    return list(call.sim.requests)


def clear_requests(call: Call) -> Any:
    call.sim.requests.clear()
    return {"ok": True}


def list_emails(call: Call) -> Any:
    return [dataclasses.asdict(e) for e in call.state.outbox]


def clear_emails(call: Call) -> Any:
    call.state.outbox.clear()
    return {"ok": True}


def avatar(call: Call, name: str) -> Response:
    return pages.avatar(call, name)


def control_rules() -> list[Rule]:
    sim = "/__sim"
    return [
        route(f"{sim}/state", _control(get_state), "GET"),
        route(f"{sim}/state", _control(put_state), "PUT"),
        route(f"{sim}/reset", _control(reset), "POST"),
        route(f"{sim}/accounts", _control(list_accounts), "GET"),
        route(f"{sim}/accounts", _control(add_account), "POST"),
        route(f"{sim}/settings", _control(patch_settings), "PATCH"),
        route(f"{sim}/pins/<int:pin_id>/approve", _control(approve_pin), "POST"),
        route(f"{sim}/auth/approve", _control(approve_code), "POST"),
        route(f"{sim}/faults", _control(list_faults), "GET"),
        route(f"{sim}/faults", _control(add_fault), "POST"),
        route(f"{sim}/faults", _control(clear_faults), "DELETE"),
        route(f"{sim}/requests", _control(list_requests), "GET"),
        route(f"{sim}/requests", _control(clear_requests), "DELETE"),
        route(f"{sim}/emails", _control(list_emails), "GET"),
        route(f"{sim}/emails", _control(clear_emails), "DELETE"),
        route(f"{sim}/avatars/<name>.svg", avatar, "GET"),
        route("/auth", pages.auth_page, "GET"),
        route("/auth/", pages.auth_page, "GET"),
    ]


def plex_tv_not_found(call: Call) -> Response:
    if call.path.startswith("/api/v2/"):
        return render.plex_error(404, 1002, render.NOT_FOUND_TEXT, json_body=is_json_route(call))
    return render.rails_404()


def plex_tv_fault(call: Call, fault: Fault) -> Response:
    status = fault.status or 500
    json_body = is_json_route(call)
    if fault.body is not None:
        response = Response(
            fault.body,
            status=status,
            content_type=fault.content_type or render.XML_TYPE,
        )
    elif status == 401:
        response = render.unauthenticated(json_body=json_body)
    elif status == 422:
        response = render.invalid_token()
    elif status == 429:
        response = render.rate_limited(json_body=json_body)
    elif status == 404:
        response = plex_tv_not_found(call)
    elif status >= 500:
        response = render.html_error(status, "Internal Server Error" if status == 500 else "Service Unavailable")
    else:
        response = render.v1_refusal(status, "Bad Request")
    response.headers.update(fault.headers)
    return response


def build_plex_tv_app(sim: Simulation) -> SimApp:
    rules = [*control_rules(), *plextv.rules(), *plextv_v2.rules()]
    return SimApp(sim, rules, not_found=plex_tv_not_found, fault_response=plex_tv_fault)


def build_pms_app(sim: Simulation, machine_identifier: str | None = None) -> SimApp:
    return SimApp(
        sim,
        pms.rules(),
        fixed_host=PMS,
        not_found=pms.not_found,
        fault_response=pms.fault_response,
        machine_identifier=machine_identifier,
    )
