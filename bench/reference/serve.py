"""Serves the reference project like `guestlist serve` serves Guestlist: granian, WSGI, one
process, N threads.

Usage: python -m bench.reference.serve --port 8500 --threads 4 --db /tmp/ref.sqlite3 [--items 1000]
"""

from __future__ import annotations

import argparse
import datetime
import os


def prepare(items: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from bench.reference.models import Item

    call_command("migrate", verbosity=0)
    with connection.schema_editor() as editor:
        if Item._meta.db_table not in connection.introspection.table_names():
            editor.create_model(Item)
    if not Item.objects.exists():
        now = datetime.datetime.now(datetime.UTC)
        Item.objects.bulk_create(
            Item(
                code=f"REF{index:05d}",
                description=f"Book club, round {index}",
                usage_limit=5,
                used_count=index % 5,
                created_at=now - datetime.timedelta(minutes=index),
                expires_at=now + datetime.timedelta(days=7),
            )
            for index in range(items)
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--db", required=True)
    parser.add_argument("--items", type=int, default=1000)
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.reference.settings"
    os.environ["REFERENCE_DB"] = args.db
    import django

    django.setup()
    prepare(args.items)
    from django.core.wsgi import get_wsgi_application

    from guestlist.server import web_server

    application = get_wsgi_application()
    web_server("127.0.0.1", args.port, args.threads, target="bench.reference").serve(
        target_loader=lambda _target: application
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
