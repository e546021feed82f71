"""GET /invite/CODE at 32 concurrent clients (target: >= 900 req/s on this 2-core machine).

Usage: .venv/bin/python -m bench.invite_page [--seconds 15] [--rounds 3] [--sessions 20000] [--threads 4]

A scratch install (bench.harness) with many dashboard sessions in the table (a peer's invite
page slows down once many exist), `guestlist serve` with rate limits off, then:
- CPU per request, in this process through the WSGI app: hardly moves when other work
  shares the machine, so it is the number to compare between changes;
- wrk's requests/s, best of several rounds (other work only ever slows a round down).
Pages: the invite, the invite in German, an unknown code, and /login for comparison.
Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import sys
import time
from pathlib import Path

from bench.harness import Install, install, machine_summary, wrk

TARGET_PER_SECOND = 900


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


def cpu_per_request(path: str, *, language: str | None = None, count: int = 3000) -> float:
    """Microseconds of this process's CPU per request through the WSGI app, no server."""
    from guestlist.wsgi import application

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8484",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    if language:
        environ["HTTP_ACCEPT_LANGUAGE"] = language

    def start_response(status: str, headers: object, exc_info: object = None) -> None:
        assert status[:3] in ("200", "404"), status

    def call() -> None:
        body = application({**environ, "wsgi.input": io.BytesIO(b"")}, start_response)
        b"".join(body)
        body.close()  # type: ignore[attr-defined]

    for _ in range(200):
        call()
    started = time.process_time()
    for _ in range(count):
        call()
    return (time.process_time() - started) / count * 1e6


def in_this_process(target: Install) -> None:
    """Django here, on the same data dir as the running server."""
    os.environ.update(target.env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "guestlist.settings"
    import django

    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    with install() as target:
        target.start_server("--threads", str(args.threads))
        invite = target.api(
            "POST",
            "/api/invites/",
            json={"libraries": "all", "allow_sync": True, "expires_in_days": 7, "usage_limit": 5},
        ).json()
        in_this_process(target)
        seed_sessions(args.sessions)
        page = f"/invite/{invite['code']}"
        pages = [
            ("`/invite/CODE`", page, None),
            ("`/invite/CODE`, `Accept-Language: de`", page, "de"),
            ("`/invite/UNKNOWN1` (404)", "/invite/UNKNOWN1", None),
            ("`/login` (for comparison)", "/login", None),
        ]
        load_before = Path("/proc/loadavg").read_text().split()[0]
        rows = []
        for name, path, language in pages:
            micros = cpu_per_request(path, language=language)
            script = None
            if language:
                script_path = target.data_dir / "language.lua"
                script_path.write_text(f'wrk.headers["Accept-Language"] = "{language}"\n')
                script = str(script_path)
            url = f"{target.base_url}{path}"
            wrk(url, seconds=3, script=script)  # warm-up
            rounds = [wrk(url, seconds=args.seconds, script=script) for _ in range(args.rounds)]
            rows.append((name, micros, max(rounds, key=lambda result: result["rps"]), rounds))
        load_after = Path("/proc/loadavg").read_text().split()[0]

    print(
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}; {machine_summary()}; `guestlist serve --threads {args.threads}`, "
        f"SQLite, {args.sessions} sessions in the table; `wrk -t2 -c32 -d{args.seconds}s`, best of {args.rounds} "
        f"rounds; load average {load_before} before, {load_after} after (other work shared the machine)\n"
    )
    print("| page | CPU per request | requests/s (best) | all rounds | p50 | p99 | non-2xx |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for name, micros, best, rounds in rows:
        every = " / ".join(f"{result['rps']:.0f}" for result in rounds)
        print(
            f"| {name} | {micros:.0f} µs | {best['rps']:.0f} | {every} | {best['p50']:.1f} ms | {best['p99']:.1f} ms "
            f"| {best['non_2xx']:.0f} |"
        )
    achieved = rows[0][2]["rps"]
    verdict = "met" if achieved >= TARGET_PER_SECOND else f"missed by {TARGET_PER_SECOND - achieved:.0f}/s"
    print(f"\nTarget ≥ {TARGET_PER_SECOND} requests/s on the invite page: {verdict}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
