"""Calls to plex.tv per path, counted from the simulator's request log against a running
install (`guestlist serve` in its own process, cold caches, as after a restart).

Usage: .venv/bin/python -m bench.plex_calls [--write]

Paths: a Plex sign-in redemption, an e-mail redemption, the removal of that member, their
re-invitation (a new invite redeemed by the same person, which is what the dashboard's
re-invite link leads to), and the sync. With `--write` the counts become the budgets in
bench/plex_calls.json that tests/lifecycle/test_plex_call_budget.py holds every path to.
"""

from __future__ import annotations

import argparse
import json
import time

from bench.harness import ROOT, Install, install, machine_summary

PLEX_TV_HOSTS = ("plex.tv", "clients.plex.tv")
BUDGET_FILE = ROOT / "bench" / "plex_calls.json"


def calls(target: Install) -> list[str]:
    return [f"{e['method']} {e['host']}{e['path']}" for e in target.sim.request_log() if e["host"] in PLEX_TV_HOSTS]


def counted(target: Install, action: object) -> list[str]:
    """The plex.tv calls made by ``action`` (a callable), once the install's own work settled."""
    time.sleep(0.5)
    target.sim.clear_request_log()
    action()  # type: ignore[operator]
    time.sleep(1.0)  # anything the job runner does at once belongs to the path too
    return calls(target)


def new_invite(target: Install) -> str:
    return str(target.api("POST", "/api/invites/", json={"libraries": "all"}).json()["code"])


def redeem_email(target: Install, code: str, email: str) -> None:
    response = target.api("POST", "/api/invites/redeem", json={"code": code, "email": email})
    assert response.status_code == 201, response.text


def plex_sign_in(target: Install, username: str) -> None:
    code = new_invite(target)
    started = target.api("POST", "/api/invites/oauth/start", json={"code": code}).json()
    with target.sim.sim.lock:
        pin = target.sim.sim.state.pins[-1]
    target.sim.approve_pin(pin.id, username)
    done = target.api("POST", "/api/invites/redeem", json={"code": code, "pin_id": started["pin_id"]})
    assert done.status_code == 201 and done.json()["status"] == "active", done.text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    with install() as target:
        target.sim.add_account("bench-plex", "bench-plex@example.org")
        target.sim.add_account("bench-mail", "bench-mail@example.org")
        target.start_server()
        found: dict[str, list[str]] = {}
        found["plex sign-in"] = counted(target, lambda: plex_sign_in(target, "bench-plex"))
        found["e-mail"] = counted(target, lambda: redeem_email(target, new_invite(target), "bench-mail@example.org"))
        member = next(
            item for item in target.api("GET", "/api/users/").json()["items"] if item["email"].startswith("bench-mail")
        )
        found["removal"] = counted(target, lambda: target.api("DELETE", f"/api/users/{member['id']}"))
        code = new_invite(target)
        found["re-invite"] = counted(target, lambda: redeem_email(target, code, "bench-mail@example.org"))
        found["sync"] = counted(target, lambda: target.api("POST", "/api/users/sync").raise_for_status())
    print(f"{machine_summary()}; calls to plex.tv and clients.plex.tv per path\n")
    print("| path | calls | which |")
    print("|---|---:|---|")
    for path, made in found.items():
        print(f"| {path} | {len(made)} | {'; '.join(made)} |")
    if args.write:
        BUDGET_FILE.write_text(json.dumps({path: len(made) for path, made in found.items()}, indent=2) + "\n")
        print(f"\nwritten to {BUDGET_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
