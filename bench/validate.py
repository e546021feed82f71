"""POST /api/invites/validate at 32 concurrent clients, next to the bare Django reference
(target: ≥ 85 % of its requests/s; and the absolute ≥ 1,000 req/s, p99 ≤ 50 ms on the 2-core
machine of bench/RESULTS.md).

Usage: .venv/bin/python -m bench.validate [--seconds 15] [--rounds 3] [--threads 4]
"""

from __future__ import annotations

import argparse
import datetime
import json

from bench.harness import Install, install, machine_summary
from bench.pairs import Pair, Reference, body_size, measure, reference_server, table

TARGET = 0.85


def post_script(target: Install, name: str, code: str) -> str:
    path = target.data_dir / f"{name}.lua"
    body = json.dumps({"code": code})
    path.write_text(f'wrk.method = "POST"\nwrk.body = \'{body}\'\nwrk.headers["Content-Type"] = "application/json"\n')
    return str(path)


def pairs(target: Install, reference: Reference, *, rounds: int, seconds: int) -> list[Pair]:
    invite = target.api("POST", "/api/invites/", json={"usage_limit": None, "libraries": "all"}).json()
    assert target.server is not None
    ours, theirs = f"{target.base_url}/api/invites/validate", f"{reference.base_url}/validate"
    pair = Pair("`POST /api/invites/validate`", TARGET)
    pair.size = (
        body_size(ours, data=json.dumps({"code": invite["code"]}), headers={"Content-Type": "application/json"}),
        body_size(theirs, data=json.dumps({"code": "REF00001"}), headers={"Content-Type": "application/json"}),
    )
    scripts = (post_script(target, "validate", invite["code"]), post_script(target, "reference", "REF00001"))
    measure(pair, (ours, target.server.pid), (theirs, reference.pid), rounds=rounds, seconds=seconds, scripts=scripts)
    return [pair]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    with install() as target, reference_server(args.threads) as reference:
        target.start_server("--threads", str(args.threads))
        found = pairs(target, reference, rounds=args.rounds, seconds=args.seconds)
    print(
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}; {machine_summary()}; granian --threads {args.threads} for both, "
        f"SQLite; `wrk -t2 -c32 -d{args.seconds}s`, {args.rounds} alternating rounds each\n"
    )
    print(table(found))
    best = found[0].ours.best
    print(f"\nnon-2xx: {best['non_2xx']:.0f} of {best['requests']:.0f}; p50 {best['p50']:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
