"""The ``guestlist`` command.

Modules that define or use Django models can only be imported once ``setup_django`` has run,
so the commands import those after calling it; everything else is imported here.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from django.core.exceptions import ImproperlyConfigured

from guestlist import __version__, demo, doctor, server
from guestlist.core.backup import BackupError, backup_install, restore_install
from guestlist.core.errors import ServiceError
from guestlist.django_setup import setup_django
from guestlist.lib.env import ConfigError
from guestlist.plex.errors import PlexError, PlexTokenRejected, PlexUnavailable

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class CommandFailed(Exception):
    """A failure the message explains; printed as one line, exit code 1."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line with the reason, as the contract promises; --help has the rest.
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def build_parser() -> Parser:
    parser = Parser(prog="guestlist", description="Guestlist: invites for your Plex server.")
    parser.add_argument("--version", action="version", version=f"guestlist {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True

    serve = commands.add_parser("serve", help="run the web app and the background jobs")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8484)
    serve.add_argument(
        "--threads", type=int, default=4, help="request threads (more help when Plex is slow; default 4)"
    )

    createadmin = commands.add_parser("createadmin", help="create an admin (the first one is the owner)")
    createadmin.add_argument("--username", required=True)
    createadmin.add_argument("--email", default="")
    createadmin.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    admin = commands.add_parser("admin", help="get an admin back in: reset a password or the second factors")
    admin_commands = admin.add_subparsers(dest="admin_command", metavar="ACTION", parser_class=Parser)
    admin_commands.required = True
    reset_password = admin_commands.add_parser(
        "reset-password", help="set a new password, lift a sign-in lock, end every session"
    )
    reset_password.add_argument("username", metavar="USER")
    reset_password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    reset_2fa = admin_commands.add_parser(
        "reset-2fa", help="remove every second factor (app, passkeys, recovery codes), end every session"
    )
    reset_2fa.add_argument("username", metavar="USER")

    apikey = commands.add_parser("apikey", help="manage API keys")
    apikey_commands = apikey.add_subparsers(dest="apikey_command", metavar="ACTION", parser_class=Parser)
    apikey_commands.required = True
    apikey_create = apikey_commands.add_parser("create", help="print a new API key once")
    apikey_create.add_argument("--name", required=True)
    apikey_create.add_argument("--admin", help="the admin who owns the key (default: the owner)")

    server = commands.add_parser("server", help="connect Plex Media Servers")
    server_commands = server.add_subparsers(dest="server_command", metavar="ACTION", parser_class=Parser)
    server_commands.required = True
    server_add = server_commands.add_parser("add", help="check a server and its token, then store them")
    server_add.add_argument("--url", required=True, help="the server's address, e.g. http://192.168.1.10:32400")
    # A token on the command line lands in the shell history and in `ps`: standard input
    # (`--token -`) or a file (`--token-file`) keep it out of both.
    token_source = server_add.add_mutually_exclusive_group(required=True)
    token_source.add_argument("--token", help="a Plex token of the server's owner; '-' reads it from standard input")
    token_source.add_argument("--token-file", metavar="FILE", help="read the Plex token from FILE")
    server_add.add_argument("--name", help="a display name (default: the server's own name)")

    demo = commands.add_parser("demo", help="run Guestlist with a simulated, connected Plex server")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8484)

    plexsim = commands.add_parser("plexsim", help="run the Plex simulator alone (plex.tv on PORT, PMS on PORT+1)")
    plexsim.add_argument("--host", default="127.0.0.1")
    plexsim.add_argument("--port", type=int, default=32500)
    plexsim.add_argument("--state", help="JSON file to load the state from and save it to")
    plexsim.add_argument("--seed-demo", action="store_true", help="start with the demo owner, server and friends")

    sync = commands.add_parser("sync", help="read the Plex server's users once and update members")
    sync.add_argument(
        "--import-friends", action="store_true", help="also make members of people who have access but are not members"
    )

    inactive = commands.add_parser(
        "inactive", help="apply the inactivity rule once now (warn, then remove), or show what it would do"
    )
    inactive.add_argument(
        "--dry-run", action="store_true", help="only list who would be warned and removed; change nothing"
    )

    backup = commands.add_parser("backup", help="copy the database and the secret key into FILE while running")
    backup.add_argument("file", metavar="FILE", help="the backup file to write (a ZIP), e.g. guestlist-backup.zip")

    commands.add_parser(
        "doctor", help="check configuration, data directory, database, Plex and the clock; say what to fix"
    )

    restore = commands.add_parser("restore", help="restore a backup FILE into this (stopped) install")
    restore.add_argument("file", metavar="FILE", help="a file written by 'guestlist backup'")
    add_transfer_commands(commands)
    return parser


def add_transfer_commands(commands: argparse._SubParsersAction[Parser]) -> None:
    """``guestlist import …`` and ``guestlist export``: moving to and away from Guestlist."""
    importer = commands.add_parser("import", help="bring invites and members over from Wizarr, Komandorr or an export")
    sources = importer.add_subparsers(dest="import_command", metavar="SOURCE", parser_class=Parser)
    sources.required = True
    for name, what in (
        ("wizarr", "Wizarr's SQLite database (read only; Wizarr may keep running)"),
        ("komandorr", "Komandorr's SQLite database (read only; Komandorr may keep running)"),
        ("guestlist", "a file written by 'guestlist export'"),
    ):
        source = sources.add_parser(name, help=f"import {what}")
        source.add_argument("file", metavar="FILE", help=what)
        source.add_argument("--dry-run", action="store_true", help="show what would be imported; write nothing")
        source.add_argument(
            "--server", help="the connected Plex server to import into (id or name; default: the only one)"
        )
    export = commands.add_parser("export", help="write invites, members, redemptions and settings to a JSON file")
    export.add_argument("file", metavar="FILE", help="the file to write, e.g. guestlist-export.json")


def _read_password(args: argparse.Namespace, command: str) -> str | None:
    """The password from stdin (--password-stdin) or asked twice on a terminal; None: no way to ask."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise CommandFailed("the two passwords differ")
        return password
    print(f"guestlist {command}: no terminal to ask for a password; use --password-stdin", file=sys.stderr)
    return None


def cmd_createadmin(args: argparse.Namespace) -> int:
    password = _read_password(args, "createadmin")
    if password is None:
        return EXIT_USAGE
    setup_django()
    from guestlist.accounts import services

    user = services.create_admin(args.username, password, email=args.email)
    role = "owner" if user.is_superuser else "admin"
    print(f"Created {role} {user.get_username()!r}.")
    return EXIT_OK


def cmd_admin_reset_password(args: argparse.Namespace) -> int:
    password = _read_password(args, "admin reset-password")
    if password is None:
        return EXIT_USAGE
    setup_django()
    from guestlist.accounts import passwords
    from guestlist.core.audit import Actor

    user = passwords.reset_password(args.username, password, actor=Actor.system())
    print(f"New password set for {user.get_username()!r}; the sign-in lock is lifted and every session ended.")
    return EXIT_OK


def cmd_admin_reset_2fa(args: argparse.Namespace) -> int:
    setup_django()
    from guestlist.accounts import passwords
    from guestlist.core.audit import Actor

    user = passwords.reset_second_factor(args.username, actor=Actor.system())
    print(
        f"Removed every second factor of {user.get_username()!r} and ended every session. "
        "They sign in with their password (or Plex) and set up a new factor."
    )
    return EXIT_OK


def cmd_apikey_create(args: argparse.Namespace) -> int:
    setup_django()
    from django.contrib.auth.models import User

    from guestlist.accounts import services
    from guestlist.core.audit import Actor

    admins = User.objects.filter(is_staff=True, is_active=True)
    admin = (
        admins.filter(username=args.admin).first()
        if args.admin
        else admins.filter(is_superuser=True).order_by("pk").first()
    )
    if admin is None:
        raise CommandFailed(
            f"there is no admin named {args.admin!r}"
            if args.admin
            else "an API key belongs to an admin; create the owner first (guestlist createadmin)"
        )
    key = services.create_api_key(args.name, created_by=admin, actor=Actor.system("cli"))
    print(f"API key {args.name!r} created. It is shown only now; store it somewhere safe:")
    print(key)
    return EXIT_OK


def read_token(args: argparse.Namespace) -> str:
    """The Plex token from ``--token``, ``--token -`` (standard input) or ``--token-file``."""
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as handle:
                token = handle.read().strip()
        except OSError as exc:
            raise CommandFailed(f"cannot read the token file {args.token_file}: {exc.strerror}") from exc
        where = f"the file {args.token_file}"
    elif args.token == "-":  # noqa: S105 - "-" means standard input, not a password
        # A terminal is asked without echo; a pipe or redirect gives its first line.
        token = getpass.getpass("Plex token: ").strip() if sys.stdin.isatty() else sys.stdin.readline().strip()
        where = "standard input"
    else:
        token, where = args.token.strip(), "--token"
    if not token:
        raise CommandFailed(f"no Plex token in {where}")
    return token


def cmd_server_add(args: argparse.Namespace) -> int:
    token = read_token(args)
    setup_django()
    from guestlist.core.audit import Actor
    from guestlist.plex import services

    try:
        outcome = services.connect_server(args.url, token, name=args.name, actor=Actor.system())
    except PlexTokenRejected as exc:
        raise CommandFailed(
            f"Plex rejected the token ({exc.message}). Copy a current token of the server's owner and try again."
        ) from exc
    except PlexUnavailable as exc:
        raise CommandFailed(
            f"the server at {args.url} did not answer ({exc.message}). Check the address and that Plex is running."
        ) from exc
    except PlexError as exc:
        raise CommandFailed(f"Plex said no: {exc}") from exc
    server = outcome.server
    titles = ", ".join(library.title for library in server.libraries.filter(is_present=True))
    verb = "Connected" if outcome.created else "Updated"
    print(f"{verb} {server.name!r} ({server.machine_identifier}); libraries: {titles}.")
    return EXIT_OK


def cmd_plexsim(args: argparse.Namespace) -> int:
    # The simulator is loaded only by this command (and the demo), never by ``serve``.
    from guestlist.plexsim.server import serve

    serve(args.host, args.port, args.state, seed_demo=args.seed_demo)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    return demo.run(host=args.host, port=args.port)


def cmd_sync(args: argparse.Namespace) -> int:
    setup_django()
    from guestlist.core.audit import Actor
    from guestlist.members.sync import sync_now
    from guestlist.plex.models import MediaServer

    if not MediaServer.objects.exists():
        raise CommandFailed(
            "no Plex server is connected, so there is nothing to sync. Connect one in the setup wizard "
            "or with 'guestlist server add'."
        )
    outcome = sync_now(actor=Actor.system(), import_friends=args.import_friends)
    print(f"Synced with Plex: {outcome}.")
    return EXIT_OK


def cmd_inactive(args: argparse.Namespace) -> int:
    setup_django()
    # Imported after setup_django: they load models.
    from guestlist.core import audit
    from guestlist.core.audit import Actor
    from guestlist.core.models import SiteSettings
    from guestlist.members import inactivity

    site = SiteSettings.load()
    if not args.dry_run and not site.inactivity_enabled:
        print(
            "The inactivity rule is off: switch it on in Settings → Inactivity first, "
            "or see what it would do with --dry-run.",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    plan, outcome = inactivity.run(dry_run=args.dry_run)
    rule = plan.rule
    print(f"Rule: warn after {rule.days} days unseen, remove {rule.grace_days} days after the warning.")
    for name, why in plan.paused.items():
        print(f"Not applied on {name}: {why.reason}")
    for title, entries in (
        ("remove", plan.remove),
        ("warn", plan.warn),
        ("waiting", plan.waiting),
    ):
        for entry in entries:
            seen = entry.last_seen.date().isoformat() if entry.last_seen else "never"
            due = entry.removal_due.date().isoformat()
            servers = ", ".join(row.server.name for row in entry.rows)
            print(f"{title}\t{entry.member.pk}\t{entry.member}\tlast seen {seen}\taccess ends {due}\t{servers}")
    for member in plan.exempt:
        print(f"exempt\t{member.pk}\t{member}")
    for member in plan.held:
        print(f"held\t{member.pk}\t{member}")
    if args.dry_run:
        print(f"Dry run: {len(plan.warn)} would be warned, {len(plan.remove)} would lose access; nothing changed.")
    else:
        audit.record(Actor.system(), "inactivity.run", None, label="inactivity rule", result=str(outcome))
        print(f"Applied: {outcome}.")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    setup_django()

    try:
        summary = backup_install(Path(args.file))
    except BackupError as exc:
        raise CommandFailed(str(exc)) from exc
    print(f"Backed up {summary.describe()} and the secret key to {summary.path}.")
    print("The file holds the secret key that unlocks the stored Plex tokens: keep it private.")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    setup_django()

    try:
        summary = restore_install(Path(args.file))
    except BackupError as exc:
        raise CommandFailed(str(exc)) from exc
    print(f"Restored the backup made {summary.created_at}: {summary.describe()}.")
    if summary.previous is not None:
        print(f"The database it replaced is kept as {summary.previous}.")
    if summary.migrations_pending:
        print("The backup is from an older Guestlist; 'guestlist serve' updates it when it starts.")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    try:
        # No migrations here: a schema that is behind is one of the things to report.
        setup_django(migrate=False)
    except (ConfigError, ImproperlyConfigured) as exc:
        print(f"PROBLEM configuration: {exc}")
        print("        fix: correct that environment variable and run guestlist doctor again")
        print("1 problem(s) to fix.")
        return EXIT_FAILURE
    return EXIT_OK if doctor.report(list(doctor.run_checks())) else EXIT_FAILURE


def cmd_import(args: argparse.Namespace) -> int:
    setup_django()
    from guestlist.core.audit import Actor
    from guestlist.transfer.importer import pick_server, run_import

    server = pick_server(args.server)
    summary = run_import(
        args.import_command, Path(args.file), actor=Actor.system(), dry_run=args.dry_run, server=server
    )
    print("\n".join(summary.lines()))
    if args.dry_run:
        print("Run it again without --dry-run to import.")
    elif not summary.changes_anything:
        print("Nothing new to import.")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    setup_django()
    from guestlist.core.audit import Actor
    from guestlist.transfer.export import write_export

    try:
        summary = write_export(Path(args.file), actor=Actor.system())
    except OSError as exc:
        raise CommandFailed(f"cannot write {args.file}: {exc.strerror or exc}") from exc
    print(f"Exported {summary.describe()} to {summary.path}.")
    print("The file holds members' e-mail addresses (no Plex tokens or passwords): keep it private.")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    # Links (the setup link, invite links) follow the address served unless the owner named one.
    os.environ.setdefault("GUESTLIST_BASE_URL", server.served_base_url(args.host, args.port))
    return server.serve(host=args.host, port=args.port, threads=args.threads)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "serve": cmd_serve,
    "createadmin": cmd_createadmin,
    "admin reset-password": cmd_admin_reset_password,
    "admin reset-2fa": cmd_admin_reset_2fa,
    "apikey create": cmd_apikey_create,
    "server add": cmd_server_add,
    "plexsim": cmd_plexsim,
    "demo": cmd_demo,
    "sync": cmd_sync,
    "inactive": cmd_inactive,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "doctor": cmd_doctor,
    "import wizarr": cmd_import,
    "import komandorr": cmd_import,
    "import guestlist": cmd_import,
    "export": cmd_export,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    action = getattr(args, f"{args.command}_command", None)
    name = f"{args.command} {action}" if action else args.command
    try:
        return COMMANDS[name](args)
    except KeyboardInterrupt:
        return EXIT_FAILURE
    except Exception as exc:
        return _explain(exc)


def _explain(exc: Exception) -> int:
    if isinstance(exc, (CommandFailed, ConfigError)):
        print(f"guestlist: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if isinstance(exc, ServiceError):
        print(f"guestlist: {exc.message}", file=sys.stderr)
        return EXIT_FAILURE
    if isinstance(exc, ImproperlyConfigured):
        print(f"guestlist: configuration error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    raise exc


def run() -> NoReturn:
    sys.exit(main())
