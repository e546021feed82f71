"""QR codes of invite links, rendered with segno and cached on disk (Streamarr)."""

from __future__ import annotations

import hashlib
import io
import secrets
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from guestlist.invites import status
from guestlist.invites.models import Invite
from guestlist.lib.datadir import PRIVATE_DIR, write_private

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def invite_url(code: str) -> str:
    return f"{settings.BASE_URL}{settings.URL_BASE}/invite/{code}"


def _cache_dir() -> Path:
    return Path(settings.DATA_DIR) / "qr"


def _cache_path(code: str, fmt: str) -> Path:
    # Codes are [A-Z0-9_-] only (validated on creation), so they are safe as file names. The
    # link's digest is part of the name: after GUESTLIST_BASE_URL changes, an old picture
    # would otherwise keep sending people to the old address.
    digest = hashlib.sha256(invite_url(code).encode()).hexdigest()[:12]
    return _cache_dir() / f"{code}.{digest}.{fmt}"


def render_qr(invite: Invite, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown QR format {fmt!r}")
    path = _cache_path(invite.code, fmt)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    import segno  # only once a picture is actually drawn

    qr = segno.make(invite_url(invite.code), error="m", micro=False)
    buffer = io.BytesIO()
    if fmt == "png":
        qr.save(buffer, kind="png", scale=8, border=2)
    else:
        qr.save(buffer, kind="svg", scale=8, border=2, xmldecl=False, svgns=True, title=f"Invite {invite.code}")
    data = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    # A private draft name: two requests may render the same code at once.
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    write_private(draft, data)
    draft.replace(path)
    return data


def forget_qr(code: str) -> None:
    directory = _cache_dir()
    if not directory.is_dir():
        return
    for path in directory.iterdir():
        if path.suffix.lstrip(".") in FORMATS and _code_of(path) == code:
            path.unlink(missing_ok=True)


def _code_of(path: Path) -> str:
    return path.name.split(".", 1)[0]


def prune_qr_cache() -> int:
    """Drop cached codes of invites that are gone, expired or no longer usable, and of old links."""
    directory = _cache_dir()
    if not directory.is_dir():
        return 0
    usable = set(Invite.objects.filter(status.redeemable_q(timezone.now())).values_list("code", flat=True))
    removed = 0
    for path in directory.iterdir():
        fmt = path.suffix.lstrip(".")
        if fmt in FORMATS and (_code_of(path) not in usable or path != _cache_path(_code_of(path), fmt)):
            path.unlink(missing_ok=True)
            removed += 1
    return removed
