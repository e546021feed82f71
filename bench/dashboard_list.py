"""The dashboard's invites list (first page of 50, signed in as an admin) at 32 concurrent
clients, next to the bare Django reference's 50-row table (target: ≥ 50 % of its requests/s).

Usage: .venv/bin/python -m bench.dashboard_list [--seconds 15] [--rounds 3] [--invites 1000] [--threads 4]

The reference reads 50 rows in one query and renders them; the dashboard also reads the
admin's session and user, counts the tabs and builds each row's status and link, which is
why its target is lower.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys

from bench.harness import ROOT, Install, install, machine_summary
from bench.invite_page import in_this_process
from bench.pairs import Pair, Reference, body_size, measure, reference_server, table

TARGET = 0.50


def admin_cookie() -> str:
    """A signed-in owner's session cookie, made in this process (Django is set up on the install)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    User = get_user_model()  # noqa: N806

    user = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser("bench-owner")
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def pairs(target: Install, reference: Reference, *, rounds: int, seconds: int) -> list[Pair]:
    assert target.server is not None
    cookie = admin_cookie()
    script = target.data_dir / "admin.lua"
    script.write_text(f'wrk.headers["Cookie"] = "{cookie}"\n')
    ours, theirs = f"{target.base_url}/invites", f"{reference.base_url}/list"
    pair = Pair("dashboard invites list (50 rows)", TARGET)
    pair.size = (body_size(ours, headers={"Cookie": cookie}), body_size(theirs))
    measure(
        pair,
        (ours, target.server.pid),
        (theirs, reference.pid),
        rounds=rounds,
        seconds=seconds,
        scripts=(str(script), None),
    )
    if pair.size[0] < 10_000 or pair.ours.best["non_2xx"]:
        raise RuntimeError("the dashboard answered with redirects or errors; is the session valid?")
    return [pair]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--invites", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    with install() as target, reference_server(args.threads, items=args.invites) as reference:
        subprocess.run([sys.executable, "-m", "bench.seed", str(args.invites), str(args.invites // 5)], env=target.env,
                       cwd=ROOT, check=True)  # fmt: skip
        target.start_server("--threads", str(args.threads))
        in_this_process(target)
        found = pairs(target, reference, rounds=args.rounds, seconds=args.seconds)
    print(
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}; {machine_summary()}; granian --threads {args.threads} for both, "
        f"SQLite, {args.invites} invites; `wrk -t2 -c32 -d{args.seconds}s`, {args.rounds} alternating rounds each\n"
    )
    print(table(found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
