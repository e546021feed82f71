"""POST /api/invites/validate at 32 concurrent clients (target: >= 1,000 req/s, p99 <= 50 ms)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from bench.harness import install, machine_summary, wrk


def main(threads: int = 4) -> None:
    with install() as target:
        target.start_server("--threads", str(threads))
        invite = target.api("POST", "/api/invites/", json={"usage_limit": None, "libraries": "all"}).json()
        script = Path(tempfile.mkdtemp()) / "validate.lua"
        body = json.dumps({"code": invite["code"]})
        script.write_text(
            f'wrk.method = "POST"\nwrk.body = \'{body}\'\nwrk.headers["Content-Type"] = "application/json"\n'
        )
        wrk(f"{target.base_url}/api/invites/validate", seconds=3, script=str(script))  # warm-up
        result = wrk(f"{target.base_url}/api/invites/validate", seconds=15, script=str(script))
    print(f"machine: {machine_summary()}")
    print(
        f"validate: {result['rps']:.0f} req/s, p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms, "
        f"non-2xx {result['non_2xx']:.0f} of {result['requests']:.0f}"
    )


if __name__ == "__main__":
    import sys

    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4)
