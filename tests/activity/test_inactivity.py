"""The inactivity rule: a preview first; then a warning, and M days later a removal that is
recorded only once Plex confirms; never for exempt members, managers, newcomers, or on
missing data."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from guestlist import cli
from guestlist.core.models import AuditEvent, SiteSettings
from guestlist.members import inactivity, sync
from guestlist.members.models import Member
from guestlist.members.permissions import MANAGE_INVITES, set_user_permissions
from guestlist.notifications.models import Destination, Event
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.plexwork import outbox
from tests.activity.conftest import ACTOR, active_member
from tests.lifecycle.conftest import later, shares_of
from tests.notifications.conftest import MailBox, send_due, use_smtp

DAY = 86400.0


def idle(member: Member, *, seen_days_ago: float | None, joined_days_ago: float = 200) -> Member:
    now = timezone.now()
    Member.objects.filter(pk=member.pk).update(
        last_seen=now - timedelta(days=seen_days_ago) if seen_days_ago is not None else None,
        created_at=now - timedelta(days=joined_days_ago),
    )
    member.refresh_from_db()
    return member


def rule(*, on: bool = True, days: int = 30, grace: int = 7) -> None:
    SiteSettings.objects.filter(pk=1).update(inactivity_enabled=on, inactivity_days=days, inactivity_grace_days=grace)


def fresh_data(sim: PlexSimulator) -> None:
    """The owner watched something today, and the sync has just read the history."""
    sim.add_play("plexowner", "Something", at=time.time() - 60)
    sync.sync_now(actor=ACTOR)


@pytest.fixture
def cast(server: MediaServer, sim: PlexSimulator) -> dict[str, Member]:
    members = {
        "alice": idle(active_member(sim, "alice"), seen_days_ago=40),  # gone quiet
        "bob": idle(active_member(sim, "bob"), seen_days_ago=2),  # watching
        "carol": idle(active_member(sim, "carol"), seen_days_ago=None),  # never watched, joined long ago
        "guest": idle(active_member(sim, "guest"), seen_days_ago=None, joined_days_ago=10),  # new
    }
    Destination.objects.create(
        name="hook",
        kind="webhook",
        url="http://127.0.0.1:9/hook",
        events=["member.inactive_warning", "member.removed_inactive"],
    )
    fresh_data(sim)
    return members


def names(entries: list[inactivity.Planned]) -> list[str]:
    return sorted(entry.member.username for entry in entries)


def test_the_preview_lists_who_would_be_warned_before_the_rule_is_on(
    cast: dict[str, Member], owner_client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    rule(on=False)
    plan = inactivity.plan()
    assert names(plan.warn) == ["alice", "carol"]
    assert plan.remove == [] and plan.paused == {}
    assert inactivity.job() == "inactivity rule off"
    page = owner_client.get("/settings/inactivity").content.decode()
    assert "The rule is off" in page
    assert f'href="/users/{cast["alice"].pk}"' in page
    assert f'href="/users/{cast["bob"].pk}"' not in page
    tighter = owner_client.get("/settings/inactivity", {"days": 7}).context["plan"]
    assert names(tighter.warn) == ["alice", "carol", "guest"]  # only bob was seen within a week
    assert cli.main(["inactive", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "warn\t" in out and "alice" in out and "carol" in out and "bob" not in out
    assert "Dry run: 2 would be warned, 0 would lose access; nothing changed." in out
    assert cli.main(["inactive"]) == 1  # the rule is off
    assert not Member.objects.filter(inactivity_warned_at__isnull=False).exists()
    assert not Event.objects.filter(type="member.inactive_warning").exists()


def test_the_rule_warns_once_then_ends_access_after_the_grace_time(cast: dict[str, Member], sim: PlexSimulator) -> None:
    rule()
    assert inactivity.job() == "2 warned, 0 removed, 0 waiting for Plex"
    assert inactivity.job() == "0 warned, 0 removed, 0 waiting for Plex"
    warnings = Event.objects.filter(type="member.inactive_warning")
    assert warnings.count() == 2
    payload = warnings.get(payload__data__member__username="alice").payload["data"]
    assert payload["removal_due"] and payload["member"]["last_seen"]
    assert AuditEvent.objects.filter(action="member.inactive_warning").count() == 2
    with later(timezone.now() + timedelta(days=8)):
        fresh_data(sim)
        assert inactivity.job() == "0 warned, 2 removed, 0 waiting for Plex"
    alice = Member.objects.get(pk=cast["alice"].pk)
    assert alice.status == "removed" and alice.reason == "inactive"
    assert shares_of(sim, "alice") == [] and shares_of(sim, "carol") == []
    assert shares_of(sim, "bob") and shares_of(sim, "guest")
    assert Event.objects.filter(type="member.removed_inactive").count() == 2
    assert not Event.objects.filter(type="member.removed").exists()


def test_watching_after_the_warning_keeps_access_and_clears_it(cast: dict[str, Member], sim: PlexSimulator) -> None:
    rule()
    inactivity.job()
    sim.add_play("alice", "Back again", at=time.time() - 10)
    fresh_data(sim)
    with later(timezone.now() + timedelta(days=8)):
        fresh_data(sim)
        plan = inactivity.plan()
        assert names(plan.remove) == ["carol"]
        inactivity.job()
    alice = Member.objects.get(pk=cast["alice"].pk)
    assert alice.status == "active" and alice.last_title == "Back again"
    assert inactivity.standing_warning(alice, inactivity.Rule.current()) is None


def test_exempt_members_and_managers_are_never_touched(
    cast: dict[str, Member], owner_client: Client, sim: PlexSimulator
) -> None:
    rule()
    owner_client.post(f"/users/{cast['alice'].pk}/inactivity", {"exempt": "1"})
    carol = cast["carol"]
    carol.user = User.objects.create_user("carol-account")
    carol.save()
    set_user_permissions(carol.user, [MANAGE_INVITES])
    plan = inactivity.plan()
    assert plan.warn == []
    assert sorted(member.username for member in plan.exempt) == ["alice", "carol"]
    assert inactivity.job() == "0 warned, 0 removed, 0 waiting for Plex"
    page = owner_client.get(f"/users/{cast['alice'].pk}").content.decode()
    assert "Apply the rule again" in page
    assert AuditEvent.objects.filter(action="member.inactivity_exempt").exists()


def test_an_exemption_given_after_the_warning_stops_the_removal(cast: dict[str, Member], sim: PlexSimulator) -> None:
    rule()
    inactivity.job()
    inactivity.set_exempt(cast["carol"], True, actor=ACTOR)
    with later(timezone.now() + timedelta(days=8)):
        fresh_data(sim)
        inactivity.job()
    assert Member.objects.get(pk=cast["carol"].pk).status == "active"
    assert Member.objects.get(pk=cast["alice"].pk).status == "removed"


def test_nothing_happens_while_the_play_history_cannot_be_read(cast: dict[str, Member], sim: PlexSimulator) -> None:
    rule()
    inactivity.job()
    with later(timezone.now() + timedelta(days=8)):
        sim.inject_fault("GET", "/status/sessions/history/all", status=503, times=None)
        sync.sync_now(actor=ACTOR)
        plan = inactivity.plan()
        assert plan.remove == [] and plan.warn == []
        assert plan.paused["Guestlist Test"].kind == "history_failed"
        assert "not applied on Guestlist Test" in inactivity.job()
        sim.clear_faults()
    assert Member.objects.filter(status="active").count() == 4


def test_nothing_happens_when_the_history_went_quiet_or_was_not_read_lately(
    server: MediaServer, sim: PlexSimulator
) -> None:
    idle(active_member(sim, "alice"), seen_days_ago=None)
    rule()
    # Nobody, not even the owner, played anything: an emptied history looks just like this.
    assert inactivity.plan().paused["Guestlist Test"].kind == "history_empty"
    fresh_data(sim)
    assert names(inactivity.plan().warn) == ["alice"]
    with later(timezone.now() + timedelta(hours=4)):
        assert inactivity.plan().paused["Guestlist Test"].kind == "history_stale"
        assert inactivity.job().startswith("0 warned")


def test_a_removal_is_recorded_only_once_plex_confirms(cast: dict[str, Member], sim: PlexSimulator) -> None:
    rule()
    inactivity.job()
    with later(timezone.now() + timedelta(days=8)):
        fresh_data(sim)
        sim.inject_fault("DELETE", "/api/servers/*/shared_servers/*", status=503, times=None)
        assert inactivity.job() == "0 warned, 0 removed, 2 waiting for Plex"
        assert set(Member.objects.filter(reason="inactive").values_list("status", flat=True)) == {"removing"}
        assert not Event.objects.filter(type="member.removed_inactive").exists()
        assert inactivity.job() == "0 warned, 0 removed, 0 waiting for Plex"  # nothing is queued twice
        sim.clear_faults()
    with later(timezone.now() + timedelta(days=9)):
        outbox.process_due()
    assert set(Member.objects.filter(reason="inactive").values_list("status", flat=True)) == {"removed"}
    assert Event.objects.filter(type="member.removed_inactive").count() == 2


def test_the_owner_sets_the_rule_in_the_dashboard(server: MediaServer, owner_client: Client) -> None:
    answer = owner_client.post(
        "/settings/inactivity", {"inactivity_enabled": "on", "inactivity_days": "60", "inactivity_grace_days": "10"}
    )
    assert answer.status_code == 302
    site = SiteSettings.load()
    assert (site.inactivity_enabled, site.inactivity_days, site.inactivity_grace_days) == (True, 60, 10)
    refused = owner_client.post("/settings/inactivity", {"inactivity_days": "2", "inactivity_grace_days": "10"})
    assert refused.status_code == 200
    assert SiteSettings.load().inactivity_days == 60


def test_the_member_gets_a_warning_mail_when_mail_is_set_up(
    cast: dict[str, Member], api: Client, smtp: MailBox
) -> None:
    use_smtp(api, smtp)
    rule()
    inactivity.job()
    send_due()
    subjects = sorted((message["To"], message["Subject"]) for message in smtp.messages)
    assert subjects == [
        ("alice@example.com", "Still watching Guestlist Test?"),
        ("carol@example.com", "Still watching Guestlist Test?"),
    ]
    body = next(m for m in smtp.messages if m["To"] == "carol@example.com").get_body(("plain",))
    assert body is not None
    assert "You have not watched anything on Guestlist Test yet." in body.get_content()
    assert "List-Unsubscribe" in smtp.messages[0]


def test_the_api_previews_the_rule_and_exempts_members(cast: dict[str, Member], api: Client) -> None:
    rule(on=False)
    preview = api.get("/api/users/inactivity").json()
    assert preview["enabled"] is False and (preview["days"], preview["grace_days"]) == (30, 7)
    assert sorted(entry["member"]["username"] for entry in preview["warn"]) == ["alice", "carol"]
    assert preview["remove"] == [] and preview["paused"] == []
    alice = cast["alice"].pk
    answer = api.put(f"/api/users/{alice}/inactivity", {"exempt": True}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["exempt"] is True
    assert [member["username"] for member in api.get("/api/users/inactivity").json()["exempt"]] == ["alice"]
    bad = api.put(f"/api/users/{alice}/inactivity", {"exempt": "yes"}, content_type="application/json")
    assert bad.status_code == 422
    assert api.put("/api/users/999999/inactivity", {"exempt": True}, content_type="application/json").status_code == 404


def test_with_suspend_instead_of_remove_the_rule_suspends(cast: dict[str, Member], sim: PlexSimulator) -> None:
    from tests.lifecycle.test_suspension import suspend_on_end

    suspend_on_end()
    rule()
    inactivity.job()
    with later(timezone.now() + timedelta(days=8)):
        fresh_data(sim)
        inactivity.job()
    statuses = dict(Member.objects.filter(reason="inactive").values_list("person_key", "status"))
    assert statuses and set(statuses.values()) == {"suspended"}
    assert shares_of(sim, "alice")  # the share is kept, narrowed to the renewal library
