"""Wrong passwords and codes slow down, then lock (per account and per address), and say
so; the machine's owner always gets back in with the CLI resets; both are audited."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from guestlist import cli
from guestlist.accounts import lockout
from guestlist.accounts.models import AdminSession, Passkey, RecoveryCode, TotpDevice
from guestlist.core.models import AuditEvent
from guestlist.notifications.messages import describe
from guestlist.notifications.models import Event
from tests.accounts.conftest import enrol_totp, password_step
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
START = "2026-12-01 12:00:05+00:00"
NEW_PASSWORD = "a fresh start passphrase 7"


def wrong(client: Client, username: str = "owner", ip: str = "10.1.1.1") -> int:
    return int(password_step(client, username, "not the password", REMOTE_ADDR=ip).status_code)


def test_wrong_passwords_slow_down_then_lock_the_account_and_say_so(client: Client, owner: User) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(3):
            assert wrong(client) == 200
        slowed = password_step(client, REMOTE_ADDR="10.1.1.1")  # even the right password waits
        assert slowed.status_code == 429
        assert b"wait 1 seconds" in slowed.content
        assert slowed["Retry-After"] == "1"
        for failures in range(4, lockout.ACCOUNT.lock_after + 1):
            traveller.shift(timedelta(seconds=61))
            assert wrong(client, ip=f"10.2.0.{failures}") == 200  # from many addresses: the account counts
        traveller.shift(timedelta(seconds=61))
        locked = password_step(client, REMOTE_ADDR="10.3.3.3")
        assert locked.status_code == 429
        assert b"locked for 14 minutes" in locked.content or b"locked for 15 minutes" in locked.content
        event = AuditEvent.objects.get(action="admin.sign_in_locked")
        assert event.object_label == "account:owner"
        traveller.shift(lockout.LOCK_FOR + timedelta(seconds=1))
        assert password_step(client, REMOTE_ADDR="10.3.3.3")["Location"] == "/"


def test_an_address_that_tries_many_accounts_is_locked(client: Client, owner: User) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        for number in range(lockout.ADDRESS.lock_after):
            traveller.shift(timedelta(seconds=61))
            assert wrong(client, f"someone{number}", ip="10.9.9.9") == 200
        traveller.shift(timedelta(seconds=61))
        assert password_step(client, REMOTE_ADDR="10.9.9.9").status_code == 429
        assert password_step(Client(), REMOTE_ADDR="10.9.9.10")["Location"] == "/"
    assert AuditEvent.objects.get(action="admin.sign_in_locked").object_label == "address:10.9.9.9"


def test_wrong_second_factor_codes_count_too(owner: User) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        totp, _codes = enrol_totp(owner)
        client = Client()
        password_step(client)
        for _ in range(3):
            assert client.post("/login/second-factor", {"code": "123456"}).status_code in (422, 429)
        refused = client.post("/login/second-factor", {"code": "654321"})
        assert refused.status_code == 429
        assert refused["Retry-After"]
        traveller.shift(timedelta(seconds=31))
        assert client.post("/login/second-factor", {"code": totp.now()}).status_code == 302
    # A full sign-in clears the account's count.
    assert not lockout.check(lockout.account_key("owner"))


def test_reset_password_from_the_command_line(
    owner: User, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    signed_in = Client()
    signed_in.force_login(owner)
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(lockout.ACCOUNT.lock_after):
            traveller.shift(timedelta(seconds=61))
            wrong(Client(), ip="10.4.4.4")
        monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
        assert cli.main(["admin", "reset-password", "OWNER", "--password-stdin"]) == 0
        assert "New password set for 'owner'" in capsys.readouterr().out
        assert password_step(Client(), password=NEW_PASSWORD)["Location"] == "/"
    assert signed_in.get("/")["Location"].startswith("/login")  # every session ended
    event = AuditEvent.objects.get(action="admin.password_reset")
    assert event.actor_kind == "system"


def test_reset_password_refuses_a_weak_password_and_an_unknown_admin(
    owner: User, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["admin", "reset-password", "owner", "--password-stdin"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    assert cli.main(["admin", "reset-password", "ghost", "--password-stdin"]) == 1
    assert "no admin named 'ghost'" in capsys.readouterr().err
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_reset_2fa_recovers_a_lost_phone(owner: User, capsys: pytest.CaptureFixture[str]) -> None:
    with time_machine.travel(START, tick=False):
        enrol_totp(owner)
    Passkey.objects.create(user=owner, name="old phone", credential_id="abc", public_key=b"x")
    signed_in = Client()
    signed_in.force_login(owner)
    assert password_step(Client())["Location"] == "/login/second-factor"
    assert cli.main(["admin", "reset-2fa", "owner"]) == 0
    assert "Removed every second factor of 'owner'" in capsys.readouterr().out
    assert not TotpDevice.objects.exists() and not Passkey.objects.exists() and not RecoveryCode.objects.exists()
    assert signed_in.get("/")["Location"].startswith("/login")
    assert not AdminSession.objects.filter(user=owner).exists()
    assert password_step(Client())["Location"] == "/"
    assert AuditEvent.objects.filter(action="admin.second_factor_reset", actor_kind="system").exists()


def test_look_alike_spellings_of_a_name_count_against_one_account(client: Client, owner: User) -> None:
    with time_machine.travel(START, tick=False):
        for number, name in enumerate(("owner", "OWNER", "\uff4f\uff57\uff4e\uff45\uff52")):
            assert wrong(client, name, ip=f"10.6.0.{number}") == 200
        assert password_step(client, " Owner ", REMOTE_ADDR="10.6.1.1").status_code == 429


def test_the_owner_is_told_when_an_account_locks(client: Client, owner: User) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        for failures in range(lockout.ACCOUNT.lock_after):
            traveller.shift(timedelta(seconds=61))
            wrong(client, ip=f"10.4.0.{failures}")

    event = Event.objects.get(type="admin.sign_in_locked")
    data = event.payload["data"]
    assert (data["account"], data["address"], data["failures"], data["minutes"]) == ("owner", None, 10, 15)
    assert data["url"].endswith("/settings/audit?action=admin.sign_in_locked")
    assert describe(event.payload, "en")[1].startswith(
        "Too many failed sign-ins: the admin account owner is locked for 15 minutes."
    )
    assert "gesperrt" in describe(event.payload, "de")[1]
