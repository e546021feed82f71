"""Trial periods: who gets one, what trial members may not do, extension requests, and the
daily job's outcomes with time travel (promote; deactivate through Plex, retried while
Plex fails, recorded once Plex confirms, never twice)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from guestlist.core.models import AuditEvent
from guestlist.jobs.dbwindow import Database
from guestlist.jobs.runner import has_work
from guestlist.jobs.schedule import JOBS
from guestlist.members import permissions, trials
from guestlist.members.models import Member, TrialExtensionRequest
from guestlist.members.permissions import perms_of
from guestlist.plexsim import PlexSimulator
from guestlist.plexwork.models import PlexOperation
from tests.lifecycle.conftest import run_owed_work, shares_of
from tests.members_model.conftest import MakeMember, Person, owner_invite, site

DAY = timedelta(days=1)
CREATE = permissions.CREATE_INVITES


def trial_member(make_member: MakeMember, owner: User, *, days: int | str = 10, name: str = "alice") -> Person:
    invite = owner_invite(owner, trial=days)
    return make_member(name, perms=[CREATE], invite=invite)


def ends_of(person: Person) -> datetime:
    assert person.member.trial_ends_at is not None
    return person.member.trial_ends_at


def events(action: str, member: Member) -> int:
    return AuditEvent.objects.filter(action=action, object_id=str(member.pk)).count()


def test_the_owners_setting_and_the_invites_override_decide_who_gets_a_trial(
    make_member: MakeMember, owner: User
) -> None:
    site(trial_enabled=True, trial_days=5, trial_outcome="deactivate")
    inherit = make_member("alice", invite=owner_invite(owner))
    assert inherit.member.in_trial
    assert inherit.member.trial_outcome == "deactivate"
    assert abs(ends_of(inherit) - (timezone.now() + 5 * DAY)) < timedelta(minutes=1)
    none = make_member("bob", invite=owner_invite(owner, trial="none"))
    assert not none.member.in_trial
    own_days = make_member("carol", invite=owner_invite(owner, trial=20))
    assert abs(ends_of(own_days) - (timezone.now() + 20 * DAY)) < timedelta(minutes=1)
    site(trial_enabled=False)
    off = make_member("guest", invite=owner_invite(owner))
    assert not off.member.in_trial


def test_a_trial_member_cannot_create_invites_through_the_api_or_the_page(make_member: MakeMember, owner: User) -> None:
    alice = trial_member(make_member, owner)
    refused = alice.post("/api/me/invites")
    assert refused.status_code == 403
    assert refused.json()["error"] == "trial_member"
    me = alice.get("/api/me").json()
    assert me["can_create_invites"] is False
    assert me["trial"]["active"] is True
    page = alice.get("/me/").content.decode()
    assert 'data-refusal="trial_member"' in page
    assert 'id="basic-invite"' not in page
    alice.form("/me/invites/new", {"mode": "basic"})
    assert not alice.user.invites.exists()


def test_promote_ends_the_trial_once_and_grants_the_default_permissions(make_member: MakeMember, owner: User) -> None:
    site(default_member_permissions=[CREATE, permissions.VIEW_INVITES], trial_outcome="promote")
    alice = trial_member(make_member, owner, days=3)
    permissions.set_user_permissions(alice.user, [])
    with time_machine.travel(timezone.now() + 2 * DAY, tick=False):
        assert trials.run() == "0 promoted, 0 deactivated, 0 waiting for Plex"
    with time_machine.travel(timezone.now() + 3 * DAY + timedelta(minutes=1), tick=False):
        assert trials.run() == "1 promoted, 0 deactivated, 0 waiting for Plex"
        assert trials.run().startswith("0 promoted")
    member = Member.objects.get(pk=alice.member.pk)
    assert not member.in_trial
    assert member.status == "active"
    assert perms_of(User.objects.get(pk=alice.user.pk)) == {CREATE, permissions.VIEW_INVITES}
    assert events("member.trial_promoted", member) == 1
    alice.client.force_login(alice.user)
    assert alice.post("/api/me/invites").status_code == 201


def test_deactivate_removes_plex_access_and_records_it_once_plex_confirms(
    make_member: MakeMember, owner: User, sim: PlexSimulator
) -> None:
    site(trial_outcome="deactivate")
    alice = trial_member(make_member, owner, days=3)
    assert alice.member.trial_outcome == "deactivate"
    assert shares_of(sim, "alice")
    with time_machine.travel(timezone.now() + 3 * DAY + timedelta(minutes=1), tick=False):
        assert trials.run() == "0 promoted, 1 deactivated, 0 waiting for Plex"
        assert trials.run().startswith("0 promoted, 0 deactivated")
    member = Member.objects.get(pk=alice.member.pk)
    assert member.status == "expired"
    assert member.reason == "trial ended"
    assert not shares_of(sim, "alice")
    assert events("member.expired", member) == 1
    assert events("member.trial_ended", member) == 1
    assert alice.get("/api/me").status_code == 403, "no membership any more"


def test_deactivate_while_plex_fails_waits_as_removing_and_is_retried_until_plex_confirms(
    make_member: MakeMember, owner: User, sim: PlexSimulator
) -> None:
    site(trial_outcome="deactivate")
    alice = trial_member(make_member, owner, days=1)
    sim.inject_fault("DELETE", "/api/servers/*/shared_servers/*", status=500, times=3)
    with time_machine.travel(timezone.now() + 2 * DAY, tick=True):
        assert trials.run() == "0 promoted, 0 deactivated, 1 waiting for Plex"
        # The next day's run does not queue it again.
        with time_machine.travel(timezone.now() + DAY, tick=True):
            trials.run()
        member = Member.objects.get(pk=alice.member.pk)
        assert member.status == "removing", "not recorded as done while Plex has not confirmed"
        assert shares_of(sim, "alice")
        removals = PlexOperation.objects.filter(member=member, kind="remove")
        assert removals.count() == 1
        run_owed_work()
    member = Member.objects.get(pk=alice.member.pk)
    assert member.status == "expired"
    assert member.reason == "trial ended"
    assert not shares_of(sim, "alice")
    assert events("member.expired", member) == 1
    assert events("member.trial_ended", member) == 1


def test_the_runner_sees_trial_work_only_when_a_trial_ended(make_member: MakeMember, owner: User) -> None:
    alice = trial_member(make_member, owner, days=2)
    job = next(job for job in JOBS if job.name == "trials")
    assert job.every_seconds == 3600
    window = _DjangoWindow()
    assert not has_work(window, job, timezone.now() + DAY)
    assert has_work(window, job, timezone.now() + 2 * DAY + timedelta(minutes=1))
    trials.apply_outcome(alice.member.pk, now=timezone.now() + 3 * DAY)
    assert not has_work(window, job, timezone.now() + 3 * DAY)


class _DjangoWindow(Database):
    """The runner's SQL, run on the test's own connection (its rows are not committed)."""

    def __init__(self) -> None:
        from django.db import connection

        super().__init__(database_url="sqlite:///unused" if connection.vendor == "sqlite" else "postgres://x/y")

    def rows(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return list(cursor.fetchall())


# -- extension requests -------------------------------------------------------------------


def test_a_trial_member_asks_for_more_time_once_at_a_time_and_the_owner_approves(
    make_member: MakeMember, owner: User, api: Any
) -> None:
    alice = trial_member(make_member, owner, days=5)
    ends = ends_of(alice)
    asked = alice.post("/api/me/trial/extension", {"message": "Still settling in"})
    assert asked.status_code == 201, asked.content
    assert asked.json()["state"] == "open"
    again = alice.post("/api/me/trial/extension", {"message": "please"})
    assert again.status_code == 409
    assert again.json()["error"] == "extension_pending"
    detail = api.get(f"/api/users/{alice.member.pk}").json()
    assert detail["extension_request"]["message"] == "Still settling in"

    approved = api.post(
        f"/api/users/{alice.member.pk}/trial", data={"action": "approve", "days": 7}, content_type="application/json"
    )
    assert approved.status_code == 200, approved.content
    member = Member.objects.get(pk=alice.member.pk)
    assert member.trial_ends_at == ends + 7 * DAY
    assert TrialExtensionRequest.objects.get().state == "approved"
    assert alice.get("/api/me").json()["extension_request"]["state"] == "approved"


def test_the_owner_denies_extends_or_ends_a_trial(make_member: MakeMember, owner: User, api: Any) -> None:
    site(default_member_permissions=[CREATE])
    alice = trial_member(make_member, owner, days=5)
    ends = ends_of(alice)

    def act(**body: Any) -> Any:
        return api.post(f"/api/users/{alice.member.pk}/trial", data=body, content_type="application/json")

    assert act(action="deny").status_code == 409, "nothing to deny yet"
    alice.post("/api/me/trial/extension", {"message": "more?"})
    assert act(action="deny").status_code == 200
    assert Member.objects.get(pk=alice.member.pk).trial_ends_at == ends
    assert TrialExtensionRequest.objects.get().state == "denied"
    assert act(action="extend", days=2).status_code == 200
    assert Member.objects.get(pk=alice.member.pk).trial_ends_at == ends + 2 * DAY
    assert act(action="extend").status_code == 422, "days are needed"
    ended = act(action="end")
    assert ended.status_code == 200
    assert ended.json()["trial"]["active"] is False
    assert CREATE in ended.json()["permissions"], "promoted at once with the defaults"
    assert act(action="end").status_code == 409


def test_extension_requests_are_rate_limited(make_member: MakeMember, owner: User, api: Any, settings: Any) -> None:
    settings.RATE_LIMITS_ENABLED = True
    alice = trial_member(make_member, owner, days=5)
    for _ in range(3):
        assert alice.post("/api/me/trial/extension", {"message": "x"}).status_code == 201
        api.post(f"/api/users/{alice.member.pk}/trial", data={"action": "deny"}, content_type="application/json")
    limited = alice.post("/api/me/trial/extension", {"message": "x"})
    assert limited.status_code == 429
    assert limited.json()["error"] == "rate_limited"
    assert limited["Retry-After"]


def test_only_trial_members_ask_for_extensions(make_member: MakeMember) -> None:
    alice = make_member("alice")
    refused = alice.post("/api/me/trial/extension", {"message": "x"})
    assert refused.status_code == 409
    assert refused.json()["error"] == "not_in_trial"


def test_the_trial_page_shows_when_it_ends_and_takes_a_request(make_member: MakeMember, owner: User) -> None:
    alice = trial_member(make_member, owner, days=5)
    page = alice.get("/me/").content.decode()
    assert "Your trial ends on" in page
    response = alice.form("/me/trial/extension", {"message": "I love it"})
    assert response.status_code == 302
    assert TrialExtensionRequest.objects.get().message == "I love it"
    assert "You asked for more time" in alice.get("/me/").content.decode()


def test_manage_users_holders_act_on_trials_from_their_page(make_member: MakeMember, owner: User) -> None:
    manager = make_member("bob", perms=[permissions.MANAGE_USERS])
    alice = trial_member(make_member, owner, days=5)
    ends = ends_of(alice)
    assert "Trial ends" in manager.get("/me/members").content.decode()
    manager.form(f"/me/members/{alice.member.pk}/trial", {"action": "extend", "days": "3"})
    assert Member.objects.get(pk=alice.member.pk).trial_ends_at == ends + 3 * DAY


def test_a_new_expiry_date_does_not_undo_a_trials_deactivation_waiting_for_plex(
    make_member: MakeMember, owner: User, sim: PlexSimulator
) -> None:
    from guestlist.core.audit import Actor
    from guestlist.members.services import set_expiry

    site(trial_outcome="deactivate")
    alice = trial_member(make_member, owner, days=1)
    sim.inject_fault("DELETE", "/api/servers/*/shared_servers/*", status=500, times=2)
    with time_machine.travel(timezone.now() + 2 * DAY, tick=True):
        trials.run()
        set_expiry(Member.objects.get(pk=alice.member.pk), timezone.now() + 30 * DAY, actor=Actor.system())
        assert Member.objects.get(pk=alice.member.pk).status == "removing"
        run_owed_work()
    assert Member.objects.get(pk=alice.member.pk).status == "expired"


def test_a_local_account_whose_trial_ends_in_deactivation_expires_without_plex(
    client: Any, owner: User, server: Any, sim: PlexSimulator
) -> None:
    site(local_accounts_enabled=True, trial_outcome="deactivate")
    invite = owner_invite(owner, trial=2)
    client.post(
        f"/invite/{invite.code}/local",
        {"email": "dora@example.com", "username": "dora", "password": "a long passphrase"},
    )
    member = Member.objects.get()
    assert member.status == "unlinked" and member.in_trial
    with time_machine.travel(timezone.now() + 3 * DAY, tick=False):
        assert trials.run() == "0 promoted, 1 deactivated, 0 waiting for Plex"
    member.refresh_from_db()
    assert (member.status, member.reason) == ("expired", "trial ended")
    assert not PlexOperation.objects.filter(member=member).exists()


def test_the_owner_and_a_manage_users_holder_get_the_same_trial_buttons(
    make_member: MakeMember, owner: User, client: Any
) -> None:
    alice = trial_member(make_member, owner)
    client.force_login(owner)
    page = client.get(f"/users/{alice.member.pk}").content.decode()
    assert f'action="/users/{alice.member.pk}/trial"' in page
    assert 'value="extend"' in page and 'value="approve"' not in page and 'value="end"' in page

    alice.post("/api/me/trial/extension", {"message": "more?"})
    page = client.get(f"/users/{alice.member.pk}").content.decode()
    assert 'value="approve"' in page and 'value="deny"' in page and 'value="extend"' not in page

    manager = make_member("bob", perms=[permissions.MANAGE_USERS])
    their_page = manager.client.get("/me/members").content.decode()
    assert f'action="/me/members/{alice.member.pk}/trial"' in their_page
    assert f'id="trial-days-{alice.member.pk}"' in their_page
    assert 'value="approve"' in their_page
