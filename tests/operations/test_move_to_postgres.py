"""The README's "Moving from SQLite to PostgreSQL" works as written.

The shell block of that section runs unchanged, except for the database address: a SQLite
install with an admin, an API key and an invite is exported and loaded into a new, empty
PostgreSQL database, and everything is there afterwards (the key still signs in, the
sequences continue after the copied rows). Only in the PostgreSQL leg, which has a server.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
README_URL = "postgres://guestlist:PASSWORD@127.0.0.1:5432/guestlist"

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs the PostgreSQL leg's server"
)


def readme_steps() -> str:
    section = (ROOT / "README.md").read_text().split("## Moving from SQLite to PostgreSQL", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, "the section's shell block"
    return match.group(1)


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    import psycopg

    server = os.environ["DATABASE_URL"]
    name = "guestlist_move_" + secrets.token_hex(4)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE {name} WITH (FORCE)")


def run(script: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(  # noqa: S603 - our own commands
        ["/bin/bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


FILL_SQLITE = """
printf 'a long enough passphrase 1\\n' | guestlist createadmin --username owner --password-stdin
guestlist apikey create --name moving | grep -o 'gl_[A-Za-z0-9_-]*' > key.txt
python - <<'PY'
from guestlist.django_setup import setup_django
setup_django()
from guestlist.invites.models import Invite
from guestlist.plex.models import MediaServer
server = MediaServer(name="Home", base_url="http://127.0.0.1:9", machine_identifier="move-test")
server.admin_token = "the-owners-plex-token"
server.save()
Invite.objects.create(code="MOVEME01", description="before the move", usage_limit=3, server=server)
PY
"""

READ_BACK = """
python - <<'PY'
from guestlist.django_setup import setup_django
setup_django()
from django.db import connection
from guestlist.accounts.models import ApiKey
from guestlist.invites.models import Invite
from guestlist.plex.models import MediaServer
assert connection.vendor == "postgresql", connection.vendor
key = open("key.txt").read().strip()
print("invite", Invite.objects.get(code="MOVEME01").description)
print("key", ApiKey.objects.count())
print("token", MediaServer.objects.get().admin_token)
server = MediaServer.objects.get()
after = Invite.objects.create(code="AFTER001", server=server)
print("new invite id follows", after.pk > Invite.objects.get(code="MOVEME01").pk)
PY
"""


def test_the_readme_moves_an_install_from_sqlite_to_postgresql(tmp_path: Path, empty_postgres: str) -> None:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env |= {"GUESTLIST_DATA_DIR": str(tmp_path / "data"), "PATH": f"{VENV_BIN}:{env['PATH']}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    run(FILL_SQLITE, env, tmp_path)

    # The README's block as written, with
    # the test server's address and without the final doctor call, which would ask Plex.
    steps = readme_steps().replace(README_URL, empty_postgres).replace(".venv/bin/", f"{VENV_BIN}/")
    steps = "\n".join(line for line in steps.splitlines() if "guestlist doctor" not in line)
    run(steps, env, tmp_path)

    shown = run(READ_BACK, env | {"DATABASE_URL": empty_postgres}, tmp_path)
    assert "invite before the move" in shown
    assert "key 1" in shown
    assert "token the-owners-plex-token" in shown  # the same secret key unlocks it
    assert "new invite id follows True" in shown
