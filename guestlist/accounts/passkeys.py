"""Passkeys (WebAuthn) through py_webauthn: registering them and checking an assertion.

The challenge lives in the server-side session, never in the browser alone; the relying
party is the host of ``GUESTLIST_BASE_URL`` and the expected origin is that URL, so a
passkey made for this install works nowhere else. ``webauthn`` is imported inside the
functions: the idle web process never loads it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from guestlist.accounts.models import Passkey
from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Invalid

CHALLENGE_TTL_SECONDS = 300
MAX_PASSKEYS = 20


def rp_id() -> str:
    return urlsplit(settings.BASE_URL).hostname or "localhost"


def origin() -> str:
    return str(settings.BASE_URL)


def _user_handle(user: User) -> bytes:
    return f"guestlist-{user.pk}".encode()


def _store(session: Any, key: str, challenge: bytes, user_id: int | None) -> None:
    from webauthn.helpers import bytes_to_base64url

    session[key] = {"challenge": bytes_to_base64url(challenge), "user": user_id, "at": time.time()}


def _take(session: Any, key: str) -> tuple[bytes, int | None]:
    """The stored challenge, spent: each ceremony's challenge works once."""
    from webauthn.helpers import base64url_to_bytes

    stored = session.pop(key, None)
    if not isinstance(stored, dict) or time.time() - float(stored.get("at", 0)) > CHALLENGE_TTL_SECONDS:
        raise Invalid("The passkey request expired; try again.", code="passkey_expired")
    user_id = stored.get("user")
    return base64url_to_bytes(str(stored["challenge"])), int(user_id) if user_id is not None else None


REGISTER_KEY = "passkey_register"
AUTHENTICATE_KEY = "passkey_authenticate"


def registration_options(session: Any, user: User) -> str:
    """Options for ``navigator.credentials.create`` as JSON (base64url fields)."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    existing = [
        PublicKeyCredentialDescriptor(id=base64url_to_bytes(key.credential_id))
        for key in Passkey.objects.filter(user=user)
    ]
    options = generate_registration_options(
        rp_id=rp_id(),
        rp_name="Guestlist",
        user_id=_user_handle(user),
        user_name=user.get_username(),
        user_display_name=user.get_username(),
        exclude_credentials=existing,
        authenticator_selection=AuthenticatorSelectionCriteria(
            # Discoverable, so the same passkey signs in without a username or password.
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
    )
    _store(session, REGISTER_KEY, options.challenge, user.pk)
    return options_to_json(options)


def register(session: Any, user: User, credential: str, name: str, *, actor: Actor) -> Passkey:
    from webauthn import verify_registration_response
    from webauthn.helpers import bytes_to_base64url
    from webauthn.helpers.exceptions import InvalidRegistrationResponse

    name = " ".join(name.split())[:100] or "Passkey"
    challenge, user_id = _take(session, REGISTER_KEY)
    if user_id != user.pk:
        raise Invalid("The passkey request belongs to another sign-in; try again.", code="passkey_expired")
    if Passkey.objects.filter(user=user).count() >= MAX_PASSKEYS:
        raise Invalid(f"An admin may keep at most {MAX_PASSKEYS} passkeys.", code="too_many_passkeys")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=origin(),
            require_user_verification=True,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise Invalid(f"The passkey could not be checked: {exc}", code="passkey_invalid") from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if Passkey.objects.filter(credential_id=credential_id).exists():
        raise Invalid("This passkey is already registered.", code="passkey_exists")
    with transaction.atomic():
        passkey = Passkey.objects.create(
            user=user,
            name=name,
            credential_id=credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=_transports(credential),
        )
        audit.record(actor, "admin.passkey_added", user, name=name)
    return passkey


def _transports(credential: str) -> list[str]:
    try:
        value = json.loads(credential).get("response", {}).get("transports", [])
    except (ValueError, AttributeError):
        return []
    return [str(item)[:16] for item in value][:8] if isinstance(value, list) else []


def authentication_options(session: Any, user: User | None) -> str:
    """Options for ``navigator.credentials.get``: for a known admin (second factor) their
    passkeys; without one (passwordless sign-in) any discoverable passkey of this site."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor, UserVerificationRequirement

    allowed = (
        [
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(key.credential_id))
            for key in Passkey.objects.filter(user=user)
        ]
        if user is not None
        else []
    )
    options = generate_authentication_options(
        rp_id=rp_id(), allow_credentials=allowed, user_verification=UserVerificationRequirement.REQUIRED
    )
    _store(session, AUTHENTICATE_KEY, options.challenge, user.pk if user is not None else None)
    return options_to_json(options)


@dataclass(frozen=True)
class Asserted:
    passkey: Passkey
    user: User


def authenticate(session: Any, credential: str) -> Asserted:
    """Check an assertion against the stored challenge; the passkey and its admin."""
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import InvalidAuthenticationResponse

    challenge, user_id = _take(session, AUTHENTICATE_KEY)
    try:
        credential_id = str(json.loads(credential)["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise Invalid("The passkey answer is not readable.", code="passkey_invalid") from exc
    passkey = Passkey.objects.select_related("user").filter(credential_id=credential_id).first()
    if passkey is None or (user_id is not None and passkey.user_id != user_id):
        raise Invalid("This passkey is not registered here.", code="passkey_unknown")
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=origin(),
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        raise Invalid(f"The passkey could not be checked: {exc}", code="passkey_invalid") from exc
    Passkey.objects.filter(pk=passkey.pk).update(sign_count=verified.new_sign_count, last_used_at=timezone.now())
    return Asserted(passkey, passkey.user)


def rename(user: User, passkey_id: int, name: str, *, actor: Actor) -> None:
    name = " ".join(name.split())[:100]
    if not name:
        raise Invalid("A passkey needs a name.")
    if not Passkey.objects.filter(user=user, pk=passkey_id).update(name=name):
        raise Invalid("This passkey is not yours or is gone.", code="not_found")
    audit.record(actor, "admin.passkey_renamed", user, name=name)
