"""Actions the dashboard's forms start are services, each deciding in one transaction:
bulk member actions and "create an invite and save it as a template"."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Invalid
from guestlist.invites import invite_templates
from guestlist.invites.models import Invite, InviteTemplate
from guestlist.members import services
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.dashboard.conftest import join, make_invite


def test_a_bulk_action_skips_members_without_access_and_counts_what_it_did(
    sim: PlexSimulator, server: MediaServer, owner: User
) -> None:
    invite = make_invite(owner, usage_limit=5)
    alice, bob, gone = (join(sim, invite, name) for name in ("alice", "bob", "carol"))
    Member.objects.filter(pk=gone.pk).update(status=Member.Status.REMOVED)

    outcome = services.act_on_members([alice.pk, bob.pk, gone.pk], "extend", actor=Actor.admin(owner), days=7)

    assert (outcome.done, outcome.queued, outcome.skipped) == (2, 0, 1)
    assert Member.objects.filter(pk__in=[alice.pk, bob.pk], expires_at__isnull=False).count() == 2
    assert Member.objects.get(pk=gone.pk).expires_at is None


def test_a_bulk_removal_marks_everyone_at_once_and_leaves_what_plex_missed_to_the_outbox(
    sim: PlexSimulator, server: MediaServer, owner: User
) -> None:
    invite = make_invite(owner, usage_limit=5)
    alice, bob = join(sim, invite, "alice"), join(sim, invite, "bob")
    sim.inject_fault("*", "/api/servers/*/shared_servers*", status=503, times=None)

    outcome = services.act_on_members([alice.pk, bob.pk], "remove", actor=Actor.admin(owner))

    assert (outcome.done, outcome.queued) == (0, 2)
    assert set(Member.objects.filter(pk__in=[alice.pk, bob.pk]).values_list("status", flat=True)) == {"removing"}


def test_an_unknown_bulk_action_is_refused(owner: User) -> None:
    with pytest.raises(Invalid):
        services.act_on_members([], "promote", actor=Actor.admin(owner))


def test_a_taken_template_name_creates_no_invite_either(server: MediaServer, owner: User) -> None:
    actor = Actor.admin(owner)
    invite_templates.create_template("Friends", {"usage_limit": 1}, actor=actor)

    with pytest.raises(Conflict):
        invite_templates.create_invites_saving_template(
            {"usage_limit": 2}, 3, template_name="Friends", template_data={"usage_limit": 2}, actor=actor
        )

    assert Invite.objects.count() == 0
    invites, template = invite_templates.create_invites_saving_template(
        {"usage_limit": 2}, 3, template_name="Family", template_data={"usage_limit": 2}, actor=actor
    )
    assert len(invites) == 3 and template is not None
    assert InviteTemplate.objects.filter(name="Family").exists()
