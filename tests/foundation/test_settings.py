from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from guestlist.lib import env
from guestlist.lib.datadir import load_or_create_secret_key
from guestlist.lib.env import ConfigError


def run_guestlist(tmp_path: Path, *args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("GUESTLIST_", "DATABASE_URL"))
    }
    environment["GUESTLIST_DATA_DIR"] = str(tmp_path / "data")
    environment.update(overrides)
    return subprocess.run(
        [sys.executable, "-m", "guestlist", *args], env=environment, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("GUESTLIST_RATE_LIMITS", "maybe", "is not a boolean"),
        ("GUESTLIST_BASE_URL", "ftp://example.com", "scheme and host"),
        ("GUESTLIST_BASE_URL", "https://example.com/guestlist", "must not contain a path"),
        ("GUESTLIST_URL_BASE", "/guest list?x", "plain path"),
        ("GUESTLIST_TRUSTED_PROXIES", "10.0.0.0/8,not-an-ip", "not an IP address"),
        ("GUESTLIST_LOG_LEVEL", "LOUD", "is not a log level"),
        ("GUESTLIST_SECRET_KEY", "short", "too weak"),
        ("GUESTLIST_PLEX_TV_URL", "plex.local", "http:// or https://"),
        ("DATABASE_URL", "mysql://user@host/db", "postgres://"),
    ],
)
def test_it_refuses_to_start_with_a_bad_value_and_names_it(
    tmp_path: Path, variable: str, value: str, words: str
) -> None:
    result = run_guestlist(tmp_path, "apikey", "create", "--name", "x", **{variable: value})
    assert result.returncode == 1
    assert variable in result.stderr
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_it_reads_booleans_in_every_documented_spelling(monkeypatch: pytest.MonkeyPatch) -> None:
    for word, expected in [("on", True), ("OFF", False), ("true", True), ("False", False), ("1", True), ("0", False)]:
        monkeypatch.setenv("GUESTLIST_X", word)
        assert env.env_bool("GUESTLIST_X", not expected) is expected


def test_it_keeps_the_secret_key_across_restarts(tmp_path: Path) -> None:
    first = load_or_create_secret_key(tmp_path)
    second = load_or_create_secret_key(tmp_path)
    assert first == second
    assert len(first) >= 50
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_it_refuses_an_emptied_secret_key_file_instead_of_making_a_new_key(tmp_path: Path) -> None:
    load_or_create_secret_key(tmp_path)
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(ConfigError, match="is empty"):
        load_or_create_secret_key(tmp_path)


def test_the_same_key_survives_a_restart_of_the_whole_app(tmp_path: Path) -> None:
    script = "from django.conf import settings; import django; django.setup(); print(settings.SECRET_KEY)"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GUESTLIST_")}
    environment.update(GUESTLIST_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="guestlist.settings")
    keys = [
        subprocess.run(
            [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    ]
    assert keys[0] == keys[1] != ""


def test_it_accepts_a_sub_path_and_trusted_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUESTLIST_URL_BASE", "guestlist/")
    assert env.env_path_prefix("GUESTLIST_URL_BASE") == "/guestlist"
    monkeypatch.setenv("GUESTLIST_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.5")
    assert [str(n) for n in env.env_networks("GUESTLIST_TRUSTED_PROXIES")] == ["10.0.0.0/8", "192.168.1.5/32"]


def test_cookies_are_secure_only_behind_https(tmp_path: Path) -> None:
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.ALLOWED_HOSTS[0])"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GUESTLIST_")}
    environment.update(GUESTLIST_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="guestlist.settings")
    plain = subprocess.run(
        [sys.executable, "-c", script],
        env={**environment, "GUESTLIST_BASE_URL": "http://192.168.1.20:8484"},
        capture_output=True,
        text=True,
        check=True,
    )
    secure = subprocess.run(
        [sys.executable, "-c", script],
        env={**environment, "GUESTLIST_BASE_URL": "https://invites.example.com"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert plain.stdout.split() == ["False", "False", "192.168.1.20"]
    assert secure.stdout.split() == ["True", "True", "invites.example.com"]
