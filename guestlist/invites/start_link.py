"""The signed "getting started" link: a friend's way back to their after-joining steps.

Its own small module so the welcome mail (``notifications.notify``) can make one without
importing the welcome page's rendering (and through it the redemption service).
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing

SALT = "guestlist.invites.start"
# Long enough to find the steps again weeks later (it rides in the welcome mail), short
# enough that an old forwarded mail stops opening the page; signing in to /me/ never expires.
LIFETIME = timedelta(days=180)


class LinkExpired(Exception):
    pass


def token_for(member_id: int) -> str:
    return signing.dumps({"m": member_id}, salt=SALT, compress=True)


def read_token(token: str) -> int | None:
    """The member id of a genuine link; None for a forged one; LinkExpired for an old one."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LIFETIME)
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("m"), int):
        return None
    return int(data["m"])
