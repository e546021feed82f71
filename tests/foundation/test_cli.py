from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User

from guestlist import cli
from guestlist.accounts.models import ApiKey
from guestlist.accounts.services import authenticate_api_key


@pytest.mark.django_db
def test_createadmin_reads_the_password_from_stdin_and_makes_the_first_admin_the_owner(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password 42\n"))
    assert cli.main(["createadmin", "--username", "ada", "--password-stdin"]) == 0
    ada = User.objects.get(username="ada")
    assert ada.is_superuser and ada.is_staff
    assert ada.check_password("a long enough password 42")
    assert ada.password.startswith("argon2")
    assert "Created owner 'ada'" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_second_admin_is_not_the_owner(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ada", "bob"):
        monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password 42\n"))
        assert cli.main(["createadmin", "--username", name, "--password-stdin"]) == 0
    assert not User.objects.get(username="bob").is_superuser


@pytest.mark.django_db
def test_createadmin_without_a_terminal_or_stdin_flag_is_bad_usage(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert cli.main(["createadmin", "--username", "ada"]) == 2
    assert "--password-stdin" in capsys.readouterr().err


@pytest.mark.django_db
def test_createadmin_refuses_a_weak_password_with_a_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["createadmin", "--username", "ada", "--password-stdin"]) == 1
    assert "too short" in capsys.readouterr().err
    assert not User.objects.exists()


def test_apikey_create_prints_the_key_alone_on_its_last_line_and_stores_only_its_hash(
    capsys: pytest.CaptureFixture[str], owner: User
) -> None:
    assert cli.main(["apikey", "create", "--name", "backup script"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("gl_") and len(key) == 43
    stored = ApiKey.objects.get()
    assert stored.name == "backup script"
    assert key not in (stored.key_hash, stored.prefix)
    assert authenticate_api_key(key) == stored


@pytest.mark.django_db
def test_apikey_create_refuses_before_an_owner_exists(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["apikey", "create", "--name", "backup script"]) == 1
    assert "create the owner first" in capsys.readouterr().err
    assert not ApiKey.objects.exists()


def test_bad_usage_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["frobnicate"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert "frobnicate" in error


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("serve", "createadmin", "apikey"):
        assert command in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out.startswith("guestlist ")
