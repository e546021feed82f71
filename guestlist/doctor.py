"""``guestlist doctor``: is this install well? Each check says what it found and, when
something is wrong, what to do about it. Exit code 0 only when nothing is wrong.

Checks: the configuration (the environment is read the way ``serve`` reads it), the data
directory (writable, files owned by this user, the secret key private), the database
(reachable, migrated, sound; on PostgreSQL the ``pg_trgm`` extension and the search
indexes, made now if the extension arrived late), each connected Plex server (the
owner's token at plex.tv, the server itself) and the clock against the server's.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

# The checks import Django's models and Guestlist's apps inside their functions: the CLI
# imports this module before ``setup_django`` has run (and must report a bad configuration).

# More than this between our clock and Plex's breaks PIN sign-ins and moves expiries.
MAX_SKEW_SECONDS = 60.0


@dataclass(frozen=True)
class Finding:
    area: str
    ok: bool
    message: str
    fix: str = ""


def check_configuration() -> Iterator[Finding]:
    """Reading the settings raised nothing by now (the CLI reports a ConfigError itself)."""
    from django.conf import settings

    yield Finding("configuration", True, f"read; public address {settings.BASE_URL}{settings.URL_BASE}")
    host = settings.BASE_URL.split("://", 1)[1].split(":")[0].strip("[]")
    if host in ("127.0.0.1", "localhost", "::1"):
        # Not wrong (a single-machine install), but links will not open anywhere else.
        yield Finding(
            "configuration",
            True,
            "GUESTLIST_BASE_URL points at this machine only: invite links and QR codes will not open elsewhere",
            "set GUESTLIST_BASE_URL to the address people use, e.g. http://192.168.1.20:8484",
        )


def check_data_dir() -> Iterator[Finding]:
    from django.conf import settings

    from guestlist.lib.datadir import SECRET_KEY_FILE

    data_dir = Path(settings.DATA_DIR)
    uid = os.geteuid()
    if not os.access(data_dir, os.W_OK | os.X_OK):
        yield Finding(
            "data directory",
            False,
            f"{data_dir} is not writable by this user (uid {uid})",
            f"chown -R {uid}:{os.getegid()} {data_dir} (in a container: set PUID/PGID to the folder's owner)",
        )
        return
    foreign = []
    for path in [data_dir, *data_dir.iterdir()]:
        info = path.lstat()
        if info.st_uid != uid or (path.is_file() and not os.access(path, os.R_OK | os.W_OK)):
            foreign.append(path.name or str(path))
    if foreign and uid != 0:
        yield Finding(
            "data directory",
            False,
            f"{len(foreign)} file(s) in {data_dir} belong to another user: {', '.join(sorted(foreign)[:5])}",
            f"chown -R {uid}:{os.getegid()} {data_dir} (files written by a command run as root, or a changed PUID)",
        )
    else:
        yield Finding("data directory", True, f"{data_dir} is writable")
    key = data_dir / SECRET_KEY_FILE
    if key.exists() and key.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        yield Finding(
            "data directory",
            False,
            f"the secret key {key} is readable by other users",
            f"chmod 600 {key}",
        )


def check_database() -> Iterator[Finding]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        connection.ensure_connection()
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the finding
        yield Finding(
            "database",
            False,
            f"cannot connect: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}",
            "check DATABASE_URL (host, port, user, password) and that the database server runs",
        )
        return
    pending = MigrationExecutor(connection).migration_plan(MigrationExecutor(connection).loader.graph.leaf_nodes())
    if pending:
        yield Finding(
            "database",
            False,
            f"{len(pending)} migration(s) not applied yet",
            "start Guestlist (guestlist serve applies them), or restart the container",
        )
    else:
        yield Finding("database", True, f"{connection.vendor} reachable, schema up to date")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA quick_check")
            row = cursor.fetchone()
        result = str(row[0]) if row else "no answer"
        if result != "ok":
            yield Finding(
                "database",
                False,
                f"SQLite reports damage: {result}",
                "stop Guestlist and restore the latest backup (guestlist restore FILE)",
            )
    if connection.vendor == "postgresql" and not pending:
        from guestlist.invites.search_indexes import ensure_search_indexes

        indexes = ensure_search_indexes()
        if not indexes.extension:
            yield Finding(
                "database",
                False,
                "the pg_trgm extension is missing: searches scan whole tables",
                "as a PostgreSQL superuser, in Guestlist's database: CREATE EXTENSION pg_trgm; "
                "then run guestlist doctor again (it creates the search indexes)",
            )
        elif indexes.created:
            yield Finding("database", True, f"pg_trgm present; created the search indexes {', '.join(indexes.created)}")
        else:
            yield Finding("database", True, "pg_trgm present with its search indexes")


def check_plex() -> Iterator[Finding]:
    from guestlist.lib.crypto import DecryptionError
    from guestlist.plex.errors import PlexError
    from guestlist.plex.models import MediaServer
    from guestlist.plex.services import check_health, clock_skew

    servers = list(MediaServer.objects.order_by("pk"))
    if not servers:
        yield Finding(
            "plex",
            False,
            "no Plex server is connected",
            "finish the setup in the browser, or: guestlist server add --url URL --token-file FILE",
        )
        return
    for server in servers:
        name = f"Plex server {server.name!r}"
        try:
            health = check_health(server)
        except DecryptionError:
            yield Finding(
                "plex",
                False,
                f"{name}: the stored token cannot be read with this install's secret key",
                "the secret key changed: restore it (GUESTLIST_SECRET_KEY or the data directory's secret_key), "
                "or connect the server again",
            )
            continue
        if health.token_ok is False:
            yield Finding(
                "plex",
                False,
                f"{name}: plex.tv rejected the owner's token ({health.error})",
                "sign in with Plex again under Settings > Connection, or guestlist server add --token-file FILE",
            )
        if health.server_ok is False:
            yield Finding(
                "plex",
                False,
                f"{name} at {server.base_url} did not answer ({health.error})",
                "check that Plex runs and that this machine (or container) reaches that address",
            )
        if health.token_ok is None and health.server_ok is not False:
            yield Finding("plex", False, f"{name}: plex.tv could not be asked ({health.error})", "check the network")
        if health.token_ok and health.server_ok:
            yield Finding("plex", True, f"{name}: token accepted, server answering at {server.base_url}")
        if not health.server_ok:
            continue
        try:
            skew = clock_skew(server)
        except PlexError as exc:
            yield Finding("clock", False, f"{name}: could not read its clock ({exc.message})")
            continue
        if skew is None:
            yield Finding("clock", True, f"{name} sends no Date header; clock not compared")
        elif abs(skew) > MAX_SKEW_SECONDS:
            direction = "ahead of" if skew > 0 else "behind"
            yield Finding(
                "clock",
                False,
                f"{name}: its clock is {abs(skew):.0f} s {direction} this machine's",
                "turn on time synchronisation (NTP, e.g. systemd-timesyncd) on this machine and the Plex machine",
            )
        else:
            yield Finding("clock", True, f"within {abs(skew):.0f} s of {name}'s clock")


CHECKS: tuple[Callable[[], Iterator[Finding]], ...] = (check_configuration, check_data_dir, check_database, check_plex)


def run_checks() -> Iterator[Finding]:
    for check in CHECKS:
        try:
            yield from check()
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            yield Finding(check.__name__.removeprefix("check_").replace("_", " "), False, f"the check failed: {exc}")
            if check is check_database:
                return  # without a database the Plex checks can only fail the same way


def report(findings: list[Finding], write: Callable[[str], None] = print) -> bool:
    """Print the findings; True when all is well."""
    for finding in findings:
        mark = "ok     " if finding.ok and not finding.fix else ("note   " if finding.ok else "PROBLEM")
        write(f"{mark} {finding.area}: {finding.message}")
        if finding.fix:
            write(f"        fix: {finding.fix}")
    problems = sum(not finding.ok for finding in findings)
    write("All is well." if not problems else f"{problems} problem(s) to fix.")
    return not problems
