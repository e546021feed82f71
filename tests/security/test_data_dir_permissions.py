"""Only Guestlist's own user reads its data (audit 1.7): the data directory is 0700 and every
file Guestlist makes in it 0600 (database, WAL/SHM, secret key, QR cache, backups and what
a restore sets aside), on a fresh install and, from the first start, on an older one.

Always a SQLite install in a child process with the usual umask 022, whatever the suite's
database: the files are what this is about.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from guestlist.plexsim import PlexSimulator
from tests.conftest import OWNER_PLEX_TOKEN
from tests.lifecycle.installs import Install

pytestmark = pytest.mark.slow

# Runs in the install's process: a start, an invite with its QR codes, a backup kept in the
# data directory and a restore of it; then the modes of everything while the database is open.
LIFE = """
import json, os, stat, sys
from pathlib import Path
os.umask(0o022)
from guestlist.django_setup import setup_django
setup_django(migrate=False)
from guestlist.server import prepare
prepare(announce=lambda _: None)
from django.conf import settings
from django.db import connection
data = Path(settings.DATA_DIR)
if sys.argv[1] == "fresh":
    from django.contrib.auth.models import User
    from guestlist.core.audit import Actor
    from guestlist.core.backup import backup_install, restore_install
    from guestlist.invites.qr import render_qr
    from guestlist.invites.services import create_invite
    from guestlist.plex.services import connect_server
    owner = User.objects.create_user("owner", is_staff=True, is_superuser=True)
    connect_server(sys.argv[2], sys.argv[3], actor=Actor.system())
    invite = create_invite({}, actor=Actor.system(), created_by=owner)
    render_qr(invite, "png")
    render_qr(invite, "svg")
    (data / "backups").mkdir(mode=0o700)  # the owner's own folder: its mode is theirs
    backup_install(data / "backups" / "guestlist.zip")
    restore_install(data / "backups" / "guestlist.zip")
    connection.close()
    from guestlist.invites.models import Invite
    Invite.objects.count()
with connection.cursor() as cursor:
    cursor.execute("BEGIN IMMEDIATE")
    cursor.execute("UPDATE core_sitesettings SET welcome_markdown = 'x'")
    modes = {str(p.relative_to(data.parent)): oct(stat.S_IMODE(p.lstat().st_mode)) for p in [data, *data.rglob("*")]}
    cursor.execute("ROLLBACK")
print(json.dumps(modes))
"""


@pytest.fixture
def install(tmp_path: Path, sim: PlexSimulator) -> Iterator[Install]:
    yield Install(tmp_path / "data", sim)


def modes_after(install: Install, kind: str) -> dict[str, str]:
    done = install.run("-c", LIFE, kind, install.sim.pms_url, OWNER_PLEX_TOKEN)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def assert_private(modes: dict[str, str], root: Path) -> None:
    wrong = {
        name: mode for name, mode in modes.items() if mode != ("0o700" if (root.parent / name).is_dir() else "0o600")
    }
    assert wrong == {}


def test_a_fresh_install_keeps_its_data_to_itself(install: Install) -> None:
    modes = modes_after(install, "fresh")

    names = set(modes)
    assert {"data", "data/guestlist.sqlite3", "data/guestlist.sqlite3-wal", "data/guestlist.sqlite3-shm"} <= names
    assert {"data/secret_key", "data/qr", "data/backups/guestlist.zip"} <= names
    assert any(name.startswith("data/qr/") and name.endswith(".png") for name in names)
    assert any(".before-restore-" in name for name in names)
    assert_private(modes, install.data_dir)


def test_an_older_install_is_made_private_when_it_starts(install: Install) -> None:
    modes_after(install, "fresh")
    # As an older Guestlist left it: readable by every local user.
    for path in [install.data_dir, *install.data_dir.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert stat.S_IMODE(os.stat(install.data_dir / "guestlist.sqlite3").st_mode) == 0o644

    modes = modes_after(install, "start")

    assert_private(modes, install.data_dir)
