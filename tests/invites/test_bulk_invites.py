"""Bulk invites: N at once with the same settings, and their links as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User

from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Invalid
from guestlist.core.models import AuditEvent
from guestlist.invites import bulk
from guestlist.invites.models import Invite
from guestlist.plex.models import MediaServer

pytestmark = pytest.mark.django_db


def test_it_creates_n_invites_with_distinct_codes_and_one_audit_entry(owner: User, server: MediaServer) -> None:
    invites = bulk.create_many({"usage_limit": 1, "description": "party"}, 25, actor=Actor.admin(owner))

    assert len(invites) == 25
    assert len({invite.code for invite in invites}) == 25
    assert {invite.description for invite in invites} == {"party"}
    assert AuditEvent.objects.filter(action="invite.bulk_create").count() == 1
    assert AuditEvent.objects.filter(action="invite.create").count() == 25


@pytest.mark.parametrize("count", [0, 101, True])
def test_it_refuses_counts_out_of_range(owner: User, server: MediaServer, count: int) -> None:
    with pytest.raises(Invalid):
        bulk.create_many({}, count, actor=Actor.admin(owner))


def test_a_custom_code_only_fits_one(owner: User, server: MediaServer) -> None:
    with pytest.raises(Invalid):
        bulk.create_many({"code": "PARTY-2026"}, 2, actor=Actor.admin(owner))

    assert bulk.create_many({"code": "PARTY-2026"}, 1, actor=Actor.admin(owner))[0].code == "PARTY-2026"


def test_it_creates_all_or_nothing(owner: User, server: MediaServer) -> None:
    Invite.objects.create(server=server, code="TAKEN-CODE")

    with pytest.raises(Conflict):
        bulk.create_many({"code": "taken-code"}, 1, actor=Actor.admin(owner))
    with pytest.raises(Invalid):
        bulk.create_many({"libraries": [99]}, 3, actor=Actor.admin(owner))

    assert Invite.objects.count() == 1


def test_the_csv_lists_every_link_and_keeps_formulas_as_text(owner: User, server: MediaServer) -> None:
    invites = bulk.create_many({"description": "+SUM(A1)", "usage_limit": 2}, 2, actor=Actor.admin(owner))

    rows = list(csv.DictReader(io.StringIO(bulk.invites_csv(invites))))

    assert [row["code"] for row in rows] == [invite.code for invite in invites]
    assert rows[0]["url"] == f"http://testserver/invite/{invites[0].code}"
    assert rows[0]["description"] == "'+SUM(A1)"
    assert rows[0]["status"] == "active"
    assert rows[0]["usage_limit"] == "2"
