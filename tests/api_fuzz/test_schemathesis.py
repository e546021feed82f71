"""The API fuzzed from its own OpenAPI schema (issue 12, 2.6).

Schemathesis generates requests for every operation of ``/api/openapi.json`` and sends them,
with an API key, to a real ``guestlist serve`` child process connected to the Plex
simulator. Every answer must be no server error, have a documented status code and content
type, and match the documented schema. Generation is deterministic (a fixed seed and
``--generation-deterministic``), so a failure in CI reproduces locally with the same command.

It runs on the SQLite leg only: the PostgreSQL leg would double a few minutes for no new
finding (the API's answers do not depend on the database engine), so there it is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from guestlist.plexsim import PlexSimulator
from tests.conftest import MACHINE_ID, OWNER_PLEX_TOKEN, SERVER_NAME
from tests.lifecycle.installs import Install

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="runs on the SQLite leg only (see the module's docstring)",
    ),
]

SEED = 20261202
EXAMPLES_PER_OPERATION = 25
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
BUDGET_SECONDS = 420


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Install]:
    """A running install with the simulator's server connected, an owner and an API key.

    Its own simulator, not the suite's (which is reset before every test)."""
    simulator = PlexSimulator().start()
    owner = simulator.add_account("plexowner", "owner@example.com", plex_pass=True, token=OWNER_PLEX_TOKEN)
    simulator.add_server(owner, SERVER_NAME, machine_identifier=MACHINE_ID)
    for name in ("guest", "alice", "bob", "carol"):
        simulator.add_account(name, f"{name}@example.com")
    install = Install(tmp_path / "data", simulator).set_up()
    try:
        install.start()
        install.wait_until_serving()
        # Something to find: an invite and a member, so ids 1 lead somewhere.
        status, invite = install.post("/api/invites/", {"usage_limit": 5})
        assert status == 201, invite
        assert install.post("/api/invites/redeem", {"code": invite["code"], "email": "guest@example.com"})[0] == 201
        yield install
    finally:
        install.stop_all()
        simulator.stop()


def test_every_operation_answers_as_its_schema_says(live: Install, tmp_path: Path) -> None:
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
    command = [
        st,
        "--no-color",
        "run",
        f"{live.base_url}/api/openapi.json",
        "--header",
        f"X-Api-Key: {live.api_key}",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--mode",
        "positive",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        str(SEED),
        "--generation-deterministic",
        "--continue-on-failure",
        "--workers",
        "1",
        "--request-timeout",
        "30",
    ]
    # In the scratch folder: Schemathesis keeps a cache (.schemathesis/) where it runs.
    done = subprocess.run(command, capture_output=True, text=True, timeout=BUDGET_SECONDS, check=False, cwd=tmp_path)
    report = done.stdout[-20000:] + done.stderr[-5000:]
    print(report)
    assert done.returncode == 0, report
    assert "38/38" in report or "Tested:" in report
