"""TOTP as the second factor: enrolling on the Security page, signing in in two steps,
the time window, replays, recovery codes once each, and the owner's "require" switch."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from guestlist.accounts.models import RecoveryCode, SignInSettings, TotpDevice
from guestlist.core.models import AuditEvent
from tests.accounts.conftest import enrol_totp, password_step, totp_for
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
START = "2026-12-01 12:00:05+00:00"


def test_an_admin_enrols_an_app_from_the_security_page_and_gets_ten_codes_once(
    owner_client: Client, owner: User
) -> None:
    page = owner_client.get("/settings/security/totp")
    assert page.status_code == 200
    assert b"<svg" in page.content  # the QR code, drawn by segno
    assert page["Cache-Control"] == "no-store"
    device = TotpDevice.objects.get(user=owner)
    assert device.confirmed_at is None
    assert totp_for(owner).secret not in device.secret  # encrypted at rest

    wrong = owner_client.post("/settings/security/totp", {"code": "000000"})
    assert wrong.status_code == 422
    confirmed = owner_client.post("/settings/security/totp", {"code": totp_for(owner).now()})
    assert confirmed.status_code == 302 and confirmed["Location"] == "/settings/security/recovery-codes"
    shown = owner_client.get(confirmed["Location"])
    assert shown["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>", shown.content.decode())
    assert len(codes) == 10
    # Shown once: reloading the page after the redirect leads back to the Security page.
    assert owner_client.get(confirmed["Location"])["Location"] == "/settings/security"
    assert RecoveryCode.objects.filter(user=owner).count() == 10
    assert not any(code in row.code_hash for row in RecoveryCode.objects.all() for code in codes)
    assert all(row.code_hash.startswith("$argon2id$") for row in RecoveryCode.objects.all())
    # The codes are not on the Security page afterwards.
    again = owner_client.get("/settings/security")
    assert not any(code.encode() in again.content for code in codes)
    assert AuditEvent.objects.filter(action="admin.totp_added").exists()


def test_a_password_alone_no_longer_signs_in_an_admin_with_an_app(client: Client, owner: User) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        totp, _codes = enrol_totp(owner)
        traveller.shift(timedelta(seconds=30))
        first = password_step(client)
        assert first.status_code == 302
        assert first["Location"] == "/login/second-factor"
        # Half-way, nobody is signed in: the dashboard and the API still refuse.
        assert client.get("/")["Location"].startswith("/login")
        assert client.get("/api/invites/").status_code == 401
        page = client.get("/login/second-factor")
        assert page.status_code == 200
        done = client.post("/login/second-factor", {"code": totp.now()})
        assert done.status_code == 302
        assert done["Location"] == "/"
        assert client.get("/").status_code == 200
    event = AuditEvent.objects.filter(action="admin.second_factor").get()
    assert event.details["method"] == "password+totp"


def test_the_window_takes_a_neighbouring_step_but_not_an_old_code(client: Client, owner: User) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        totp, _codes = enrol_totp(owner)
        traveller.shift(timedelta(minutes=5))
        old = totp.now()
        traveller.shift(timedelta(seconds=90))  # three steps later: out of the window
        password_step(client)
        assert client.post("/login/second-factor", {"code": old}).status_code == 422
        previous_step = totp.at(timezone.now() - timedelta(seconds=30))
        assert client.post("/login/second-factor", {"code": previous_step}).status_code == 302


def test_it_refuses_the_same_code_twice(owner: User) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        totp, _codes = enrol_totp(owner)
        traveller.shift(timedelta(seconds=30))
        code = totp.now()
        first, second = Client(), Client()
        password_step(first)
        password_step(second)
        assert first.post("/login/second-factor", {"code": code}).status_code == 302
        replay = second.post("/login/second-factor", {"code": code})
        assert replay.status_code == 422
        assert b"used already" in replay.content


def test_each_recovery_code_works_once(owner: User) -> None:
    with time_machine.travel(START, tick=False):
        _totp, codes = enrol_totp(owner)
    first, second = Client(), Client()
    password_step(first)
    assert first.post("/login/second-factor", {"code": codes[0].upper().replace("-", " ")}).status_code == 302
    password_step(second)
    assert second.post("/login/second-factor", {"code": codes[0]}).status_code == 422
    assert second.post("/login/second-factor", {"code": codes[1]}).status_code == 302
    assert RecoveryCode.objects.filter(user=owner, used_at__isnull=False).count() == 2


def test_the_second_step_expires(client: Client, owner: User) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        totp, _codes = enrol_totp(owner)
        password_step(client)
        traveller.shift(timedelta(minutes=11))
        late = client.post("/login/second-factor", {"code": totp.now()})
        assert late.status_code == 302
        assert late["Location"] == "/login"
        assert client.get("/")["Location"].startswith("/login")


def test_members_sign_in_in_one_step_as_before(client: Client, owner: User) -> None:
    """Members are never asked for a second factor, even when the owner requires one for admins."""
    SignInSettings.objects.update_or_create(pk=1, defaults={"require_second_factor": True})
    response = password_step(client, "outsider-not-staff")
    assert response.status_code == 200  # unknown user: the usual "didn't match"


def test_when_required_an_admin_without_a_factor_is_led_to_enrol(client: Client, owner: User, admin2: User) -> None:
    SignInSettings.objects.update_or_create(pk=1, defaults={"require_second_factor": True})
    with time_machine.travel(START, tick=False):
        first = password_step(client, "second")
        assert first["Location"] == "/login/enrol"
        assert client.get("/")["Location"].startswith("/login")
        page = client.get("/login/enrol")
        assert page.status_code == 200
        assert b"<svg" in page.content
        done = client.post("/login/enrol", {"code": totp_for(admin2).now()})
        assert done.status_code == 302 and done["Location"].startswith("/login/recovery-codes")
        shown = client.get(done["Location"])
        assert len(re.findall(rb"<code>[a-z0-9]{4}-", shown.content)) == 10
        assert client.get(done["Location"])["Location"] == "/"  # once; a reload goes on
        assert client.get("/").status_code == 200


def test_only_the_owner_requires_a_second_factor_and_only_with_one_of_their_own(
    owner_client: Client, owner: User, admin2: User
) -> None:
    other = Client()
    other.force_login(admin2)
    assert other.post("/settings/security/require-second-factor", {"require_second_factor": "on"}).status_code == 403
    owner_client.post("/settings/security/require-second-factor", {"require_second_factor": "on"})
    assert SignInSettings.load().require_second_factor is False  # the owner has no factor yet
    with time_machine.travel(START, tick=False):
        enrol_totp(owner)
    owner_client.post("/settings/security/require-second-factor", {"require_second_factor": "on"})
    assert SignInSettings.load().require_second_factor is True
    assert AuditEvent.objects.filter(action="settings.sign_in").exists()


def test_removing_the_app_ends_the_other_sessions(owner: User) -> None:
    with time_machine.travel(START, tick=False):
        enrol_totp(owner)
    here, elsewhere = Client(), Client()
    here.force_login(owner)
    elsewhere.force_login(owner)
    assert elsewhere.get("/").status_code == 200
    assert here.post("/settings/security/totp/remove").status_code == 302
    assert not TotpDevice.objects.filter(user=owner).exists()
    assert not RecoveryCode.objects.filter(user=owner).exists()
    assert here.get("/").status_code == 200
    assert elsewhere.get("/")["Location"].startswith("/login")


def test_changing_the_password_ends_the_other_sessions(owner: User) -> None:
    here, elsewhere = Client(), Client()
    here.force_login(owner)
    elsewhere.force_login(owner)
    new = "a brand new passphrase 42"
    bad = here.post("/settings/security/password", {"current": "nope", "password": new, "confirm": new})
    assert bad.status_code == 200
    done = here.post("/settings/security/password", {"current": PASSWORD, "password": new, "confirm": new})
    assert done.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/")["Location"].startswith("/login")
    assert password_step(Client(), password=new)["Location"] == "/"


def test_the_security_pages_and_the_second_step_speak_german(owner: User) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(owner)
    page = client.get("/settings/security").content.decode()
    assert "Deine zweiten Faktoren" in page and "Überall sonst abmelden" in page
    assert "Single Sign-on (OpenID Connect)" in client.get("/settings/security/sso").content.decode()
    with time_machine.travel(START, tick=False):
        enrol_totp(owner)
    signing_in = Client(HTTP_ACCEPT_LANGUAGE="de")
    password_step(signing_in)
    assert "Bestätige, dass du es bist" in signing_in.get("/login/second-factor").content.decode()


def test_a_factor_set_up_elsewhere_during_enrolment_must_be_used(client: Client, owner: User, admin2: User) -> None:
    SignInSettings.objects.update_or_create(pk=1, defaults={"require_second_factor": True})
    with time_machine.travel(START, tick=False):
        assert password_step(client, "second")["Location"] == "/login/enrol"
        enrol_totp(admin2)  # the real admin, in another browser
        response = client.get("/login/enrol")
        assert response["Location"] == "/login/second-factor"
        assert client.get("/")["Location"].startswith("/login")
