"""Configuring Django outside a web server: the CLI, the demo, ``serve`` and the job worker.

Its own module so that ``cli``, ``server`` and ``demo`` each import it rather than one another.
"""

from __future__ import annotations

import os
import sys

import django
from django.core.management import call_command


def setup_django(*, migrate: bool = True) -> None:
    """Configure Django; by default also bring the database schema up to date, so any command
    works on a fresh install (``createadmin`` before the first ``serve``, for example)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guestlist.settings")
    django.setup()
    from django.conf import settings

    if settings.DATA_DIR_CREATED:
        # "./data" is relative to the current directory: a command run elsewhere starts an
        # empty second install, and this line is the hint.
        print(f"guestlist: created a new data directory {settings.DATA_DIR}", file=sys.stderr)
    if migrate:
        call_command("migrate", interactive=False, verbosity=0)
