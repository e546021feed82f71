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


@pytest.mark.django_db
def test_the_tab_count_triggers_are_there_after_every_migration() -> None:
    # SQLite drops a table's triggers when a migration rebuilds it: a later migration that
    # rebuilds invites_invite must make them again (``kept_counts.ensure_count_triggers``), or
    # the invite list's cached counts would go stale.
    from guestlist.invites import kept_counts

    assert kept_counts.trigger_names() == kept_counts.expected_trigger_names()


@pytest.mark.django_db
def test_the_search_indexes_and_their_triggers_are_there_after_every_migration() -> None:
    # The same hazard for the search: SQLite's FTS tables are kept by triggers on the tables
    # they index, and PostgreSQL's trigram indexes sit on expressions a migration could drop.
    from guestlist.invites import search_index

    assert search_index.missing_search_indexes() == set()
