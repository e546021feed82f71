from __future__ import annotations

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree() -> None:
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_every_migration_runs_backwards_and_forwards() -> None:
    for app in ("invites", "members", "plex", "jobs", "accounts", "core"):
        call_command("migrate", app, "zero", verbosity=0)
    call_command("migrate", verbosity=0)
