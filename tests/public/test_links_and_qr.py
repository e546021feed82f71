"""Invite links and their QR codes: built from GUESTLIST_BASE_URL, cached on disk, cleaned up."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import segno
import zxingcpp
from django.conf import settings
from django.test import Client
from django.utils import timezone
from PIL import Image

from guestlist.invites import qr
from guestlist.invites.models import Invite
from guestlist.plex.models import MediaServer
from tests.invites.test_redeem_email import make_invite


@pytest.fixture(autouse=True)
def own_data_dir(settings: Any, tmp_path: Path) -> None:
    """Pictures other tests left behind must not count here."""
    settings.DATA_DIR = tmp_path


def cached(code: str) -> list[Path]:
    directory = Path(settings.DATA_DIR) / "qr"
    return sorted(path for path in directory.glob(f"{code}.*")) if directory.is_dir() else []


def decode(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_links_and_codes_use_the_public_origin_and_url_base(api: Client, server: MediaServer, settings: Any) -> None:
    settings.BASE_URL = "https://plex-invites.example.org"
    settings.URL_BASE = "/guestlist"
    invite = make_invite(api)
    assert invite["url"] == f"https://plex-invites.example.org/guestlist/invite/{invite['code']}"
    png = api.get(f"/api/invites/{invite['id']}/qr").content
    assert decode(png) == [invite["url"]]
    svg = api.get(f"/api/invites/{invite['id']}/qr?format=svg").content
    expected = io.BytesIO()
    segno.make(invite["url"], error="m", micro=False).save(
        expected, kind="svg", scale=8, border=2, xmldecl=False, svgns=True, title=f"Invite {invite['code']}"
    )
    assert svg == expected.getvalue()


def test_a_changed_public_origin_never_serves_an_old_picture(api: Client, server: MediaServer, settings: Any) -> None:
    settings.BASE_URL = "http://old.example.org"
    invite = make_invite(api)
    assert decode(api.get(f"/api/invites/{invite['id']}/qr").content) == [
        f"http://old.example.org/invite/{invite['code']}"
    ]
    settings.BASE_URL = "https://new.example.org"
    assert decode(api.get(f"/api/invites/{invite['id']}/qr").content) == [
        f"https://new.example.org/invite/{invite['code']}"
    ]
    assert qr.prune_qr_cache() == 1  # the old origin's picture
    assert len(cached(invite["code"])) == 1


def test_codes_are_cached_on_disk_and_forgotten_when_the_invite_is_deleted(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    first = api.get(f"/api/invites/{invite['id']}/qr").content
    api.get(f"/api/invites/{invite['id']}/qr?format=svg")
    assert [path.suffix for path in cached(invite["code"])] == [".png", ".svg"]
    assert api.get(f"/api/invites/{invite['id']}/qr").content == first
    assert api.delete(f"/api/invites/{invite['id']}").status_code == 204
    assert cached(invite["code"]) == []


def test_codes_of_expired_or_unusable_invites_are_pruned(api: Client, server: MediaServer) -> None:
    keep, expire, disable = make_invite(api), make_invite(api), make_invite(api)
    for invite in (keep, expire, disable):
        api.get(f"/api/invites/{invite['id']}/qr")
    Invite.objects.filter(pk=expire["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    Invite.objects.filter(pk=disable["id"]).update(is_active=False)
    assert qr.prune_qr_cache() == 2
    assert len(cached(keep["code"])) == 1
    assert cached(expire["code"]) == cached(disable["code"]) == []
