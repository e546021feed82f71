"""The export file keeps what issues 16 and 22 added: members' Discord accounts and invites' Discord
gates, the onboarding step sets, and which set each invite and template uses (templates travel too)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from guestlist import cli
from guestlist.core.audit import Actor
from guestlist.invites import onboarding
from guestlist.invites.invite_templates import create_template
from guestlist.invites.models import Invite, InviteTemplate, Step, StepSet
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.transfer.export import build_export
from tests.lifecycle.conftest import member_of
from tests.transfer.test_export_round_trip import an_install_in_use, exported, wipe

ACTOR = Actor.system()
ADA = "800000000000000042"
ROLE = "910000000000000001"


def with_discord_and_steps() -> None:
    """Alice came through a Discord-gated invite that uses the "House rules" set; the default set
    has a step of the owner's own; a template picks the named set too."""
    rules = onboarding.create_set("House rules", actor=ACTOR)
    onboarding.add_step(
        rules,
        {
            "group": "before",
            "title": "Our rules",
            "body": "Be kind to {server}.",
            "requires_acceptance": True,
            "acceptance_label": "I will be kind",
            "buttons": [{"kind": "link", "label": "Our Discord", "url": "https://discord.example/invite"}],
        },
        actor=ACTOR,
    )
    onboarding.add_step(onboarding.default_set(), {"group": "after", "title": "Say hello"}, actor=ACTOR)
    alice = member_of("alice@example.com")
    assert alice.invite is not None
    Invite.objects.filter(pk=alice.invite.pk).update(step_set=rules, discord_gate="member", discord_role_ids=[ROLE])
    Member.objects.filter(pk=alice.pk).update(
        discord_id=ADA,
        discord_username="ada.discord",
        discord_gate="member",
        discord_role_ids=[ROLE],
        discord_left_at=datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
    )
    create_template(
        "Friends", {"libraries": "1,2", "usage_limit": 2, "step_set_id": rules.pk, "allow_sync": True}, actor=ACTOR
    )


def wipe_all() -> None:
    wipe()
    InviteTemplate.objects.all().delete()
    StepSet.objects.filter(is_default=False).delete()
    onboarding.reset_set(onboarding.default_set(), actor=ACTOR)


def test_discord_accounts_gates_step_sets_and_templates_survive_an_export_and_import(
    server: MediaServer, sim: PlexSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    an_install_in_use(sim)
    with_discord_and_steps()
    first = tmp_path / "export.json"
    assert cli.main(["export", str(first)]) == 0
    data = exported(first)
    alice = next(item for item in data["members"] if item["email"] == "alice@example.com")
    assert (alice["discord_id"], alice["discord_username"], alice["discord_role_ids"]) == (ADA, "ada.discord", [ROLE])
    gated = next(item for item in data["invites"] if item["discord_gate"])
    assert (gated["discord_gate"], gated["step_set"]) == ("member", "House rules")
    assert [item["step_set"] for item in data["invite_templates"]] == ["House rules"]
    assert {item["name"]: item["is_default"] for item in data["step_sets"]} == {"Default": True, "House rules": False}
    assert "token" not in first.read_text().lower() and "secret" not in first.read_text().lower()

    wipe_all()
    assert cli.main(["import", "guestlist", str(first)]) == 0
    out = capsys.readouterr().out
    assert "step_sets: 2 imported" in out and "templates: 1 imported" in out
    # Discord is not connected on this install: the gate is kept, and the owner is told.
    assert "asks redeemers to sign in with Discord" in out

    second = tmp_path / "again.json"
    assert cli.main(["export", str(second)]) == 0
    assert exported(second) == exported(first)
    rules = StepSet.objects.get(name="House rules")
    rule = Step.objects.get(step_set=rules, group="before")
    assert rule.requires_acceptance and rule.buttons[0]["url"] == "https://discord.example/invite"
    assert Invite.objects.get(code=gated["code"]).step_set == rules
    assert InviteTemplate.objects.get(name="Friends").step_set == rules
    imported_alice = member_of("alice@example.com")
    assert (imported_alice.discord_id, imported_alice.discord_gate) == (ADA, "member")

    assert cli.main(["import", "guestlist", str(first)]) == 0
    assert "Nothing new to import." in capsys.readouterr().out


def test_an_owners_own_default_steps_are_kept_and_a_missing_set_falls_back_to_the_default(
    server: MediaServer, sim: PlexSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    an_install_in_use(sim)
    with_discord_and_steps()
    path = tmp_path / "export.json"
    assert cli.main(["export", str(path)]) == 0
    wipe_all()
    onboarding.add_step(onboarding.default_set(), {"group": "before", "title": "Mine"}, actor=ACTOR)
    data = exported(path)
    data["step_sets"] = [item for item in data["step_sets"] if item["is_default"]]  # "House rules" left out
    path.write_text(json.dumps(data))

    assert cli.main(["import", "guestlist", str(path)]) == 0
    out = capsys.readouterr().out
    assert "the default step set here has steps of its own; they were kept" in out
    assert "its step set 'House rules' is not here; it uses the default" in out
    titles = [step.title for step in Step.objects.filter(step_set=onboarding.default_set(), group="before")]
    assert titles == ["Mine"]
    assert all(invite.step_set is None for invite in Invite.objects.all())


def test_files_from_before_discord_and_steps_still_import(
    server: MediaServer, sim: PlexSimulator, tmp_path: Path
) -> None:
    an_install_in_use(sim)
    data = build_export()
    for key in ("step_sets", "invite_templates"):
        data.pop(key)
    for item in data["invites"]:
        for key in ("discord_gate", "discord_role_ids", "step_set"):
            item.pop(key)
    for item in data["members"]:
        for key in ("discord_id", "discord_username", "discord_gate", "discord_role_ids", "discord_left_at"):
            item.pop(key)
    wipe_all()
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data, default=str))
    assert cli.main(["import", "guestlist", str(path)]) == 0
    assert Member.objects.count() == 3 and not Member.objects.exclude(discord_id="").exists()
