"""Idle memory of ``guestlist serve``: the web process and its job runner.

Starts the Plex simulator, a scratch install with the simulator's server connected, and
``guestlist serve``; then reads RSS and PSS of both processes right after start, and
again once every job has run (the Plex sync first runs a minute in, and is the first job
that loads the Plex gateway). Run from the repository root:

    .venv/bin/python -m bench.serve_memory
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from guestlist.cli import setup_django


def _kib(pid: int, path: str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MiB."""
    return _kib(pid, "status", "VmRSS:") / 1024, _kib(pid, "smaps_rollup", "Pss:") / 1024


def main() -> None:
    setup_django()
    from guestlist.plexsim import PlexSimulator
    from tests.conftest import MACHINE_ID, OWNER_PLEX_TOKEN
    from tests.lifecycle.installs import Install, children_of, wait_for

    sim = PlexSimulator().start()
    owner = sim.add_account("plexowner", "owner@example.com", plex_pass=True, token=OWNER_PLEX_TOKEN)
    sim.add_server(owner, "Bench", machine_identifier=MACHINE_ID)
    data = Path(tempfile.mkdtemp(prefix="guestlist-bench-")) / "data"
    data.mkdir()
    install = Install(data, sim).set_up()
    try:
        serve = install.start()
        install.wait_until_serving()
        wait_for(lambda: bool(children_of(serve.pid)), 20, "the job runner")
        runner = children_of(serve.pid)[0]
        time.sleep(5)
        report("after start", serve.pid, runner)
        wait_for(
            lambda: install.scalar("SELECT COUNT(*) FROM jobs_jobstatus WHERE last_finished_at IS NOT NULL") >= 4,
            120,
            "every job to run once",
            every=1,
        )
        time.sleep(2)
        report("after every job ran once", serve.pid, runner)
    finally:
        install.stop_all()
        sim.stop()


def report(moment: str, web: int, runner: int) -> None:
    web_rss, web_pss = memory(web)
    runner_rss, runner_pss = memory(runner)
    print(
        f"{moment}: web {web_rss:.0f} MiB RSS ({web_pss:.0f} PSS), runner {runner_rss:.0f} MiB RSS "
        f"({runner_pss:.0f} PSS); total {web_rss + runner_rss:.0f} MiB RSS ({web_pss + runner_pss:.0f} PSS)",
        flush=True,
    )


if __name__ == "__main__":
    main()
