"""GET /invite/CODE at 32 concurrent clients, next to the bare Django reference (target: ≥ 85 %).

Usage: .venv/bin/python -m bench.invite_page [--seconds 15] [--rounds 3] [--sessions 20000] [--threads 4]

A scratch install (bench.harness) with many dashboard sessions in the table (a peer's invite
page slows down once many exist), `guestlist serve` with rate limits off, and the reference
project (bench/reference) on the same server settings. Alternating wrk rounds of each; the
table gives Guestlist's best requests/s as a share of the reference's, and CPU per request
of each serving process. Pages: the invite, the invite in German, an unknown code (each
against the reference's page, or its 404), and /login for comparison.
Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import os

from bench.harness import Install, install, machine_summary
from bench.pairs import Pair, Reference, body_size, measure, reference_server, table

TARGET = 0.85


def seed_sessions(count: int) -> None:
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    user = User.objects.create_user("bench-admin", is_staff=True)
    data = SessionStore().encode({"_auth_user_id": str(user.pk)})
    expires = timezone.now() + datetime.timedelta(days=14)
    Session.objects.bulk_create(
        (Session(session_key=f"bench{index:027d}", session_data=data, expire_date=expires) for index in range(count)),
        batch_size=2000,
    )


def in_this_process(target: Install) -> None:
    """Django here, on the same data dir as the running server."""
    os.environ.update(target.env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "guestlist.settings"
    import django

    django.setup()


def language_script(target: Install, language: str) -> str:
    path = target.data_dir / f"language-{language}.lua"
    path.write_text(f'wrk.headers["Accept-Language"] = "{language}"\n')
    return str(path)


def pairs(target: Install, reference: Reference, *, rounds: int, seconds: int) -> list[Pair]:
    """The invite page's pairs; the install's server and the reference are running."""
    invite = target.api(
        "POST",
        "/api/invites/",
        json={"libraries": "all", "allow_sync": True, "expires_in_days": 7, "usage_limit": 5},
    ).json()
    assert target.server is not None
    ours, theirs = target.server.pid, reference.pid
    german = language_script(target, "de")
    cases = [
        ("`/invite/CODE`", f"/invite/{invite['code']}", "/page/REF00001", None, TARGET),
        ("`/invite/CODE`, `Accept-Language: de`", f"/invite/{invite['code']}", "/page/REF00001", german, TARGET),
        ("`/invite/UNKNOWN1` (404)", "/invite/UNKNOWN1", "/page/UNKNOWN1", None, TARGET),
        ("`/login` (for comparison)", "/login", "/page/REF00001", None, 0.0),
    ]
    found = []
    for name, path, reference_path, script, target_share in cases:
        pair = Pair(name, target_share)
        pair.size = (body_size(f"{target.base_url}{path}"), body_size(f"{reference.base_url}{reference_path}"))
        measure(
            pair,
            (f"{target.base_url}{path}", ours),
            (f"{reference.base_url}{reference_path}", theirs),
            rounds=rounds,
            seconds=seconds,
            scripts=(script, script),
        )
        found.append(pair)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    with install() as target, reference_server(args.threads) as reference:
        target.start_server("--threads", str(args.threads))
        in_this_process(target)
        seed_sessions(args.sessions)
        found = pairs(target, reference, rounds=args.rounds, seconds=args.seconds)

    print(
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}; {machine_summary()}; granian --threads {args.threads} for both, "
        f"SQLite, {args.sessions} sessions in Guestlist's table; `wrk -t2 -c32 -d{args.seconds}s`, "
        f"{args.rounds} alternating rounds each, best round compared\n"
    )
    print(table(found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
