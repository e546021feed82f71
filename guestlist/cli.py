"""The ``guestlist`` command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from guestlist import __version__

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class CommandFailed(Exception):
    """A failure the message explains; printed as one line, exit code 1."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line with the reason, as the contract promises; --help has the rest.
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guestlist.settings")
    import django

    django.setup()


def build_parser() -> Parser:
    parser = Parser(prog="guestlist", description="Guestlist: invites for your Plex server.")
    parser.add_argument("--version", action="version", version=f"guestlist {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True

    serve = commands.add_parser("serve", help="run the web app and the background jobs")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8484)

    createadmin = commands.add_parser("createadmin", help="create an admin (the first one is the owner)")
    createadmin.add_argument("--username", required=True)
    createadmin.add_argument("--email", default="")
    createadmin.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    apikey = commands.add_parser("apikey", help="manage API keys")
    apikey_commands = apikey.add_subparsers(dest="apikey_command", metavar="ACTION", parser_class=Parser)
    apikey_commands.required = True
    apikey_create = apikey_commands.add_parser("create", help="print a new API key once")
    apikey_create.add_argument("--name", required=True)
    return parser


def cmd_createadmin(args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise CommandFailed("the two passwords differ")
    else:
        print("guestlist createadmin: no terminal to ask for a password; use --password-stdin", file=sys.stderr)
        return EXIT_USAGE
    setup_django()
    from guestlist.accounts import services

    user = services.create_admin(args.username, password, email=args.email)
    role = "owner" if user.is_superuser else "admin"
    print(f"Created {role} {user.get_username()!r}.")
    return EXIT_OK


def cmd_apikey_create(args: argparse.Namespace) -> int:
    setup_django()
    from guestlist.accounts import services

    key = services.create_api_key(args.name)
    print(f"API key {args.name!r} created. It is shown only now; store it somewhere safe:")
    print(key)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from guestlist.server import serve

    return serve(host=args.host, port=args.port)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "serve": cmd_serve,
    "createadmin": cmd_createadmin,
    "apikey create": cmd_apikey_create,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    name = args.command + (f" {args.apikey_command}" if args.command == "apikey" else "")
    try:
        return COMMANDS[name](args)
    except KeyboardInterrupt:
        return EXIT_FAILURE
    except Exception as exc:
        return _explain(exc)


def _explain(exc: Exception) -> int:
    from guestlist.lib.env import ConfigError

    if isinstance(exc, (CommandFailed, ConfigError)):
        print(f"guestlist: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    from django.core.exceptions import ImproperlyConfigured

    from guestlist.core.errors import ServiceError

    if isinstance(exc, ServiceError):
        print(f"guestlist: {exc.message}", file=sys.stderr)
        return EXIT_FAILURE
    if isinstance(exc, ImproperlyConfigured):
        print(f"guestlist: configuration error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    raise exc


def run() -> NoReturn:
    sys.exit(main())
